"""Tables of checks: one row per check, per member and per (member, source) query. A query row
is also the query audit of DOMAIN-RULES §6.5: who asked (the check's `requested_by`), why (the
check's purpose code), under which authorisation (the member's consent), what came back
(status, findings, the department's reference, when)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table, Uuid

from jiuzhu_platform.tables import UtcDateTime
from verification.adapters.orm import metadata

check = Table(
    "household_check",
    metadata,
    Column("check_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("application_id", Uuid, nullable=True, unique=True),  # one check per application (replays)
    Column("purpose", String(30), nullable=False),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),  # of the request or event that opened it
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("declared", JSON, nullable=False),
    Column("status", String(30), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("rounds", Integer, nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),  # a runner holds the check until then
    Column("version", Integer, nullable=False),
    Index("ix_household_check_status_lease", "status", "lease_until"),
)

check_member = Table(
    "household_check_member",
    metadata,
    Column("check_id", Uuid, ForeignKey("household_check.check_id", ondelete="CASCADE"), primary_key=True),
    Column("person_ref", String(56), primary_key=True),
    Column("masked_id", String(18), nullable=False),
    Column("consent_id", Uuid, nullable=True),
    Column("position", Integer, nullable=False),
)

check_query = Table(
    "household_check_query",
    metadata,
    Column("query_id", Uuid, primary_key=True),
    Column("check_id", Uuid, ForeignKey("household_check.check_id", ondelete="CASCADE"), nullable=False, index=True),
    Column("person_ref", String(56), nullable=False),
    Column("source", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("reason", String(100), nullable=True),
    Column("answered_at", UtcDateTime(), nullable=True),
    Column("department_reference", String(100), nullable=False),
    Column("findings", JSON, nullable=False),
)
