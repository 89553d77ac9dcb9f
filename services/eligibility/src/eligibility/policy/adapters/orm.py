"""The stored policy versions (on the service's shared metadata)."""

from __future__ import annotations

from sqlalchemy import Column, Date, String, Table, Text

from eligibility.adapters.orm import metadata
from jiuzhu_platform.tables import UtcDateTime

policy_version = Table(
    "policy_version",
    metadata,
    Column("policy_set", String(100), primary_key=True),
    Column("version", String(40), primary_key=True),
    Column("effective_from", Date, nullable=False),
    Column("document", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("loaded_at", UtcDateTime(), nullable=False),
)
