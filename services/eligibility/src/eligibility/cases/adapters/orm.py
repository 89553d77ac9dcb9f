"""Tables of active cases: one row per case (searchable columns + the rest as JSON) and its
timeline."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text, Uuid

from eligibility.adapters.orm import metadata
from jiuzhu_platform.tables import UtcDateTime

assistance_case = Table(
    "assistance_case",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("application_id", Uuid, ForeignKey("application.id"), nullable=False, unique=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("category", String(30), nullable=False),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("status", String(30), nullable=False, index=True),
    Column("monthly_fen", Integer, nullable=False),
    Column("start_month", String(7), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("next_review_on", Date, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("state", Text, nullable=False),  # the rest of the case as JSON (no personal numbers)
    Column("updated_at", UtcDateTime(), nullable=False),
)

case_step = Table(
    "case_step",
    metadata,
    Column("case_id", Uuid, ForeignKey("assistance_case.case_id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("on", Date, nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("from_status", String(30), nullable=False),
    Column("to_status", String(30), nullable=False),
    Column("note", Text, nullable=False),
    Column("reasons", Text, nullable=False),
)

case_person = Table(
    "case_person",
    metadata,
    Column("case_id", Uuid, ForeignKey("assistance_case.case_id"), primary_key=True),
    Column("person_ref", String(60), primary_key=True),  # the person reference, never a resident ID
    Index("ix_case_person_person_ref", "person_ref"),
)
