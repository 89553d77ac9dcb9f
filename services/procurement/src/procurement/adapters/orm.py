"""Tables owned by the procurement service."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Uuid

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.tables import UtcDateTime, define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)
audit_log = define_audit_table(metadata)

provider = Table(
    "provider",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("credit_code", String(18), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("registration_category", String(2), nullable=True),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)
