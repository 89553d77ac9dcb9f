"""Tables owned by the verification service."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, String, Table, Uuid

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.pii import EncryptedString, PiiField
from jiuzhu_platform.tables import UtcDateTime, define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)
audit_log = define_audit_table(metadata)

"""Installed at start-up from VERIFICATION_PII_* settings."""

SUBJECT_RESIDENT_ID = PiiField(
    "subject_resident_id",
    kind="resident_id",
    context="verification.consent.subject_resident_id",
)

consent = Table(
    "consent",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("region_code", String(6), nullable=True, index=True),  # null: recorded before regions
    Column("town_code", String(12), nullable=True, index=True),
    Column("subject_name", EncryptedString("verification.consent.subject_name"), nullable=False),
    # nullable: rows written before encryption at rest kept only the masked number
    *SUBJECT_RESIDENT_ID.columns(nullable=True),
    Column("subject_masked_id", String(18), nullable=False),
    Column("purpose", String(200), nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("subject_ref", String(56), nullable=True, index=True),  # null: recorded before person refs
    Column("valid_until", Date, nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revoked_reason", String(30), nullable=True),
)
