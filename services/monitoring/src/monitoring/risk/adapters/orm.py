"""The table of recomputed risk scores: one row per household that any rule scores."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, String, Table, Uuid

from monitoring.adapters.orm import metadata

household_risk = Table(
    "household_risk",
    metadata,
    Column("household_id", Uuid, primary_key=True),
    Column("region_code", String(6), nullable=False),
    Column("town_code", String(12), nullable=True),
    Column("score", Integer, nullable=False),
    Column("rule", String(80), nullable=False),
    Column("level", String(10), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("reached", Boolean, nullable=False),
    Column("rules_version", String(20), nullable=False),
    Column("computed_on", Date, nullable=False),
    Index("ix_household_risk_area_score", "region_code", "score"),
)
