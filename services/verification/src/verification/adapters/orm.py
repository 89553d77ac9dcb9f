"""Tables owned by the verification service."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, String, Table, Uuid

from jiuzhu_platform.tables import UtcDateTime, define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)

consent = Table(
    "consent",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("subject_name", String(100), nullable=False),
    Column("subject_masked_id", String(18), nullable=False),
    Column("purpose", String(200), nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)
