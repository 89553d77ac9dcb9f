"""Tables owned by the eligibility service."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, String, Table, Text, Uuid

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.pii import PiiField
from jiuzhu_platform.tables import UtcDateTime, define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)
audit_log = define_audit_table(metadata)

"""Installed at start-up from ELIGIBILITY_PII_* settings."""

APPLICANT_RESIDENT_ID = PiiField(
    "applicant_resident_id",
    kind="resident_id",
    context="eligibility.application.applicant_resident_id",
)

application = Table(
    "application",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("assistance_type", String(20), nullable=False),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("member_count", Integer, nullable=False),
    Column("applicant_name", String(100), nullable=False),
    # nullable: rows written before encryption at rest kept only the masked number
    *APPLICANT_RESIDENT_ID.columns(nullable=True),
    Column("applicant_masked_id", String(18), nullable=False),
    Column("status", String(20), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)

policy_version = Table(
    "policy_version",
    metadata,
    Column("policy_set", String(100), primary_key=True),
    Column("version", String(40), primary_key=True),
    Column("effective_from", Date, nullable=False),
    Column("document", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("loaded_at", UtcDateTime(), nullable=False),
)
