"""The table of list imports."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, String, Table, UniqueConstraint, Uuid

from jiuzhu_platform.tables import UtcDateTime
from monitoring.adapters.orm import metadata

list_import = Table(
    "list_import",
    metadata,
    Column("import_id", Uuid, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("region_code", String(6), nullable=False),  # '' for the whole city
    Column("source", String(200), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("alerts_raised", Integer, nullable=False),
    Column("delisted", Integer, nullable=False, server_default="0"),
    Column("rejections", JSON, nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("imported_at", UtcDateTime(), nullable=False),
    UniqueConstraint("kind", "region_code", "digest", name="uq_list_import_file"),
)
