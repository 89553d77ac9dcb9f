"""The household description a caseworker (or the citizen app's self-check) submits for an
assessment. This is also the public shape the synthetic population generator produces.

Money is Decimal yuan with at most two places (floats are refused); incomes are monthly amounts
for the look-back window, oldest first, most recent last.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from eligibility.domain.termination import CaseEvent
from shared.types import CountyCode, Money, NonEmptyStr, NonNegativeMoney, Period, ResidentId


class HukouType(StrEnum):
    URBAN = "urban"  # 城镇
    RURAL = "rural"  # 农村


class Relationship(StrEnum):
    """Relationship to the applicant (申请人)."""

    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    PARENT_IN_LAW = "parent_in_law"
    CHILD_IN_LAW = "child_in_law"
    OTHER = "other"  # no legal support relationship (a lodger, a friend)


class MemberStatus(StrEnum):
    """Situations that take a person out of the household unit (DOMAIN-RULES §1.1)."""

    NONE = "none"
    RELIGIOUS_AWAY_3Y = "religious_away_3y"  # 宗教教职人员, apart from the family ≥ 3 years
    IMPRISONED = "imprisoned"  # 在监狱内服刑
    COMPULSORY_REHAB = "compulsory_rehab"  # 强制隔离戒毒
    DECLARED_MISSING = "declared_missing"  # 宣告失踪


class DisabilityCategory(StrEnum):
    PHYSICAL = "physical"  # 肢体
    INTELLECTUAL = "intellectual"  # 智力
    MENTAL = "mental"  # 精神
    VISUAL = "visual"  # 视力
    HEARING = "hearing"  # 听力
    SPEECH = "speech"  # 言语
    MULTIPLE = "multiple"  # 多重


class IncomeCategory(StrEnum):
    """DOMAIN-RULES §1.2. The `excluded_*` kinds are recorded but never counted; 高龄津贴
    counts for 低保 and the low-income tests but not for 特困 (§3.1)."""

    WAGE = "wage"  # 工资性收入 (gross; the employment-cost deduction is applied by the rules)
    BUSINESS = "business"  # 经营净收入
    PROPERTY = "property"  # 财产净收入
    TRANSFER = "transfer"  # 转移净收入 (net; a negative month is entered as 0)
    OTHER = "other"
    EXCLUDED_PREFERENTIAL_CARE = "excluded_preferential_care"  # 优待抚恤金
    EXCLUDED_FAMILY_PLANNING = "excluded_family_planning"  # 计划生育奖励与扶助金
    EXCLUDED_REWARD = "excluded_reward"  # 奖学金, 见义勇为 and other rewards
    EXCLUDED_SOCIAL_ASSISTANCE = "excluded_social_assistance"  # 社会救助款物
    EXCLUDED_BASIC_PENSION = "excluded_basic_pension"  # 城乡居民基本养老保险基础养老金
    OLD_AGE_ALLOWANCE = "old_age_allowance"  # 高龄津贴: counted, except for 特困


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
