"""Bulk list imports (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


class ListKind(StrEnum):
    DEATHS = "deaths"  # 死亡名单 (公安户籍注销、殡葬火化、卫健死亡医学证明)


@dataclass(frozen=True, slots=True)
class ListRow:
    """One accepted row: the person (by reference, never the number) and the date."""

    line: int
    person_ref: str
    occurred_on: date


@dataclass(frozen=True, slots=True)
class RowRejected:
    line: int
    reason: str
    message: str


@dataclass(frozen=True)
class ListImport:
    """导入批次: one list, once (the same file again is the same import)."""

    import_id: UUID
    kind: ListKind
    digest: str
    """SHA-256 of the file as received."""
    region_code: str | None
    """The county it was matched in (None: the whole city)."""
    source: str
    rows: int
    rejected: int
    matched: int
    alerts_raised: int
    imported_by: str
    imported_at: datetime
    rejections: tuple[RowRejected, ...] = ()
    """The first rejected rows (line and reason), for the sender to correct."""
