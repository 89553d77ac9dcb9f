"""The household as the rules see it: plain, immutable values in integer fen, in the domain's
vocabulary (hukou, relationships, member statuses, disability kinds, income categories) (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


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


COUNTED_INCOME = frozenset(
    {
        IncomeCategory.WAGE,
        IncomeCategory.BUSINESS,
        IncomeCategory.PROPERTY,
        IncomeCategory.TRANSFER,
        IncomeCategory.OTHER,
        IncomeCategory.OLD_AGE_ALLOWANCE,
    }
)
"""Income categories that count (DOMAIN-RULES §1.2); every `excluded_*` kind is left out."""

NOT_COUNTED_FOR_TEKUN = frozenset({IncomeCategory.OLD_AGE_ALLOWANCE})
"""高龄津贴 is left out of a 特困 applicant's own income (DOMAIN-RULES §3.1, Art. 6 para. 2)
but counts for 低保 (§1.2 does not exclude it)."""

EXCLUSION_STATUSES = frozenset(
    {
        MemberStatus.RELIGIOUS_AWAY_3Y,
        MemberStatus.IMPRISONED,
        MemberStatus.COMPULSORY_REHAB,
        MemberStatus.DECLARED_MISSING,
    }
)


@dataclass(frozen=True, slots=True)
class MemberFacts:
    member_id: str
    birth_date: date
    masked_id: str
    relationship: Relationship
    co_resident: bool
    status: MemberStatus
    in_full_time_education: bool
    able_to_live_independently: bool
    has_labour_capacity: bool
    disability_category: DisabilityCategory | None
    disability_grade: int | None
    serious_illness: bool
    sanwu: bool
    self_care_failed: int
    has_able_supporter: bool
    incomes: tuple[tuple[IncomeCategory, tuple[int, ...]], ...]  # (category, monthly fen, oldest first)


@dataclass(frozen=True, slots=True)
class TemporaryFacts:
    kind: str  # emergency | expenditure
    cause: str
    requested: int  # fen
    prior_grants_same_cause_12m: int


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    region_code: str
    hukou: HukouType
    benefit_month: date  # first day of the benefit month
    members: tuple[MemberFacts, ...]
    financial_assets: int  # fen
    vehicles: tuple[tuple[int, str], ...]  # (value fen, purpose)
    dwellings: int
    floor_area_centi_m2: int  # m² × 100
    company_shareholding: bool
    rigid_expenditure: tuple[int, int, int, int] | None  # medical, education, rehabilitation, living (fen, 12 months)
    irregular_income: bool
    single_person_member_id: str | None
    temporary: TemporaryFacts | None
    current_benefit: int | None  # fen per month of the current 低保 case
    income_rise_from_employment: bool
    cpi_rise: int | None  # per mille of a percent point: 3.8% → 3800
    food_cpi_rise: int | None
