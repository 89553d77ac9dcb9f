"""The statutory procedure of an application (办理程序), as values (pure).

An application moves through `Stage`s by `Action`s (DOMAIN-RULES §2.10 for 低保, §3.2 for 特困,
§4.4 for 支出型临时救助, §5.2–5.3 for 边缘 and 刚性支出). `CaseFile` is everything the rules need to
decide the next step: the stage, who prepared the case (four-eyes), the conflict-of-interest
flag, the home visits, the verification report, the 公示 dates, the county visit and the
special-case extension. Every accepted action appends a `StepRecord` to the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from shared.events import AssistanceType


class Stage(StrEnum):
    """Where an application stands (DOMAIN-RULES §2.10; one name per box of the diagram)."""

    SUBMITTED = "submitted"  # 已申请
    AWAITING_SUPPLEMENT = "awaiting_supplement"  # 待补齐材料（已一次性告知）
    ACCEPTED = "accepted"  # 已受理
    INVESTIGATING = "investigating"  # 调查中（入户调查、邻里访问、信函索证）
    VERIFICATION_REQUESTED = "verification_requested"  # 已提请信息核对
    NOTIFIED_INELIGIBLE = "notified_ineligible"  # 已告知不符合条件
    RECHECK = "recheck"  # 复查（申请人有异议并提供证据）
    PUBLICIZING = "publicizing"  # 公示中（7天）
    PUBLICITY_OBJECTED = "publicity_objected"  # 公示有异议（重新调查或民主评议）
    SUBMITTED_TO_COUNTY = "submitted_to_county"  # 报县级审核确认
    APPROVED = "approved"  # 确认（批准）
    REJECTED = "rejected"  # 不予确认
    WITHDRAWN = "withdrawn"  # 申请人撤回
    TERMINATED = "terminated"  # 终止办理（拒不配合）


DECIDED = frozenset({Stage.APPROVED, Stage.REJECTED, Stage.WITHDRAWN, Stage.TERMINATED})
"""Final stages: nothing moves an application out of them."""

OPEN = frozenset(Stage) - DECIDED
"""Stages before a decision: withdrawal, termination for non-cooperation and an extension of
the overall limit are possible in any of them."""


class Action(StrEnum):
    """What someone does to an application. The value is the route segment."""

    REQUEST_SUPPLEMENT = "request-supplement"  # 一次性告知补齐材料
    RESUBMIT = "resubmit"  # 补齐材料后重新提交
    ACCEPT = "accept"  # 受理
    START_INVESTIGATION = "start-investigation"  # 开始家庭经济状况调查
    RECORD_HOME_VISIT = "record-home-visit"  # 入户调查（≥2人，签字）
    RECORD_SELF_CARE = "record-self-care"  # 生活自理能力评估（特困）
    RECORD_PLACEMENT = "record-placement"  # 集中/分散供养（特困）
    REQUEST_VERIFICATION = "request-verification"  # 提请县级信息核对
    RECEIVE_VERIFICATION_REPORT = "receive-verification-report"  # 核对报告（系统）
    NOTIFY_INELIGIBLE = "notify-ineligible"  # 告知不符合条件
    OBJECT = "object"  # 异议（申请人）
    CLOSE = "close"  # 无异议，办结为不予确认
    PRELIMINARY_REVIEW = "preliminary-review"  # 乡镇初审意见 → 公示
    CLOSE_PUBLICITY = "close-publicity"  # 公示期满无异议 → 报县
    RECORD_PUBLICITY_OBJECTION = "record-publicity-objection"  # 登记公示异议（群众）
    REVISE_OPINION = "revise-opinion"  # 重新调查或民主评议后的新初审意见
    RECORD_COMPLAINT = "record-complaint"  # 确认期间收到投诉举报
    RECORD_COUNTY_VISIT = "record-county-visit"  # 县级入户调查
    APPROVE = "approve"  # 审核确认：批准
    REJECT = "reject"  # 不予确认
    WITHDRAW = "withdraw"  # 撤回申请
    TERMINATE = "terminate"  # 拒不配合，终止办理
    EXTEND = "extend"  # 特殊情况延长办理时限（45个工作日）


class Capacity(StrEnum):
    """In which capacity an actor may act (the service derives it from the principal)."""

    TOWN = "town"  # 乡镇（街道）经办人: eligibility:applications:write, staff
    COUNTY = "county"  # 县级审核确认人: eligibility:applications:approve
    APPLICANT = "applicant"  # the citizen whose household applied
    SYSTEM = "system"  # an event from another service (the verification report)


class ExtensionReason(StrEnum):
    """The special cases that extend the overall limit to 45 WD (DOMAIN-RULES §2.7)."""

    PUBLICITY_OBJECTION = "publicity_objection"  # 公示有异议
    SEPARATED_RESIDENCE = "separated_residence"  # 人户分离
    REMOTE_APPLICATION = "remote_application"  # 异地申办
    DIFFICULT_INVESTIGATION = "difficult_investigation"  # 调查取证困难


class ReviewMethod(StrEnum):
    """How a 公示 objection is settled (DOMAIN-RULES §2.5)."""

    REINVESTIGATION = "reinvestigation"  # 重新调查
    DEMOCRATIC_REVIEW = "democratic_review"  # 民主评议


class CareTier(StrEnum):
    """照料护理档次 from the six self-care indicators (DOMAIN-RULES §3.3)."""

    SELF_CARE = "self_care"  # 全自理 (0 failed)
    PARTIAL_CARE = "partial_care"  # 半护理 (1–3 failed)
    FULL_CARE = "full_care"  # 全护理 (≥4 failed)


class SelfCareIndicator(StrEnum):
    """The six indicators of 生活自理能力评估 (DOMAIN-RULES §3.3, S2 Art. 21)."""

    EATING = "eating"  # 自主吃饭
    DRESSING = "dressing"  # 自主穿衣
    TRANSFERRING = "transferring"  # 自主上下床
    TOILETING = "toileting"  # 自主如厕
    INDOOR_WALKING = "indoor_walking"  # 室内自主行走
    BATHING = "bathing"  # 自主洗澡


class Placement(StrEnum):
    """集中 or 分散供养 (DOMAIN-RULES §3.4)."""

    INSTITUTIONAL = "institutional"  # 集中供养 in a 供养服务机构
    DISPERSED = "dispersed"  # 分散供养 at home, with a carer


class ApprovalLevel(StrEnum):
    """Who decides: the county, or the town where approval is delegated (DOMAIN-RULES §2.1, §4.2)."""

    COUNTY = "county"
    TOWN = "town"


@dataclass(frozen=True, slots=True)
class Profile:
    """The procedure an assistance type follows: which steps exist and which clocks run."""

    publicity: bool
    """初审 is publicized for 7 days (低保, 特困, 支出型临时救助) or goes straight to the county."""
    republicize_after_objection: bool
    """特困: a new 初审意见 after an objection is publicized again (S2 Art. 15)."""
    self_care_assessment: bool
    """特困: the six-indicator assessment and the placement must be recorded before 初审."""
    spot_check_share_percent: int
    """特困: the county home-visits at least this share of cases (S2 Art. 16: ≥30%)."""
    approval_by_amount: bool
    """支出型临时救助: the town approves up to its ceiling, the county above it (§4.2)."""


PROFILES: dict[AssistanceType, Profile] = {
    AssistanceType.DIBAO: Profile(True, False, False, 0, False),
    AssistanceType.TEKUN: Profile(True, True, True, 30, False),
    AssistanceType.TEMPORARY: Profile(True, False, False, 0, True),
    # 边缘 and 刚性支出 follow the 低保 procedure without a 公示 (§5.2: "may follow the local 低保
    # rules"; §5.3 S3 Art. 7–8 asks a written decision within 30 WD and no 公示).
    AssistanceType.MARGINAL: Profile(False, False, False, 0, False),
    AssistanceType.EXPENDITURE: Profile(False, False, False, 0, False),
}
"""Emergency first aid (急难型) has no procedure of this kind: it is paid at once (`grants`)."""


@dataclass(frozen=True, slots=True)
class HomeVisit:
    """入户调查: by at least two staff, signed by them and by the family members present."""

    visited_on: date
    investigators: tuple[str, ...]
    family_signed: bool
    findings: str
    county_level: bool = False


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The county's 核对报告 as far as the procedure needs it (the figures live in the decision record)."""

    check_id: UUID
    received_at: datetime
    complete: bool
    """Every department answered."""
    discrepancies: int
    """Declared-vs-verified differences that matter (count)."""
    verified_monthly_income_fen: int | None = None
    financial_assets_fen: int | None = None
    vehicle_count: int | None = None
    property_count: int | None = None
    departments_missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SelfCare:
    failed: frozenset[SelfCareIndicator]
    assessed_on: date

    @property
    def tier(self) -> CareTier:
        count = len(self.failed)
        if count == 0:
            return CareTier.SELF_CARE
        return CareTier.PARTIAL_CARE if count <= 3 else CareTier.FULL_CARE


@dataclass(frozen=True, slots=True)
class PlacementChoice:
    placement: Placement
    provider: str
    """The 供养服务机构 (集中) or the carer (分散)."""


@dataclass(frozen=True, slots=True)
class Opinion:
    """初审意见: what the town recommends, the amount it proposes (fen: monthly for 低保/特困/边缘,
    one-off for 临时救助) and its reasons."""

    recommend: bool
    amount_fen: int
    text: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """确认 / 不予确认 (or a close after a notice of ineligibility): final."""

    approved: bool
    level: ApprovalLevel
    amount_fen: int
    reasons: tuple[str, ...]
    by: str
    on: date
    effective_month: date | None
    """The first month paid: the month after the decision (S1 Art. 21, S2 Art. 17)."""


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One line of the timeline: who did what, when, from which stage to which, and why."""

    at: datetime
    on: date
    """The business day (Asia/Shanghai) the step was taken: clocks count from it."""
    action: Action
    actor: str
    capacity: Capacity
    from_stage: Stage
    to_stage: Stage
    note: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseFile:
    """An application's procedure state."""

    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    stage: Stage
    submitted_on: date
    accepted_on: date | None = None
    missing_items: tuple[str, ...] = ()
    supplement_requested: bool = False
    conflict_of_interest: bool = False
    """A member is a close relative of 经办人员 or of a 村(居)委会 member: 单独登记备案 (§2.3),
    and the county must visit before confirming (§2.6)."""
    preparers: frozenset[str] = frozenset()
    """Accounts that investigated or gave the 初审意见: none of them may confirm (four-eyes)."""
    home_visits: tuple[HomeVisit, ...] = ()
    verification_requested_on: date | None = None
    verification: VerificationReport | None = None
    self_care: SelfCare | None = None
    placement: PlacementChoice | None = None
    opinion: Opinion | None = None
    publicity_from: date | None = None
    publicity_until: date | None = None
    objections: tuple[str, ...] = ()
    ineligible_reasons: tuple[str, ...] = ()
    """The reasons of the notice of ineligibility (告知不符合条件), kept for the close."""
    complaint: bool = False
    spot_check: bool = False
    """特困: drawn for the county's ≥30% spot check (a county home visit is then required)."""
    submitted_to_county_on: date | None = None
    extension: ExtensionReason | None = None
    decision: Decision | None = None
    version: int = 1
    steps: tuple[StepRecord, ...] = field(default=(), repr=False)

    @property
    def profile(self) -> Profile:
        return PROFILES[self.assistance_type]

    @property
    def county_visit_needed(self) -> bool:
        """The county must visit before confirming: 单独登记备案, a complaint during
        confirmation (S1 Art. 20 para. 2), or the 特困 spot check (S2 Art. 16)."""
        return self.conflict_of_interest or self.complaint or self.spot_check

    @property
    def county_visited(self) -> bool:
        return any(v.county_level for v in self.home_visits)

    @property
    def town_visited(self) -> bool:
        return any(not v.county_level for v in self.home_visits)
