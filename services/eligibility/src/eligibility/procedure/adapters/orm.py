"""Tables of the procedure: one row of state per application, its timeline, the staff's
recorded close relatives (回避) and the notices to applicants."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint, Uuid

from eligibility.adapters.orm import metadata
from jiuzhu_platform.pii import EncryptedString, PiiField
from jiuzhu_platform.tables import UtcDateTime

application_procedure = Table(
    "application_procedure",
    metadata,
    Column("application_id", Uuid, ForeignKey("application.id"), primary_key=True),
    Column("stage", String(30), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("accepted_on", Date, nullable=True),
    Column("assigned_to", String(200), nullable=True, index=True),
    # the earliest due date of the clocks running now (the overdue filter of worklists)
    Column("next_due", Date, nullable=True, index=True),
    Column("next_due_step", String(60), nullable=True),
    # `next_due` was computed beyond the loaded holiday data (weekends and fixed holidays only)
    Column("provisional", Boolean, nullable=False, server_default="0"),
    # the rest of the case file as JSON (no resident IDs: findings, opinions, decisions)
    Column("state", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

application_step = Table(
    "application_step",
    metadata,
    Column("application_id", Uuid, ForeignKey("application.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("on", Date, nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("capacity", String(20), nullable=False),
    Column("from_stage", String(30), nullable=False),
    Column("to_stage", String(30), nullable=False),
    Column("note", Text, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of reason codes or texts
)

RELATIVE_RESIDENT_ID = PiiField(
    "relative_resident_id",
    kind="resident_id",
    context="eligibility.staff_relative.relative_resident_id",
)

staff_relative = Table(
    "staff_relative",
    metadata,
    Column("id", Uuid, primary_key=True),
    # the staff account (or a 村/居委会 member, as `village:<name>`) who has this relative
    Column("account", String(200), nullable=False, index=True),
    *RELATIVE_RESIDENT_ID.columns(nullable=False),
    Column("relationship", String(30), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account", RELATIVE_RESIDENT_ID.index_name, name="uq_staff_relative_account_relative"),
)

applicant_notice = Table(
    "applicant_notice",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("application_id", Uuid, ForeignKey("application.id"), nullable=False, index=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("title_zh", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("body_zh", Text, nullable=False),
    Column("body_en", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime(), nullable=True),
)

decision_record = Table(
    "decision_record",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("application_id", Uuid, ForeignKey("application.id"), nullable=False, index=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("category", String(40), nullable=False),
    Column("monthly_total_fen", Integer, nullable=False),
    # the household description as submitted: resident IDs inside, so encrypted at rest
    Column("inputs", EncryptedString("eligibility.decision_record.inputs"), nullable=False),
    Column("result", Text, nullable=False),  # the assessment as answered (IDs masked)
)
