"""Tables owned by the payment service."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, UniqueConstraint, Uuid

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.tables import UtcDateTime, define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)
audit_log = define_audit_table(metadata)

payroll_run = Table(
    "payroll_run",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("period", String(7), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("calculated_by", String(200), nullable=True),
    Column("calculated_at", UtcDateTime(), nullable=True),
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", UtcDateTime(), nullable=True),
    Column("budget_override", String(500), nullable=True),
    Column("exported_at", UtcDateTime(), nullable=True),
    Column("settled_at", UtcDateTime(), nullable=True),
    UniqueConstraint("county_code", "period", name="uq_payroll_run_county_period"),
)
