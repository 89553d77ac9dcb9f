"""Tables of the payroll: payment instructions (one per case × month × component × attempt,
or per grant × attempt; the id is derived from that key, so no calculation can make one twice)
and the bank result files imported (once each, by digest)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Index, Integer, String, Table, UniqueConstraint, Uuid, text

from jiuzhu_platform.tables import UtcDateTime
from payment.adapters.orm import metadata

instruction = Table(
    "payment_instruction",
    metadata,
    Column("instruction_id", Uuid, primary_key=True),
    Column("run_id", Uuid, nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("case_id", Uuid, nullable=True),
    Column("grant_id", Uuid, nullable=True),
    Column("household_id", Uuid, nullable=False),
    Column("payee_ref", String(56), nullable=False),
    Column("payee_masked", String(18), nullable=False),
    Column("period", String(7), nullable=False),
    Column("component", String(20), nullable=False),
    Column("programme", String(30), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("arrears", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("hold_reason", String(40), nullable=True),
    Column("account_id", Uuid, nullable=True),
    Column("failure_reason", String(40), nullable=True),
    Column("bank_reference", String(100), nullable=True),
    Column("settled_on", Date, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    # No index holds the status: exporting a run (every line pending → exported) and settling
    # it then change no indexed column, so PostgreSQL updates the lines in place (HOT) in the
    # room the table's fill factor leaves (70%, set in the migration): twice as fast. A run's
    # lines of one status are found through the run's index.
    Index("ix_payment_instruction_run_order", "run_id", "instruction_id"),  # keyset pages of a run
    Index("ix_payment_instruction_case_period", "case_id", "period"),
    # Only a grant's lines: a case's line has none, and NULL keys would all go to one end of
    # the index from every calculation worker at once, for no lookup that reads them.
    Index(
        "ix_payment_instruction_grant",
        "grant_id",
        postgresql_where=text("grant_id IS NOT NULL"),
        sqlite_where=text("grant_id IS NOT NULL"),
    ),
)

bank_result_file = Table(
    "bank_result_file",
    metadata,
    Column("file_id", Uuid, primary_key=True),
    Column("run_id", Uuid, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("format", String(20), nullable=False),
    Column("summary", JSON, nullable=False),
    Column("imported_at", UtcDateTime(), nullable=False),
    Column("imported_by", String(200), nullable=False),
    UniqueConstraint("run_id", "digest", name="uq_bank_result_file_run_digest"),
)
