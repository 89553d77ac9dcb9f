"""The figures of an area for a month (pure values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from monitoring.chain.domain.model import TEMPORARY
from monitoring.warnings.domain.model import ANTI_POVERTY
from shared.events.eligibility import CaseCategory

CATEGORIES: tuple[str, ...] = (*(c.value for c in CaseCategory), ANTI_POVERTY)
"""The register's categories counted, in the order the tables and charts show them: the case
categories, then the 防返贫 households of the rural-revitalisation list."""

CATEGORY_ZH: dict[str, str] = {
    CaseCategory.DIBAO.value: "低保",
    CaseCategory.TEKUN.value: "特困",
    CaseCategory.MARGINAL.value: "低保边缘",
    CaseCategory.RIGID_EXPENDITURE.value: "刚性支出",
    CaseCategory.DIBAO_PHASE_OUT.value: "低保渐退",
    ANTI_POVERTY: "防返贫监测",
}

PROGRAMMES: tuple[str, ...] = (*(c.value for c in CaseCategory), TEMPORARY)
"""The programmes money is counted by (资金发放 by programme: the case categories and 临时救助),
in table order."""
PROGRAMME_ZH = {**{c.value: CATEGORY_ZH[c.value] for c in CaseCategory}, TEMPORARY: "临时救助"}


class AreaLevel(StrEnum):
    """What the rows of a statistics table are."""

    COUNTY = "county"  # the city's view: one row per county
    TOWN = "town"  # a county's view: one row per town (乡镇/街道), and one for "no town recorded"


@dataclass(frozen=True)
class AreaCounts:
    """What the database counts for one area and month (the inputs of the rates)."""

    area_code: str
    households: int = 0
    """Households in the monitoring register (低收入人口监测名册)."""
    discovered: int = 0
    """Of them, found by monitoring or a worker rather than by their own application."""
    active: dict[str, int] = field(default_factory=dict)
    """Active cases at the end of the month by category."""
    tekun_centralised: int = 0
    """Of the active 特困 cases, those in a care home (集中供养)."""
    approved: dict[str, int] = field(default_factory=dict)
    """Cases that began in the month by category."""
    terminated: dict[str, int] = field(default_factory=dict)
    """Cases that ended in the month by category."""
    alerts_raised: int = 0
    """Alerts raised in the month."""
    alerts_open: int = 0
    """Alerts open now (the town's tasks), not yet overdue."""
    alerts_overdue: int = 0
    """Alerts past their deadline, escalated to the county."""
    alerts_closed: int = 0
    """Alerts disposed of in the month."""
    disposal_days: int = 0
    """Sum of the days from raising to disposal of the alerts closed in the month."""
    temporary_households: int = 0
    """Households granted 临时救助 in the 12 months to the month's end (a register category)."""
    temporary_fen: int = 0
    """临时救助 granted in the month, fen."""
    paid_fen: int = 0
    """Money that reached households in the month (payment's settled instructions), fen."""
    paid_by_programme: dict[str, int] = field(default_factory=dict)
    """`paid_fen` by programme (`PROGRAMMES`; a payment settled before its case's category was
    known is counted under `benefit`)."""


@dataclass(frozen=True)
class AreaFigures:
    """The published figures of one area (a county, a town, or the whole)."""

    area_code: str
    counts: AreaCounts
    centralised_rate: float | None
    """集中供养率: care-home share of active 特困 cases (None without 特困 cases)."""
    discovery_rate: float | None
    """检出率: share of the register found by monitoring rather than by application."""
    mean_disposal_days: float | None
    """Mean days from an alert to its disposition, over the month's closed alerts."""
    zero_report: bool
    """低保零报告: no 低保 case began or ended in the area this month (the county still reports)."""


@dataclass(frozen=True)
class Statistics:
    month: str
    level: AreaLevel
    scope_code: str | None
    """The county the rows are towns of (None: the rows are the city's counties)."""
    areas: tuple[AreaFigures, ...]
    total: AreaFigures
