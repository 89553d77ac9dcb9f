"""Tables of early warning: the register's cases and people, risk signals, alerts, spot checks."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, String, Table, Text, Uuid, false

from jiuzhu_platform.pii import EncryptedString
from jiuzhu_platform.tables import UtcDateTime
from monitoring.adapters.orm import metadata

monitored_case = Table(
    "monitored_case",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("category", String(30), nullable=False),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("payee_ref", String(60), nullable=False, index=True),
    Column("support_mode", String(20), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
    Column("end_reason", String(40), nullable=True),
    Column("filed", Boolean, nullable=False, server_default=false()),
)

monitored_person = Table(
    "monitored_person",
    metadata,
    Column("person_ref", String(60), primary_key=True),
    Column("household_id", Uuid, primary_key=True),
)

risk_signal = Table(
    "risk_signal",
    metadata,
    Column("notice_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("person_ref", String(60), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

alert = Table(
    "alert",
    metadata,
    Column("alert_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("case_id", Uuid, nullable=True),
    Column("rule", String(80), nullable=False),
    Column("rules_version", String(20), nullable=False),
    Column("level", String(10), nullable=False),
    Column("score", Integer, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("raised_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("disposition", String(30), nullable=True),
    Column("evidence", Text, nullable=True),
    Column("disposed_by", String(200), nullable=True),
    Column("disposed_on", Date, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_alert_status_due", "status", "due_on"),
)

spot_check = Table(
    "spot_check",
    metadata,
    Column("draw_id", Uuid, primary_key=True),
    Column("region_code", String(6), nullable=False, index=True),
    Column("category", String(30), nullable=False),
    Column("seed", String(20), nullable=False),
    Column("share_percent", Integer, nullable=False),
    Column("population", Integer, nullable=False),
    Column("draw", JSON, nullable=False),
    Column("drawn_at", UtcDateTime(), nullable=False),
    Column("drawn_by", String(200), nullable=False),
)

spot_check_result = Table(
    "spot_check_result",
    metadata,
    Column("draw_id", Uuid, primary_key=True),
    Column("case_id", Uuid, primary_key=True),
    Column("inspector", String(200), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("finding", String(30), nullable=True),
    Column("note", EncryptedString("monitoring.spot_check_result.note"), nullable=True),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_on", Date, nullable=False),
)
