"""Response bodies of the statistics (aggregates only: no household, no person)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from monitoring.statistics.domain.model import AreaFigures, Statistics
from shared.types import from_fen


class AreaRead(BaseModel):
    area_code: str = Field(description="County (6 digits) or town code; '' for cases without a town; 'total'")
    households: int = Field(description="监测户数: households in the register")
    active: dict[str, int] = Field(description="在保: active cases at the month's end by category")
    approved: dict[str, int] = Field(description="新增: cases that began in the month by category")
    terminated: dict[str, int] = Field(description="退出: cases that ended in the month by category")
    centralised_rate: float | None = Field(description="集中供养率 (0–1): care-home share of active 特困")
    discovery_rate: float | None = Field(description="检出率 (0–1): share of the register found by monitoring")
    alerts_raised: int
    alerts_open: int
    alerts_overdue: int
    alerts_closed: int
    mean_disposal_days: float | None = Field(description="Mean days from alert to disposition (closed this month)")
    zero_report: bool = Field(description="低保零报告: no 低保 case began or ended this month")
    temporary_households: int = Field(description="临时救助 households of the last 12 months (a register category)")
    temporary_granted: Decimal = Field(description="临时救助 granted this month, yuan")
    paid: Decimal = Field(description="Paid to households this month (settled by the bank), yuan")
    paid_by_programme: dict[str, Decimal] = Field(
        description="`paid` by programme (资金发放 by 低保, 特困, 边缘, 刚性支出, 渐退 and 临时救助), yuan"
    )

    @classmethod
    def of(cls, area: AreaFigures) -> AreaRead:
        n = area.counts
        return cls(
            area_code=area.area_code,
            households=n.households,
            active=n.active,
            approved=n.approved,
            terminated=n.terminated,
            centralised_rate=area.centralised_rate,
            discovery_rate=area.discovery_rate,
            alerts_raised=n.alerts_raised,
            alerts_open=n.alerts_open,
            alerts_overdue=n.alerts_overdue,
            alerts_closed=n.alerts_closed,
            mean_disposal_days=area.mean_disposal_days,
            zero_report=area.zero_report,
            temporary_households=n.temporary_households,
            temporary_granted=from_fen(n.temporary_fen),
            paid=from_fen(n.paid_fen),
            paid_by_programme={k: from_fen(v) for k, v in n.paid_by_programme.items()},
        )


class StatisticsRead(BaseModel):
    month: str
    level: str = Field(description="county: the rows are the city's counties; town: a county's towns")
    county_code: str | None = Field(description="The county whose towns the rows are")
    areas: list[AreaRead]
    total: AreaRead

    @classmethod
    def of(cls, stats: Statistics) -> StatisticsRead:
        return cls(
            month=stats.month,
            level=stats.level.value,
            county_code=stats.scope_code,
            areas=[AreaRead.of(a) for a in stats.areas],
            total=AreaRead.of(stats.total),
        )
