"""Events produced by the eligibility service (资格认定), topic `eligibility.events`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self, TypeAlias
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from shared.events.base import Event, EventData
from shared.types import NonNegativeMoney, Period, PersonRef, RegionCode, TownCode


class AssistanceType(StrEnum):
    """The kinds of assistance an application can be for."""

    DIBAO = "dibao"  # 最低生活保障
    TEKUN = "tekun"  # 特困人员救助供养
    TEMPORARY = "temporary"  # 临时救助
    EMERGENCY = "emergency"  # 急难型临时救助 (先行救助)
    MARGINAL = "marginal"  # 低保边缘家庭
    EXPENDITURE = "expenditure"  # 刚性支出困难家庭 (支出型)


class ApplicationSubmittedData(EventData):
    """申请: a household applied for assistance. Carries no full personal number (privacy by
    default): consumers that need identity ask eligibility or verification."""

    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: RegionCode
    town_code: TownCode | None = Field(
        default=None,
        description="乡镇（街道）代码 of the household when known (12 digits), so town-level staff can be "
        "given the records of their town; null when only the county is known",
    )
    member_count: int = Field(ge=1, le=50)
    applicant_masked_id: str = Field(description="The applicant's resident ID, masked (5201**********123X)")


class ApplicationSubmitted(Event):
    """v2 (2026-11-29): adds `town_code`. v1 events are upcast with `town_code: null`."""

    type: Literal["eligibility.application_submitted.v2"] = "eligibility.application_submitted.v2"
    data: ApplicationSubmittedData


# ---------------------------------------------------------------------------------------
# The life of a case (EVENTS.md): vocabulary, then one event per step.
# ---------------------------------------------------------------------------------------

ReasonCode: TypeAlias = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", min_length=1, max_length=80),
]
"""A rule or reason code, as the eligibility rules name their tests (``dibao.income``,
``assets.financial``): data for machines and tests, never prose."""

PolicyVersion: TypeAlias = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", min_length=1, max_length=64)
]
"""The version of the published policy parameters an amount was computed under (政策版本)."""


class CaseCategory(StrEnum):
    """救助类别: the category a case is approved in (values as the eligibility rules name them)."""

    DIBAO = "dibao"  # 最低生活保障 (低保)
    TEKUN = "tekun"  # 特困人员救助供养 (特困)
    MARGINAL = "marginal"  # 低保边缘家庭 (边缘)
    RIGID_EXPENDITURE = "rigid_expenditure"  # 刚性支出困难家庭 (刚性支出)
    DIBAO_PHASE_OUT = "dibao_phase_out"  # 低保渐退 (渐退)


class ApprovalLevel(StrEnum):
    """审批层级: who decided."""

    TOWN = "town"  # 乡镇人民政府（街道办事处）, where approval is delegated
    COUNTY = "county"  # 县级民政部门


class DecisionOutcome(StrEnum):
    """审批结果."""

    APPROVED = "approved"  # 批准
    REJECTED = "rejected"  # 不予批准


class BenefitComponent(StrEnum):
    """The parts a monthly benefit is made of (救助金构成)."""

    GAP = "gap"  # 低保补差: the line minus the household's income
    SUPPLEMENT = "supplement"  # 分类施保: extra for the elderly, disabled, seriously ill, children …
    BASIC_LIVING = "basic_living"  # 特困基本生活费
    CARE = "care"  # 特困照料护理费
    PRICE_SUBSIDY = "price_subsidy"  # 价格临时补贴 (price linkage)


class SupportMode(StrEnum):
    """特困 供养方式."""

    CENTRALISED = "centralised"  # 集中供养 (in a care home)
    DISPERSED = "dispersed"  # 分散供养 (at home, with 委托照料)


class BenefitChangeReason(StrEnum):
    """Why the monthly amounts changed (救助金调整原因)."""

    REVIEW = "review"  # 定期复核 / 动态管理
    PRICE_LINKAGE = "price_linkage"  # 社会救助和保障标准与物价上涨挂钩联动
    MEMBER_CHANGE = "member_change"  # 家庭成员变化 (birth, death of one member, marriage …)
    STANDARD_CHANGE = "standard_change"  # 保障标准调整
    PHASE_OUT = "phase_out"  # 进入渐退期
    SUSPENDED = "suspended"  # 暂停发放 (amounts 0 from `effective_from`)
    RESUMED = "resumed"  # 恢复发放


class TerminationReason(StrEnum):
    """终止救助原因 (DOMAIN-RULES §2.9 for 低保, §3.5 for 特困; the values the eligibility rules use)."""

    DEATH = "death"  # 死亡 / 宣告死亡
    DECLARED_MISSING = "declared_missing"  # 宣告失踪
    INCOME_ABOVE_STANDARD = "income_above_standard"  # 收入超过标准 (incl. the end of a 渐退期)
    ASSETS_EXCEED_LIMITS = "assets_exceed_limits"  # 财产超过规定
    NO_LONGER_ELIGIBLE = "no_longer_eligible"  # 家庭成员变化等不再符合条件
    LABOUR_CAPACITY_RECOVERED = "labour_capacity_recovered"  # 特困: 具备或恢复劳动能力
    IMPRISONED = "imprisoned"  # 服刑
    SUPPORTER_NOW_CAPABLE = "supporter_now_capable"  # 特困: 有了有履行能力的法定义务人
    REFUSED_REVIEW = "refused_review"  # 拒不配合复核
    FRAUD = "fraud"  # 骗取 (虚报冒领)
    MOVED_AWAY = "moved_away"  # 户籍迁出 / 不再在本地居住
    VOLUNTARY_EXIT = "voluntary_exit"  # 本人申请退出
    VALIDITY_ENDED = "validity_ended"  # 刚性支出: 认定有效期届满 (12 months)
    JOB_REFERRALS_REFUSED = "job_referrals_refused"  # 无正当理由拒绝就业介绍 (one member's share)


class TemporaryAssistanceKind(StrEnum):
    """临时救助 类型."""

    EMERGENCY = "emergency"  # 急难型 (先行救助, first aid)
    EXPENDITURE = "expenditure"  # 支出型


class PayoutChannel(StrEnum):
    """How a temporary grant is paid (发放方式)."""

    BANK = "bank"  # 社会化发放, to the payee's bank account
    CASH_AT_TOWN = "cash_at_town"  # 乡镇（街道）现金发放 (急难 first aid)


class ApplicationAcceptedData(EventData):
    """受理: the town accepted an application as complete; checks and investigation start.
    Members are named by person references only."""

    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: RegionCode = Field(description="县级区划代码 of the household")
    town_code: TownCode | None = Field(default=None, description="乡镇（街道）代码 when known (12 digits)")
    accepted_on: date
    members: tuple[PersonRef, ...] = Field(min_length=1, max_length=50, description="共同生活家庭成员")


class ApplicationAccepted(Event):
    """eligibility.application_accepted.v1; subject: the household id."""

    type: Literal["eligibility.application_accepted.v1"] = "eligibility.application_accepted.v1"
    data: ApplicationAcceptedData


class ApplicationDecidedData(EventData):
    """审批: an application was approved or rejected. A rejection names its reasons as codes;
    an approval names the case it opened (the case itself follows as `case_approved`)."""

    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    outcome: DecisionOutcome
    reasons: tuple[ReasonCode, ...] = Field(default=(), max_length=50, description="Reason codes (rule codes)")
    case_id: UUID | None = Field(default=None, description="The case opened, when approved")
    decided_on: date
    deciding_level: ApprovalLevel

    @model_validator(mode="after")
    def _outcome_is_consistent(self) -> Self:
        if self.outcome is DecisionOutcome.REJECTED and (not self.reasons or self.case_id is not None):
            raise ValueError("a rejection names at least one reason and no case")
        if self.outcome is DecisionOutcome.APPROVED and self.case_id is None:
            raise ValueError("an approval names the case it opened")
        return self


class ApplicationDecided(Event):
    """eligibility.application_decided.v1; subject: the household id."""

    type: Literal["eligibility.application_decided.v1"] = "eligibility.application_decided.v1"
    data: ApplicationDecidedData


class BenefitLine(EventData):
    """One member's monthly amount of one component (元/月)."""

    member: PersonRef
    component: BenefitComponent
    monthly: NonNegativeMoney


class BenefitAmounts(EventData):
    """The monthly amounts of a case, per member and component, and their total."""

    lines: tuple[BenefitLine, ...] = Field(min_length=1, max_length=200)
    monthly_total: NonNegativeMoney

    @model_validator(mode="after")
    def _total_is_the_sum(self) -> Self:
        if sum(line.monthly for line in self.lines) != self.monthly_total:
            raise ValueError("monthly_total must be the sum of the lines")
        if len({(line.member.ref, line.component) for line in self.lines}) != len(self.lines):
            raise ValueError("one line per member and component")
        return self


class CaseApprovedData(EventData):
    """批准救助: a case is open and paid from `effective_from`. Payment builds its entitlements,
    monitoring its register, procurement the care assignment of dispersed 特困 (委托照料)."""

    case_id: UUID
    household_id: UUID
    application_id: UUID
    category: CaseCategory
    amounts: BenefitAmounts
    payee: PersonRef = Field(description="领取人: the member the money is paid to")
    effective_from: Period = Field(description="The first month paid (起始发放月份)")
    policy_version: PolicyVersion
    region_code: RegionCode = Field(description="县级区划代码 of the household")
    town_code: TownCode | None = Field(default=None, description="乡镇（街道）代码 when known")
    support_mode: SupportMode | None = Field(default=None, description="特困 only: 集中 / 分散供养")
    conflict_of_interest: bool = Field(
        default=False,
        description="单独登记备案: a member is a recorded close relative of staff or of a 村(居)委会 member",
    )

    @model_validator(mode="after")
    def _support_mode_for_tekun_only(self) -> Self:
        if (self.category is CaseCategory.TEKUN) != (self.support_mode is not None):
            raise ValueError("support_mode is set for 特困 (tekun) cases, and only for them")
        return self


class CaseApproved(Event):
    """eligibility.case_approved.v1; subject: the household id."""

    type: Literal["eligibility.case_approved.v1"] = "eligibility.case_approved.v1"
    data: CaseApprovedData


class BenefitChangedData(EventData):
    """救助金调整: a case's monthly amounts change from `effective_from` (the new amounts in
    full, not a difference)."""

    case_id: UUID
    household_id: UUID
    amounts: BenefitAmounts
    effective_from: Period
    reason: BenefitChangeReason
    policy_version: PolicyVersion


class BenefitChanged(Event):
    """eligibility.benefit_changed.v1; subject: the household id."""

    type: Literal["eligibility.benefit_changed.v1"] = "eligibility.benefit_changed.v1"
    data: BenefitChangedData


class CaseTerminatedData(EventData):
    """终止救助 (停发): a case ends. Nothing is paid after `last_paid_month`; when the decision
    is backdated, what was paid from `overpaid_from` on is to be recovered (追缴, by payment)."""

    case_id: UUID
    household_id: UUID
    reason: TerminationReason
    terminated_on: date
    last_paid_month: Period | None = Field(description="The last month paid; null when nothing was paid")
    overpaid_from: Period | None = Field(default=None, description="First month paid in error, if backdated")

    @model_validator(mode="after")
    def _overpaid_within_paid_months(self) -> Self:
        overpaid, last = self.overpaid_from, self.last_paid_month
        if overpaid is not None and (last is None or overpaid > last):
            raise ValueError("overpaid_from must be a month that was paid (at most last_paid_month)")
        return self


class CaseTerminated(Event):
    """eligibility.case_terminated.v1; subject: the household id."""

    type: Literal["eligibility.case_terminated.v1"] = "eligibility.case_terminated.v1"
    data: CaseTerminatedData


class TemporaryAssistanceGrantedData(EventData):
    """临时救助: a one-off grant (急难型 first aid or 支出型), paid once."""

    grant_id: UUID
    household_id: UUID
    kind: TemporaryAssistanceKind
    amount: NonNegativeMoney
    approval_level: ApprovalLevel
    case_by_case: bool = Field(description="一事一议: above the ordinary cap, decided case by case")
    payout: PayoutChannel
    payee: PersonRef
    granted_on: date
    region_code: RegionCode = Field(description="县级区划代码 where it was granted")
    town_code: TownCode | None = Field(default=None, description="乡镇（街道）代码 when known")


class TemporaryAssistanceGranted(Event):
    """eligibility.temporary_assistance_granted.v1; subject: the household id."""

    type: Literal["eligibility.temporary_assistance_granted.v1"] = "eligibility.temporary_assistance_granted.v1"
    data: TemporaryAssistanceGrantedData
