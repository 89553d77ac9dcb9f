"""Bulk list imports (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from monitoring.warnings.domain.rules import DEATH_RULE, PUBLIC_PAYROLL_RULE, STAFF_RELATIVE_RULE


class ListKind(StrEnum):
    DEATHS = "deaths"  # 死亡名单 (公安户籍注销、殡葬火化、卫健死亡医学证明)
    SERIOUS_ILLNESS = "serious_illness"  # 重病名单 (卫健、医保: 大病、住院)
    SEVERE_DISABILITY = "severe_disability"  # 重残名单 (残联: 一、二级残疾)
    UNEMPLOYMENT = "unemployment"  # 失业名单 (人社: 失业登记)
    PUBLIC_PAYROLL = "public_payroll"  # 财政供养人员名单 (财政/人社/编办: 机关事业单位在编在岗)
    STAFF_RELATIVES = "staff_relatives"  # 经办人员及村(居)委会成员近亲属申报名单 (组织/人事)
    ANTI_POVERTY = "anti_poverty"  # 防止返贫监测对象名单 (乡村振兴部门, quarterly)


SIGNAL_OF = {
    ListKind.DEATHS: "death",
    ListKind.SERIOUS_ILLNESS: "hospitalised",
    ListKind.SEVERE_DISABILITY: "disability_certified",
    ListKind.UNEMPLOYMENT: "unemployed",
}
"""The risk signal a listed person gives their household (the kinds the warning rules weigh,
as a department's notice of the same fact would)."""

INTEGRITY_RULE_OF = {
    ListKind.DEATHS: DEATH_RULE,
    ListKind.PUBLIC_PAYROLL: PUBLIC_PAYROLL_RULE,
    ListKind.STAFF_RELATIVES: STAFF_RELATIVE_RULE,
}
"""The integrity finding (监督检查) a listed member of an assisted household is."""


@dataclass(frozen=True, slots=True)
class ListRow:
    """One accepted row: the person (by reference, never the number) and the date."""

    line: int
    person_ref: str
    occurred_on: date


@dataclass(frozen=True, slots=True)
class ListedMember:
    """One accepted row of a 防返贫 list: a member of a listed household (户编号 as the
    rural-revitalisation system numbers it), its town and the day it was put under monitoring."""

    line: int
    person_ref: str
    household_no: str
    town_code: str
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
    delisted: int = 0
    """防返贫 lists: households of the area's previous list that this one no longer has (their
    monitoring ends)."""
