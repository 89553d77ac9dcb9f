"""The assessment's values (pure). The household as the rules see it: plain, immutable values
in integer fen, in the domain's vocabulary (hukou, relationships, member statuses, disability
kinds, income categories); and the result: an explained assessment (steps, reasons, amounts).

The result types are slotted, non-frozen dataclasses: treat them as values. (A frozen dataclass
costs five times as much to build, and an assessment builds a dozen of them.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from eligibility.policy.domain.model import ParamRef


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
    current_tekun: bool = False
    """Already supported as 特困 (the continuation past 18 applies to existing recipients)."""
    in_secondary_school: bool = False
    """In 义务教育, 普通高中 or 中等职业学校 (not university): keeps 特困 past 18 (§3.1, S5 item 5)."""
    hukou_region_code: str | None = None
    """The county of the member's 户籍, when stated (the application-place rule, §2.2)."""


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


# ------------------------------------------------------------------------------ results

CATEGORY_TEKUN = "tekun"


CATEGORY_DIBAO = "dibao"


CATEGORY_PHASE_OUT = "dibao_phase_out"


CATEGORY_MARGINAL = "marginal"


CATEGORY_RIGID = "rigid_expenditure"


CATEGORY_NONE = "not_eligible"


CATEGORIES = (CATEGORY_TEKUN, CATEGORY_DIBAO, CATEGORY_PHASE_OUT, CATEGORY_MARGINAL, CATEGORY_RIGID, CATEGORY_NONE)


@dataclass(slots=True)
class Step:
    """One computation step: what was computed, its value, and the parameters it used.

    `value` is in the step's `unit`: `fen` (money), `fen_x` (money × `scale`, exact before
    rounding), `flag`, `count`, `years`, `m2_centi`, `month`.
    """

    code: str
    value: int | bool | str
    unit: str
    params: tuple[ParamRef, ...] = ()
    subject: str | None = None  # a member id, when the step is about one person
    scale: int = 1


@dataclass(slots=True)
class Reason:
    """A test and its result: `actual` against `limit` (same unit), citing the rule."""

    code: str
    passed: bool
    actual: int
    limit: int
    unit: str
    rule: str
    params: tuple[ParamRef, ...] = ()
    subject: str | None = None


@dataclass(slots=True)
class TekunPerson:
    member_id: str
    basic: int  # fen per month
    care_tier: str  # self | partial | full
    care: int  # fen per month
    total: int


@dataclass(slots=True)
class Supplement:
    member_id: str
    group: str
    amount: int  # fen


@dataclass(slots=True)
class TemporaryResult:
    kind: str
    granted: int  # fen
    approval_level: str  # town | county | refused
    case_by_case: bool  # 一事一议 flagged
    reasons: tuple[Reason, ...]


@dataclass(slots=True)
class Assessment:
    policy_version: str
    policy_illustrative: bool
    area_group: str
    hukou: str
    benefit_month: date
    category: str = CATEGORY_NONE
    unit_member_ids: tuple[str, ...] = ()
    excluded_members: tuple[tuple[str, str], ...] = ()  # (member id, reason code)
    members_counted: int = 0
    household_income_x: int = 0  # monthly household income × income_scale (exact)
    income_scale: int = 1
    dibao_base: int = 0
    supplements: tuple[Supplement, ...] = ()
    dibao_total: int = 0
    tekun_persons: tuple[TekunPerson, ...] = ()
    phase_out_amount: int = 0
    phase_out_until: date | None = None
    temporary: TemporaryResult | None = None
    price_subsidy_per_person: int = 0
    price_subsidy_persons: int = 0
    next_review: date | None = None
    valid_until: date | None = None
    steps: list[Step] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """What the rules needed and did not get (e.g. 12 months of a member's income for 刚性支出):
    a test that could not be run says so here instead of passing for `not_eligible` alone."""

    @property
    def monthly_total(self) -> int:
        """What the household is paid each month: 低保 (or the 渐退 amount) plus 特困 support."""
        tekun = sum(p.total for p in self.tekun_persons)
        return tekun + (self.phase_out_amount if self.category == CATEGORY_PHASE_OUT else self.dibao_total)

    @property
    def price_subsidy(self) -> int:
        return self.price_subsidy_per_person * self.price_subsidy_persons
