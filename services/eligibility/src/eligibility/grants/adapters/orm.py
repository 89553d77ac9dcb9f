"""The 临时救助 grants table (the recipient's resident ID encrypted and blind-indexed)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, Uuid

from eligibility.adapters.orm import metadata
from jiuzhu_platform.pii import EncryptedString, PiiField
from jiuzhu_platform.tables import UtcDateTime

RECIPIENT_RESIDENT_ID = PiiField(
    "recipient_resident_id", kind="resident_id", context="eligibility.temporary_grant.recipient_resident_id"
)

temporary_grant = Table(
    "temporary_grant",
    metadata,
    Column("grant_id", Uuid, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("household_id", Uuid, nullable=True, index=True),
    Column("application_id", Uuid, ForeignKey("application.id"), nullable=True, unique=True),
    Column("recipient_name", EncryptedString("eligibility.temporary_grant.recipient_name"), nullable=False),
    *RECIPIENT_RESIDENT_ID.columns(nullable=False),
    Column("recipient_masked_id", String(18), nullable=False),
    Column("cause", Text, nullable=False),
    Column("requested_fen", Integer, nullable=False),
    Column("granted_fen", Integer, nullable=False),
    Column("remainder_fen", Integer, nullable=False),
    Column("remainder_route", String(30), nullable=False),
    Column("approval_level", String(10), nullable=False),
    Column("paid_by", String(20), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("granted_at", UtcDateTime(), nullable=False),
    Column("granted_on", Date, nullable=False),
    Column("backfill_due", Date, nullable=True, index=True),
    Column("backfill_provisional", Boolean, nullable=False, server_default="0"),
    Column("backfilled_on", Date, nullable=True),
    Column("backfill_note", Text, nullable=False),
    Column("version", Integer, nullable=False),
)
