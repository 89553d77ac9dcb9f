"""Budgets (资金预算) per county, year and programme."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, PrimaryKeyConstraint, String, Table

from jiuzhu_platform.tables import UtcDateTime
from payment.adapters.orm import metadata

budget = Table(
    "budget",
    metadata,
    Column("county_code", String(6), nullable=False),
    Column("year", Integer, nullable=False),
    Column("programme", String(30), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("county_code", "year", "programme"),
)
