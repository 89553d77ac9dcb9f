"""Bulk list imports (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


class ListKind(StrEnum):
    DEATHS = "deaths"  # 死亡名单 (公安户籍注销、殡葬火化、卫健死亡医学证明)
    SERIOUS_ILLNESS = "serious_illness"  # 重病名单 (卫健、医保: 大病、住院)
    SEVERE_DISABILITY = "severe_disability"  # 重残名单 (残联: 一、二级残疾)
    UNEMPLOYMENT = "unemployment"  # 失业名单 (人社: 失业登记)


SIGNAL_OF = {
    ListKind.DEATHS: "death",
    ListKind.SERIOUS_ILLNESS: "hospitalised",
    ListKind.SEVERE_DISABILITY: "disability_certified",
    ListKind.UNEMPLOYMENT: "unemployed",
}
"""The risk signal a listed person gives their household (the kinds the warning rules weigh,
as a department's notice of the same fact would)."""


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
