"""The household description a caseworker (or the citizen app's self-check) submits for an
assessment. This is also the public shape the synthetic population generator produces.

Money is Decimal yuan with at most two places (floats are refused); incomes are monthly amounts
for the look-back window, oldest first, most recent last.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eligibility.domain.commands import AssessHousehold
from eligibility.domain.household import (
    DisabilityCategory,
    HouseholdFacts,
    HukouType,
    IncomeCategory,
    MemberFacts,
    MemberStatus,
    Relationship,
    TemporaryFacts,
)
from eligibility.domain.termination import CaseEvent
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
    resident_id: ResidentId
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
    incomes: list[IncomeItem] = Field(default_factory=list, max_length=20)


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


class AssessmentCreate(BaseModel):
    """A household to assess (nothing is stored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    region_code: CountyCode
    hukou_type: HukouType
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

    def to_command(self) -> AssessHousehold:
        """The household as the rules see it: integer fen, per mille, the domain's vocabulary."""
        members = tuple(
            MemberFacts(
                member_id=m.member_id,
                birth_date=m.resident_id.birth_date,
                masked_id=m.resident_id.masked(),
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
            )
            for m in self.members
        )
        rigid = self.rigid_expenditure_12m
        temporary = self.temporary
        facts = HouseholdFacts(
            region_code=self.region_code,
            hukou=self.hukou_type,
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
