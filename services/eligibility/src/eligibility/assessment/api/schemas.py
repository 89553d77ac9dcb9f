"""Assessment requests and responses.

The request is the household description a caseworker (or the citizen app's self-check) submits for an
assessment. This is also the public shape the synthetic population generator produces.

Money is Decimal yuan with at most two places (floats are refused); incomes are monthly amounts
for the look-back window, oldest first, most recent last.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from eligibility.assessment.domain.commands import AssessHousehold
from eligibility.assessment.domain.explain import reason_text, shown, step_text, summary, yuan
from eligibility.assessment.domain.model import (
    Assessment,
    DisabilityCategory,
    HouseholdFacts,
    HukouType,
    IncomeCategory,
    MemberFacts,
    MemberStatus,
    Reason,
    Relationship,
    Step,
    TemporaryFacts,
)
from eligibility.assessment.domain.termination import CaseEvent, Trigger
from eligibility.policy.domain.model import ParamRef
from shared.types import (
    CountyCode,
    Money,
    NonEmptyStr,
    NonNegativeMoney,
    Period,
    ResidentId,
    per_mille,
    to_centi_m2,
    to_fen,
)


class Disability(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: DisabilityCategory
    grade: int = Field(strict=True, ge=1, le=4, description="残疾等级 1 (most severe) to 4")


class SelfCare(BaseModel):
    """生活自理能力: True = the person can do it alone (DOMAIN-RULES §3.3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    eating: bool = True  # 自主吃饭
    dressing: bool = True  # 自主穿衣
    bed_transfer: bool = True  # 自主上下床
    toileting: bool = True  # 自主如厕
    indoor_walking: bool = True  # 室内自主行走
    bathing: bool = True  # 自主洗澡


class IncomeItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    category: IncomeCategory
    monthly: list[NonNegativeMoney] = Field(
        min_length=1, max_length=24, description="Monthly amounts, oldest first; never negative"
    )


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    member_id: NonEmptyStr = Field(max_length=40, description="A reference local to this request")
    resident_id: ResidentId | None = Field(
        default=None, description='公民身份号码; or give `birth_date` alone for a what-if ("aged 40")'
    )
    birth_date: date | None = Field(
        default=None,
        ge=date(1900, 1, 1),
        le=date(2100, 12, 31),
        description="When no resident ID is given; if both are, they must agree",
    )
    hukou_type: HukouType | None = Field(
        default=None,
        description="This member's 户籍 type (城镇/农村) in a mixed household; else the household's",
    )
    relationship: Relationship
    co_resident: bool = Field(default=True, description="长期共同居住")
    status: MemberStatus = MemberStatus.NONE
    in_full_time_education: bool = Field(default=False, description="在读 (本科及以下全日制)")
    able_to_live_independently: bool = Field(default=True, description="For adult children: 能独立生活")
    has_labour_capacity: bool = Field(default=True, description="Other than by age or disability")
    disability: Disability | None = None
    serious_illness: bool = Field(default=False, description="On the city's 重特大疾病 list")
    sanwu: bool = Field(default=False, description="三无人员")
    self_care: SelfCare = SelfCare()
    has_able_supporter: bool = Field(default=True, description="有法定义务人且其有履行能力 (特困 test)")
    hukou_region_code: CountyCode | None = Field(
        default=None, description="The county of this member's 户籍 (for the application-place rule, §2.2)"
    )
    current_tekun: bool = Field(default=False, description="Already supported as 特困 (已纳入特困供养)")
    in_secondary_school: bool = Field(
        default=False,
        description="In 义务教育, 普通高中 or 中等职业学校: an existing 特困 recipient keeps support past 18",
    )
    incomes: list[IncomeItem] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _born(self) -> Member:
        if self.resident_id is None and self.birth_date is None:
            raise PydanticCustomError(
                "member_birth_unknown", "give the member's resident_id or birth_date (须提供身份证号或出生日期)"
            )
        if (
            self.resident_id is not None
            and self.birth_date is not None
            and self.birth_date != self.resident_id.birth_date
        ):
            raise PydanticCustomError(
                "birth_date_mismatch", "birth_date differs from the resident ID's (出生日期与身份证号不一致)"
            )
        return self

    @property
    def born(self) -> date:
        if self.resident_id is not None:
            return self.resident_id.birth_date
        assert self.birth_date is not None
        return self.birth_date

    @property
    def masked_id(self) -> str:
        return self.resident_id.masked() if self.resident_id is not None else f"(no ID: {self.member_id})"


class Vehicle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: NonNegativeMoney
    purpose: str = Field(pattern="^(work|disabled_member|private)$")


class Assets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    financial: NonNegativeMoney = Field(
        description="Deposits, securities, funds, insurance cash value, internet finance"
    )
    vehicles: list[Vehicle] = Field(default_factory=list, max_length=20)
    dwellings: int = Field(default=0, strict=True, ge=0, le=50)
    floor_area_m2: NonNegativeMoney = Field(description="Total floor area of all dwellings, m²")
    company_shareholding: bool = Field(default=False, description="A member holds shares in or registers a company")


class RigidExpenditure(BaseModel):
    """刚性支出 over the last 12 months (DOMAIN-RULES §5.3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    medical: NonNegativeMoney = Field(description="Out-of-pocket after insurance")
    education: NonNegativeMoney = Field(description="At the public-institution fee level")
    rehabilitation: NonNegativeMoney
    living: NonNegativeMoney = Field(description="Necessary living costs")


class TemporaryRequest(BaseModel):
    """临时救助: what the household asks for now."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(pattern="^(emergency|expenditure)$")
    cause: NonEmptyStr = Field(max_length=100)
    requested: NonNegativeMoney = Field(description="First-aid amount asked, or the documented out-of-pocket expense")
    prior_grants_same_cause_12m: int = Field(default=0, strict=True, ge=0, le=100)


class CurrentCase(BaseModel):
    """The household's current 低保 case, if any (for 渐退, reviews and termination triggers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monthly_benefit: NonNegativeMoney
    income_rise_from_employment: bool = False
    events: list[CaseEvent] = Field(
        default_factory=list, max_length=20, description="Reported facts since the last review"
    )


class Prices(BaseModel):
    """Year-on-year CPI rises for the benefit month, in percent (e.g. "3.8")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cpi_yoy_percent: Money
    food_cpi_yoy_percent: Money


EXAMPLE_HOUSEHOLD: JsonDict = {
    "region_code": "520102",
    "hukou_type": "urban",
    "benefit_month": "2026-12",
    "members": [
        {
            "member_id": "self",
            "resident_id": "520102198603140421",
            "relationship": "self",
            "incomes": [{"category": "wage", "monthly": ["1200.00"] * 6}],
        },
        {
            "member_id": "mother",
            "resident_id": "520102195408020260",
            "relationship": "parent",
            "has_labour_capacity": False,
            "serious_illness": True,
            "incomes": [{"category": "excluded_basic_pension", "monthly": ["180.00"] * 6}],
        },
        {
            "member_id": "son",
            "resident_id": "520102201509210133",
            "relationship": "child",
            "in_full_time_education": True,
        },
    ],
    "assets": {"financial": "6000.00", "dwellings": 1, "floor_area_m2": "58.5"},
    "applicant_name": "王芳",
}
"""A 3-person urban household in Nanming (南明区): the applicant earns 1200 元 a month, her mother
(seriously ill, a basic pension that is not counted) and her son at school; 低保 in 2026-12."""


class AssessmentCreate(BaseModel):
    """A household to assess (nothing is stored)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, hide_input_in_errors=True, json_schema_extra={"examples": [EXAMPLE_HOUSEHOLD]}
    )

    region_code: CountyCode
    hukou_type: HukouType | None = Field(
        default=None,
        description="The household's 户籍 type; optional when the applicant (relationship `self`) states theirs. "
        "A mixed urban/rural household is assessed on the applicant's (the rules are silent; local practice)",
    )
    benefit_month: Period = Field(description="The policy in force on this month's first day applies")
    members: list[Member] = Field(min_length=1, max_length=30)
    assets: Assets
    rigid_expenditure_12m: RigidExpenditure | None = None
    irregular_income: bool = Field(default=False, description="收入来源不固定 (for the review interval)")
    single_person_member_id: str | None = Field(
        default=None, description="Apply as a single-person household (单人户) for this member (DOMAIN-RULES §2.2)"
    )
    temporary: TemporaryRequest | None = None
    current_case: CurrentCase | None = None
    prices: Prices | None = None
    applicant_name: NonEmptyStr | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _hukou_known(self) -> AssessmentCreate:
        if self.household_hukou is None:
            raise PydanticCustomError(
                "hukou_type_missing",
                "give the household's hukou_type or the applicant's (须提供户籍类型)",
            )
        return self

    @property
    def household_hukou(self) -> HukouType | None:
        """The standard applied: the applicant's own 户籍 type when stated, else the household's."""
        applicant = next((m for m in self.members if m.relationship is Relationship.SELF), None)
        if applicant is not None and applicant.hukou_type is not None:
            return applicant.hukou_type
        return self.hukou_type

    def to_command(self) -> AssessHousehold:
        """The household as the rules see it: integer fen, per mille, the domain's vocabulary."""
        members = tuple(
            MemberFacts(
                member_id=m.member_id,
                birth_date=m.born,
                masked_id=m.masked_id,
                relationship=m.relationship,
                co_resident=m.co_resident,
                status=m.status,
                in_full_time_education=m.in_full_time_education,
                able_to_live_independently=m.able_to_live_independently,
                has_labour_capacity=m.has_labour_capacity,
                disability_category=m.disability.category if m.disability else None,
                disability_grade=m.disability.grade if m.disability else None,
                serious_illness=m.serious_illness,
                sanwu=m.sanwu,
                self_care_failed=sum(not ok for ok in m.self_care.model_dump().values()),
                has_able_supporter=m.has_able_supporter,
                incomes=tuple((i.category, tuple(to_fen(x) for x in i.monthly)) for i in m.incomes),
                current_tekun=m.current_tekun,
                in_secondary_school=m.in_secondary_school,
                hukou_region_code=m.hukou_region_code,
            )
            for m in self.members
        )
        rigid = self.rigid_expenditure_12m
        temporary = self.temporary
        facts = HouseholdFacts(
            region_code=self.region_code,
            hukou=self.household_hukou or HukouType.URBAN,
            benefit_month=self.benefit_month.first_day,
            members=members,
            financial_assets=to_fen(self.assets.financial),
            vehicles=tuple((to_fen(v.value), v.purpose) for v in self.assets.vehicles),
            dwellings=self.assets.dwellings,
            floor_area_centi_m2=to_centi_m2(self.assets.floor_area_m2),
            company_shareholding=self.assets.company_shareholding,
            rigid_expenditure=(
                None
                if rigid is None
                else (
                    to_fen(rigid.medical),
                    to_fen(rigid.education),
                    to_fen(rigid.rehabilitation),
                    to_fen(rigid.living),
                )
            ),
            irregular_income=self.irregular_income,
            single_person_member_id=self.single_person_member_id,
            temporary=(
                None
                if temporary is None
                else TemporaryFacts(
                    temporary.kind, temporary.cause, to_fen(temporary.requested), temporary.prior_grants_same_cause_12m
                )
            ),
            current_benefit=None if self.current_case is None else to_fen(self.current_case.monthly_benefit),
            income_rise_from_employment=bool(self.current_case and self.current_case.income_rise_from_employment),
            cpi_rise=None if self.prices is None else per_mille(self.prices.cpi_yoy_percent),
            food_cpi_rise=None if self.prices is None else per_mille(self.prices.food_cpi_yoy_percent),
        )
        current = self.current_case
        return AssessHousehold(
            facts, has_current_case=current is not None, case_events=frozenset(current.events if current else ())
        )


# ------------------------------------------------------------------------------ responses


class ParameterRead(BaseModel):
    name: str
    value: str
    unit: str
    version: str
    source: str = Field(description="`national`, `illustrative` or a document number")


class StepRead(BaseModel):
    code: str
    value: str
    unit: str = Field(description="`yuan` for money (exact before rounding where the step says so), else as named")
    subject: str | None = Field(description="The member the step is about, if any")
    message_zh: str
    message_en: str
    parameters: list[ParameterRead]


class ReasonRead(BaseModel):
    code: str
    passed: bool
    actual: str
    limit: str
    unit: str
    rule: str
    subject: str | None
    message_zh: str
    message_en: str
    parameters: list[ParameterRead]


class SupplementRead(BaseModel):
    member_id: str
    group: str
    amount: str


class TekunRead(BaseModel):
    member_id: str
    basic: str
    care_tier: str
    care: str
    total: str


class TemporaryRead(BaseModel):
    kind: str
    granted: str
    approval_level: str
    case_by_case: bool = Field(description="一事一议: the documented need exceeds what the rules grant")
    reasons: list[ReasonRead]


class TriggerRead(BaseModel):
    code: str
    scope: str
    rule: str


class PolicyRef(BaseModel):
    version: str
    effective_from: date
    illustrative: bool
    area_group: str
    hukou: str


class AssessmentRead(BaseModel):
    policy: PolicyRef
    benefit_month: str
    category: str
    monthly_total: str = Field(description="低保 (or the 渐退 amount) plus 特困 support, yuan a month")
    household_members: list[str]
    excluded_members: list[dict[str, str]]
    household_income_monthly: str = Field(description="Rounded to the fen for display; rules use the exact value")
    dibao_base: str
    supplements: list[SupplementRead]
    dibao_total: str
    tekun_persons: list[TekunRead]
    phase_out_amount: str
    phase_out_until: str | None
    temporary: TemporaryRead | None
    price_subsidy_per_person: str
    price_subsidy_total: str
    next_review: str | None
    valid_until: str | None
    missing: list[str] = Field(
        default_factory=list,
        description="What a test needed and did not get (12 months of income for 刚性支出 …): supply it",
    )
    summary_zh: str
    summary_en: str
    termination: list[TriggerRead] = Field(description="For an active case: what would stop it (停发 triggers)")
    reasons: list[ReasonRead]
    steps: list[StepRead]


def _param(ref: ParamRef) -> ParameterRead:
    return ParameterRead(name=ref.name, value=str(ref.value), unit=ref.unit, version=ref.version, source=ref.source)


def _unit(unit: str) -> str:
    return {"fen": "yuan", "fen_x": "yuan", "m2_centi": "m2"}.get(unit, unit)


def _step(step: Step) -> StepRead:
    zh, en = step_text(step)
    return StepRead(
        code=step.code,
        value=shown(step.unit, step.value, step.scale),
        unit=_unit(step.unit),
        subject=step.subject,
        message_zh=zh,
        message_en=en,
        parameters=[_param(p) for p in step.params],
    )


def _reason(reason: Reason) -> ReasonRead:
    zh, en = reason_text(reason)
    return ReasonRead(
        code=reason.code,
        passed=reason.passed,
        actual=shown(reason.unit, reason.actual),
        limit=shown(reason.unit, reason.limit),
        unit=_unit(reason.unit),
        rule=reason.rule,
        subject=reason.subject,
        message_zh=zh,
        message_en=en,
        parameters=[_param(p) for p in reason.params],
    )


def _month(day: date | None) -> str | None:
    return None if day is None else str(Period.from_date(day))


def assessment_read(a: Assessment, effective_from: date, triggers: list[Trigger]) -> AssessmentRead:
    zh, en = summary(a)
    temporary = None
    if a.temporary is not None:
        t = a.temporary
        temporary = TemporaryRead(
            kind=t.kind,
            granted=yuan(t.granted),
            approval_level=t.approval_level,
            case_by_case=t.case_by_case,
            reasons=[_reason(r) for r in t.reasons],
        )
    return AssessmentRead(
        policy=PolicyRef(
            version=a.policy_version,
            effective_from=effective_from,
            illustrative=a.policy_illustrative,
            area_group=a.area_group,
            hukou=a.hukou,
        ),
        benefit_month=_month(a.benefit_month) or "",
        category=a.category,
        monthly_total=yuan(a.monthly_total),
        household_members=list(a.unit_member_ids),
        excluded_members=[{"member_id": m, "reason": r} for m, r in a.excluded_members],
        household_income_monthly=yuan(a.household_income_x, a.income_scale),
        dibao_base=yuan(a.dibao_base),
        supplements=[
            SupplementRead(member_id=s.member_id, group=s.group, amount=yuan(s.amount)) for s in a.supplements
        ],
        dibao_total=yuan(a.dibao_total),
        tekun_persons=[
            TekunRead(
                member_id=p.member_id,
                basic=yuan(p.basic),
                care_tier=p.care_tier,
                care=yuan(p.care),
                total=yuan(p.total),
            )
            for p in a.tekun_persons
        ],
        phase_out_amount=yuan(a.phase_out_amount),
        phase_out_until=_month(a.phase_out_until),
        temporary=temporary,
        price_subsidy_per_person=yuan(a.price_subsidy_per_person),
        price_subsidy_total=yuan(a.price_subsidy),
        next_review=_month(a.next_review),
        valid_until=_month(a.valid_until),
        missing=list(a.missing),
        summary_zh=zh,
        summary_en=en,
        termination=[TriggerRead(code=t.code, scope=t.scope, rule=t.rule) for t in triggers],
        reasons=[_reason(r) for r in a.reasons],
        steps=[_step(s) for s in a.steps],
    )
