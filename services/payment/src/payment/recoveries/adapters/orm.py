"""Recoveries (追缴): money paid for months a case was not entitled to, its repayments,
write-offs and the fraud fine (kept apart from the benefit owed)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Integer, String, Table, Uuid

from jiuzhu_platform.tables import UtcDateTime
from payment.adapters.orm import metadata

recovery = Table(
    "recovery",
    metadata,
    Column("recovery_id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, index=True),
    Column("household_id", Uuid, nullable=False),
    Column("county_code", String(6), nullable=False, index=True),
    Column("payee_ref", String(56), nullable=False),
    Column("payee_masked", String(18), nullable=False),
    Column("termination_reason", String(40), nullable=False),
    Column("months", JSON, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("repaid_fen", BigInteger, nullable=False),
    Column("written_off_fen", BigInteger, nullable=False),
    Column("fine_fen", BigInteger, nullable=False),
    Column("fine_multiple", Integer, nullable=True),
    Column("fine_paid_fen", BigInteger, nullable=False),
    Column("schedule_monthly_fen", BigInteger, nullable=True),
    Column("schedule_first_month", String(7), nullable=True),
    Column("status", String(20), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
)

recovery_entry = Table(
    "recovery_entry",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("recovery_id", Uuid, nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # repayment | write_off | fine | fine_payment
    Column("amount_fen", BigInteger, nullable=False),
    Column("on", Date, nullable=False),
    Column("note", String(200), nullable=False),
    Column("by", String(200), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)
