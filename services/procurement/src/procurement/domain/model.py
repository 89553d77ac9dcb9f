"""Procurement entities (pure): providers (承接主体), projects with their bids, contracts, care
assignments with their visit records, and evaluations. Money is integer fen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from procurement.domain.policy import Ground, Method, Step
from shared.events.procurement import ServiceCategory

# --------------------------------------------------------------------------- providers


class Grade(StrEnum):
    """社会组织评估等级 (S10): 5A > 4A > 3A > 2A > 1A."""

    A1 = "1A"
    A2 = "2A"
    A3 = "3A"
    A4 = "4A"
    A5 = "5A"

    @property
    def rank(self) -> int:
        return int(self.value[0])


class GradeStatus(StrEnum):
    VALID = "valid"
    DOWNGRADED = "downgraded"  # replaced by a lower grade: no re-application for 2 years
    CANCELLED = "cancelled"  # 撤销等级: no re-application for 3 years


@dataclass(slots=True)
class GradeRecord:
    grade: Grade
    awarded_on: date
    valid_until: date
    status: GradeStatus = GradeStatus.VALID
    changed_on: date | None = None


class Condition(StrEnum):
    """The supplier conditions of S11 Art. 22 (§9.4)."""

    CIVIL_LIABILITY = "civil_liability"  # 独立承担民事责任
    CREDIT_AND_ACCOUNTS = "credit_and_accounts"  # 良好的商业信誉和健全的财务会计制度
    EQUIPMENT_AND_CAPACITY = "equipment_and_capacity"  # 必需的设备和专业技术能力
    TAX_AND_SOCIAL_SECURITY = "tax_and_social_security"  # 依法缴纳税收和社会保障资金
    NO_MAJOR_VIOLATION = "no_major_violation"  # 参加采购活动前三年内无重大违法记录 (declared; checked too)
    OTHER_LEGAL = "other_legal"  # 法律、行政法规规定的其他条件


REQUIRED_CONDITIONS = (
    Condition.CIVIL_LIABILITY,
    Condition.CREDIT_AND_ACCOUNTS,
    Condition.EQUIPMENT_AND_CAPACITY,
    Condition.TAX_AND_SOCIAL_SECURITY,
    Condition.NO_MAJOR_VIOLATION,
)


@dataclass(slots=True)
class ConditionEvidence:
    condition: Condition
    evidence: str
    checked_on: date


class ViolationKind(StrEnum):
    """重大违法记录 (S12 Art. 19)."""

    CRIMINAL_PENALTY = "criminal_penalty"
    SUSPENSION_ORDERED = "suspension_ordered"  # 责令停产停业
    LICENCE_REVOKED = "licence_revoked"
    LARGE_FINE = "large_fine"


@dataclass(slots=True)
class Violation:
    kind: ViolationKind
    occurred_on: date
    description: str


@dataclass(slots=True)
class Blacklisting:
    """列入不良行为记录名单 / 禁止参加政府采购活动, from `start` to `until` inclusive."""

    start: date
    until: date
    reason: str


@dataclass(slots=True)
class Provider:
    """承接主体: a social organisation (or other eligible body) that may deliver purchased
    social-assistance services. Identified by its unified social credit code."""

    id: UUID
    credit_code: str
    name: str
    registration_category: str | None
    registered_at: datetime
    correlation_id: str
    grade: GradeRecord | None = None
    grade_history: list[GradeRecord] = field(default_factory=list)
    conditions: list[ConditionEvidence] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    blacklist: list[Blacklisting] = field(default_factory=list)
    contact: str | None = None
    client_id: str | None = None
    """The gateway client the organisation signs in with (third-party client)."""


# --------------------------------------------------------------------------- projects and bids


class ProjectState(StrEnum):
    PUBLICITY = "publicity"  # 单一来源 公示 running
    OPEN = "open"  # announced, bids accepted until the deadline
    OPENED = "opened"  # 开标: bids readable
    EVALUATED = "evaluated"  # 评审报告 submitted
    AWARDED = "awarded"  # 中标/成交 determined and announced
    CONTRACTED = "contracted"
    FAILED = "failed"  # 废标 / 终止: too few bids


@dataclass(frozen=True, slots=True)
class Criterion:
    """A scoring criterion; `price` is scored by formula (lowest price / price × weight), the
    others by the panel (0–100 each, weighted)."""

    name: str
    weight: int
    price: bool = False


@dataclass(slots=True)
class ClockRecord:
    step: Step
    start: date
    due: date
    kind: str
    done_on: date | None = None
    provisional: bool = False

    @property
    def on_time(self) -> bool | None:
        if self.done_on is None:
            return None
        return self.done_on >= self.due if self.kind == "minimum" else self.done_on <= self.due


@dataclass(slots=True)
class BidScore:
    bid_id: UUID
    provider_id: UUID
    price_fen: int
    price_score: str
    panel_score: str
    preference: str
    total: str
    rank: int


@dataclass(slots=True)
class Project:
    id: UUID
    purchaser: str
    region_code: str
    town_code: str | None
    title: str
    service_item: str
    budget_item: str
    budget_fen: int
    fiscal_year: int
    method: Method
    grounds: list[Ground]
    state: ProjectState
    announced_on: date
    bid_deadline: datetime
    criteria: list[Criterion]
    quantity: int
    grade_preference_points: int = 0
    required_min_grade: Grade | None = None
    invited: list[UUID] = field(default_factory=list)
    invitation_seed: int | None = None
    """The seed of a random draw of the invited suppliers (replayable), None when named."""
    finance_approval: str | None = None
    publicity_until: date | None = None
    clocks: list[ClockRecord] = field(default_factory=list)
    scores: list[BidScore] = field(default_factory=list)
    panel: list[str] = field(default_factory=list)
    winner_bid_id: UUID | None = None
    contract_id: UUID | None = None
    failed_reason: str | None = None
    fallback_of: UUID | None = None
    policy_version: str = ""
    correlation_id: str = ""

    def clock(self, step: Step) -> ClockRecord | None:
        return next((c for c in self.clocks if c.step is step), None)


@dataclass(frozen=True, slots=True)
class Bid:
    id: UUID
    project_id: UUID
    provider_id: UUID
    submitted_at: datetime
    price_fen: int
    proposal: str


@dataclass(frozen=True, slots=True)
class PriorPurchase:
    """A purchase of the same purchaser earlier in the year, for 化整为零 detection."""

    project_id: UUID
    service_item: str
    budget_item: str
    fiscal_year: int
    method: Method
    budget_fen: int


# --------------------------------------------------------------------------- contracts


@dataclass(frozen=True, slots=True)
class Milestone:
    """An instalment: `share_percent` of the value, paid after the evaluation of `period`."""

    name: str
    period: str
    share_percent: int


@dataclass(slots=True)
class Supplement:
    amount_fen: int
    signed_on: date
    reason: str


@dataclass(slots=True)
class Contract:
    id: UUID
    project_id: UUID
    provider_id: UUID
    provider_credit_code: str
    region_code: str
    service_item: str
    service: ServiceCategory
    value_fen: int
    term_start: date
    term_end: date
    signed_on: date
    milestones: list[Milestone]
    extended_term_grounds: str | None = None
    supplements: list[Supplement] = field(default_factory=list)
    announced_on: date | None = None
    filed_on: date | None = None
    correlation_id: str = ""


# --------------------------------------------------------------------------- delivery


class AssignmentState(StrEnum):
    WAITING = "waiting"  # no running care contract in the county yet
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(slots=True)
class Complaint:
    """A recipient's (or family's) complaint about the care, and how it was handled."""

    id: UUID
    received_on: date
    content: str
    resolved_on: date | None = None
    resolution: str | None = None


@dataclass(slots=True)
class CareAssignment:
    """委托照料: a dispersed 特困 person in the care of a contracted provider."""

    id: UUID
    case_id: UUID
    household_id: UUID
    person_ref: str
    person_masked: str
    region_code: str
    town_code: str | None
    state: AssignmentState
    started_on: date
    contract_id: UUID | None = None
    provider_id: UUID | None = None
    carer: str | None = None
    ended_on: date | None = None
    end_reason: str | None = None
    carers: list[str] = field(default_factory=list)
    """Every carer so far, in order (更换照料人员 keeps the history)."""
    complaints: list[Complaint] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Visit:
    """A visit or care record by provider staff (who, whom, when, how long, what)."""

    id: UUID
    contract_id: UUID
    assignment_id: UUID | None
    person_ref: str
    staff: str
    visited_at: datetime
    minutes: int
    content: str
    satisfaction: int | None
    region_code: str


@dataclass(frozen=True, slots=True)
class Indicator:
    """A performance indicator with its weight; `measured` ones are computed from the visit
    records (`visits`: delivered vs planned; `satisfaction`: mean of the surveys), the others
    scored by the evaluator (0–100)."""

    name: str
    weight: int
    measured: str | None = None


@dataclass(slots=True)
class Evaluation:
    id: UUID
    contract_id: UUID
    period: str
    evaluator: str
    evaluator_type: str
    scores: dict[str, str]
    score: int
    visits: int
    minutes: int
    mean_satisfaction: str | None
    recipient_opinions: int
    amount_due_fen: int
    evaluated_on: date
    policy_version: str
