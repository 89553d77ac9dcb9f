"""The chain's table: one row per step of a household's assistance."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, String, Table, Uuid

from monitoring.adapters.orm import metadata

assistance_record = Table(
    "assistance_record",
    metadata,
    Column("record_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False),
    Column("step", String(30), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("region_code", String(6), nullable=False),
    Column("town_code", String(12), nullable=True),
    Column("category", String(80), nullable=True),
    Column("amount_fen", BigInteger, nullable=True),
    Column("detail", String(80), nullable=True),
    Index("ix_assistance_record_household", "household_id", "occurred_on"),
    Index("ix_assistance_record_step_area", "step", "region_code", "occurred_on"),
)
