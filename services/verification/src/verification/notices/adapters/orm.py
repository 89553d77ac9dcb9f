"""The `department_notice` table (in the verification service's metadata)."""

from __future__ import annotations

from sqlalchemy import Column, Date, String, Table, UniqueConstraint, Uuid

from jiuzhu_platform.pii import EncryptedString, PiiField
from jiuzhu_platform.tables import UtcDateTime
from verification.adapters.orm import metadata

NOTICE_RESIDENT_ID = PiiField(
    "resident_id",
    kind="resident_id",
    context="verification.department_notice.resident_id",
)

department_notice = Table(
    "department_notice",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("sender_client_id", String(200), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("department", String(40), nullable=False, index=True),
    Column("kind", String(40), nullable=False, index=True),
    Column("person_name", EncryptedString("verification.department_notice.person_name"), nullable=False),
    *NOTICE_RESIDENT_ID.columns(nullable=False),
    Column("masked_id", String(18), nullable=False),
    Column("person_ref", String(60), nullable=False, index=True),
    Column("occurred_on", Date, nullable=False, index=True),
    Column("reference", String(100), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False, index=True),
    Column("correlation_id", String(200), nullable=False),
    # one notice per message of a sender: what makes a resent message a duplicate, even when
    # two copies race (the later insert fails here and reads the winner)
    UniqueConstraint("sender_client_id", "message_id"),
)
