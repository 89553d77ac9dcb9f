"""Tables of household records: the household, its members (resident IDs encrypted and
blind-indexed; a unique index over the current members' IDs) and its version history."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, Uuid

from eligibility.adapters.orm import metadata
from jiuzhu_platform.pii import EncryptedString, PiiField
from jiuzhu_platform.tables import UtcDateTime

MEMBER_RESIDENT_ID = PiiField("resident_id", kind="resident_id", context="eligibility.household_member.resident_id")

household = Table(
    "household",
    metadata,
    Column("household_id", Uuid, primary_key=True),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

household_member = Table(
    "household_member",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("household_id", Uuid, ForeignKey("household.household_id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    *MEMBER_RESIDENT_ID.columns(nullable=False),
    # the blind index while the person is a current member, NULL after they left: a resident ID
    # is a current member of one household at most (NULLs never collide)
    Column("current_resident_bidx", String(64), nullable=True, unique=True),
    Column("name", EncryptedString("eligibility.household_member.name"), nullable=False),
    Column("relationship", String(20), nullable=False),
    Column("hukou_type", String(10), nullable=False),
    Column("hukou_region_code", String(6), nullable=True),
    Column("residence_town_code", String(12), nullable=True),
    Column("disability_category", String(20), nullable=True),
    Column("disability_grade", Integer, nullable=True),
    Column("serious_illness", Boolean, nullable=False),
    Column("labour_capacity", String(10), nullable=False),
    Column("in_school", Boolean, nullable=False),
    Column("joined_on", Date, nullable=True),
    Column("left_on", Date, nullable=True),
    Column("leave_reason", String(20), nullable=True),
)

household_version = Table(
    "household_version",
    metadata,
    Column("household_id", Uuid, ForeignKey("household.household_id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("by", String(200), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("summary", Text, nullable=False),  # resident IDs masked
)
