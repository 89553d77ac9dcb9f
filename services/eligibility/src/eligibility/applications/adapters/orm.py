"""The applications table (on the service's shared metadata)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Uuid

from eligibility.adapters.orm import metadata
from jiuzhu_platform.pii import EncryptedString, PiiField
from jiuzhu_platform.tables import UtcDateTime

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
    Column("applicant_name", EncryptedString("eligibility.application.applicant_name"), nullable=False),
    # nullable: rows written before encryption at rest kept only the masked number
    *APPLICANT_RESIDENT_ID.columns(nullable=True),
    Column("applicant_masked_id", String(18), nullable=False),
    Column("status", String(20), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)
