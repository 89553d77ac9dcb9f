"""Active cases (保障对象): what an approved application becomes, until it ends (pure).

A case holds the monthly amount, the category (低保, 特困, 边缘, 刚性支出), when it is next
reviewed (DOMAIN-RULES §2.9: every 12 months, every 6 when income is irregular and members
can work; 特困 every 12), the 渐退期 (≤6 months) and the termination with its reasons and, for
低保 and 特困, its 7-day 公示 (DOMAIN-RULES §3.5; the same for 低保, see `rules`). Every change
is a `CaseStep` on the timeline; changes of money are `BenefitChange`s the service publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from shared.events.eligibility import BenefitChangeReason
from shared.events.eligibility import TerminationReason as TerminationReason
from shared.types import Period


class CaseCategory(StrEnum):
    """What the household (or person) is recognised as."""

    DIBAO = "dibao"  # 低保对象
    TEKUN = "tekun"  # 特困人员
    MARGINAL = "marginal"  # 低保边缘家庭
    RIGID_EXPENDITURE = "rigid_expenditure"  # 刚性支出困难家庭


class CaseStatus(StrEnum):
    ACTIVE = "active"  # 在保
    UNDER_REVIEW = "under_review"  # 复核中（照常发放）
    PHASE_OUT = "phase_out"  # 渐退期
    SUSPENDED = "suspended"  # 暂停发放
    TERMINATION_PUBLICIZING = "termination_publicizing"  # 终止公示中
    TERMINATED = "terminated"  # 已终止


PAYING = frozenset(
    {CaseStatus.ACTIVE, CaseStatus.UNDER_REVIEW, CaseStatus.PHASE_OUT, CaseStatus.TERMINATION_PUBLICIZING}
)
"""Statuses in which the monthly amount is paid (a review or a termination 公示 does not stop it)."""


class ReviewReason(StrEnum):
    SCHEDULED = "scheduled"  # 定期复核
    DEATH_NOTICE = "death_notice"  # 成员死亡：3个月内复核
    DEPARTMENT_NOTICE = "department_notice"  # 部门比对发现变化
    MONITORING = "monitoring"  # 监测预警、抽查
    REPORTED_CHANGE = "reported_change"  # 家庭主动报告变化
    TERMINATION_OBJECTION = "termination_objection"  # 终止公示有异议


NO_PUBLICITY = frozenset(
    {TerminationReason.DEATH, TerminationReason.DECLARED_MISSING, TerminationReason.VOLUNTARY_EXIT}
)
"""Terminations that take effect without a 公示 (nobody is left to object, or the person asked)."""


ChangeReason = BenefitChangeReason
"""Why an amount changes: the contract's words (`eligibility.benefit_changed`) are the domain's."""


class CaseAction(StrEnum):
    OPEN = "open"  # 审核确认后建立保障档案
    OPEN_REVIEW = "open-review"
    COMPLETE_REVIEW = "complete-review"
    CHANGE_AMOUNT = "change-amount"
    SUSPEND = "suspend"
    RESUME = "resume"
    TERMINATE = "terminate"
    OBJECT_TO_TERMINATION = "object-to-termination"
    CLOSE_TERMINATION_PUBLICITY = "close-termination-publicity"
    END_PHASE_OUT = "end-phase-out"
    RECORD_PAYMENT_EVENT = "record-payment-event"


@dataclass(frozen=True, slots=True)
class Termination:
    reason: TerminationReason
    decided_on: date
    last_paid_month: Period
    """The last month paid: the decision month (stop from the next month, S2 Art. 24–27)."""
    overpaid_from: Period | None = None
    """A backdated end (a death notified late): the first month paid that was not owed (the month
    after the event); months from it to `last_paid_month` are recovered (追缴)."""
    note: str = ""


@dataclass(frozen=True, slots=True)
class CaseStep:
    at: datetime
    on: date
    action: CaseAction
    actor: str
    from_status: CaseStatus
    to_status: CaseStatus
    note: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BenefitChange:
    """A change of the monthly amount from `effective_month` on (published as `benefit_changed`)."""

    monthly_fen: int
    effective_month: Period
    reason: ChangeReason


@dataclass(frozen=True, slots=True)
class Case:
    case_id: UUID
    application_id: UUID
    household_id: UUID
    category: CaseCategory
    region_code: str
    town_code: str | None
    status: CaseStatus
    monthly_fen: int
    start_month: Period
    policy_version: str
    review_every_months: int
    next_review_on: date
    review_reason: ReviewReason | None = None
    review_due_by: date | None = None
    phase_out_until: Period | None = None
    """The last month of the 渐退期."""
    suspended_reason: str | None = None
    pending_termination: Termination | None = None
    termination_publicity_until: date | None = None
    termination: Termination | None = None
    version: int = 1
    steps: tuple[CaseStep, ...] = field(default=(), repr=False)

    @property
    def paying(self) -> bool:
        return self.status in PAYING
