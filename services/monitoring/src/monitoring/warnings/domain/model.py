"""Early warning (预警), integrity findings and spot checks: the pure model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from shared.events.monitoring import AlertDisposition, RiskLevel


class AlertStatus(StrEnum):
    OPEN = "open"  # 待处置 (the town's task)
    ESCALATED = "escalated"  # 逾期未处置，已上报县级
    CLOSED = "closed"  # 已处置


ANTI_POVERTY = "anti_poverty"
"""防返贫监测户: a household the rural-revitalisation list (乡村振兴部门防止返贫监测对象名单)
puts under monitoring. It is kept in the register like a case of this category (so its people's
signals are scored and its alerts are tasks), but it is not an eligibility case: nothing is paid
and eligibility is never asked to review it by case."""


@dataclass(frozen=True)
class MonitoredCase:
    """A case of the register (from `eligibility.case_approved` / `case_terminated`), or a
    防返贫 household of the rural-revitalisation list (category `ANTI_POVERTY`)."""

    case_id: UUID
    household_id: UUID
    category: str
    region_code: str
    town_code: str | None
    payee_ref: str
    support_mode: str | None
    active: bool
    opened_on: date
    filed: bool = False
    """单独登记备案: eligibility recorded a member as a close relative of staff (§2.3)."""

    @property
    def eligibility_case_id(self) -> UUID | None:
        """The eligibility case behind this entry (None for a 防返贫 household)."""
        return None if self.category == ANTI_POVERTY else self.case_id


@dataclass(frozen=True)
class Signal:
    """A department notice about one of the register's people (风险信号)."""

    notice_id: UUID
    household_id: UUID
    person_ref: str
    kind: str
    occurred_on: date


@dataclass(frozen=True)
class WarningRule:
    """预警规则, as data: the notice kinds it weighs, the categories it watches, the score that
    raises an alert and how urgent it is. Versioned like policy, in a `RuleSet`."""

    code: str
    weights: dict[str, int]
    threshold: int
    categories: frozenset[str]
    level: RiskLevel
    window_days: int = 90
    due_days: int = 7
    """Calendar days the town has to dispose of the alert (then it escalates to the county)."""


@dataclass(frozen=True)
class RuleSet:
    """One version of the warning rules (预警规则), complete, in force from `effective_from` until
    the next version's date (services/monitoring/rules/warning-rules.yaml). Every alert records
    the version it was raised under."""

    version: str
    effective_from: date
    rules: tuple[WarningRule, ...]

    @property
    def window_days(self) -> int:
        """The longest window of its rules (the oldest signal any of them still weighs)."""
        return max((rule.window_days for rule in self.rules), default=0)


@dataclass(frozen=True)
class Alert:
    alert_id: UUID
    household_id: UUID
    rule: str
    rules_version: str
    level: RiskLevel
    score: int
    reasons: tuple[str, ...]
    region_code: str
    town_code: str | None
    raised_on: date
    due_on: date
    status: AlertStatus = AlertStatus.OPEN
    disposition: AlertDisposition | None = None
    evidence: str | None = None
    disposed_by: str | None = None
    disposed_on: date | None = None
    case_id: UUID | None = None


@dataclass(frozen=True)
class SpotCheckDraw:
    """双随机一公开: random inspectors × random cases, reproducible from `seed`."""

    draw_id: UUID
    region_code: str
    category: str
    seed: int
    share_percent: int
    population: int
    case_ids: tuple[UUID, ...]
    inspectors: tuple[tuple[UUID, str], ...] = field(default=())
    """(case id, inspector) pairs: who checks which case."""
    drawn_at: datetime | None = None
    drawn_by: str = ""


class SpotCheckOutcome(StrEnum):
    COMPLIANT = "compliant"  # 核查属实、保障合规
    NON_COMPLIANT = "non_compliant"  # 发现问题 (a review of the case follows)


class SpotCheckFinding(StrEnum):
    """What an inspector found wrong (codes only: published as counts)."""

    INCOME_UNDECLARED = "income_undeclared"  # 收入、财产未如实申报
    NOT_RESIDENT = "not_resident"  # 不在户籍地/居住地共同生活
    DECEASED = "deceased"  # 对象已死亡
    CARE_INADEQUATE = "care_inadequate"  # 照料护理不到位
    RECORDS_INCOMPLETE = "records_incomplete"  # 档案资料不全
    OTHER = "other"


@dataclass(frozen=True)
class SpotCheckResult:
    """One drawn case's check: the outcome, the finding (if any), by whom, when."""

    draw_id: UUID
    case_id: UUID
    inspector: str
    outcome: SpotCheckOutcome
    finding: SpotCheckFinding | None
    note: str | None
    recorded_by: str
    recorded_on: date
