"""Tables owned by the monitoring service."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Uuid

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.tables import UtcDateTime, define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)
audit_log = define_audit_table(metadata)

register_entry = Table(
    "register_entry",
    metadata,
    Column("household_id", Uuid, primary_key=True),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("reason", String(50), nullable=False),
    Column("assistance_types", String(200), nullable=False),
    Column("source_event_id", Uuid, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)
