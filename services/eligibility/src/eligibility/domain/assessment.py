"""The statutory eligibility and benefit rules (pure: values in, an explained decision out).

The result types are slotted, non-frozen dataclasses: treat them as values. (A frozen dataclass
costs five times as much to build, and an assessment builds a dozen of them.)

Sources: DOMAIN-RULES.md (national rules, cited as §) and POLICY-DEFAULTS.md (the demo values,
which live in the policy data, never here). Arithmetic is exact and in integers: money in fen,
rates in thousandths; an amount is rounded once, at the end, by `ceil_yuan` (the policy's ⌈⌉ through
`shared.types.round_fen`).

Decisions taken where the sources are silent (a careful caseworker's reading):
- Household unit (§1.1): spouse, minor children and adult children who cannot live alone or are
  in full-time study always count; any other relative counts when living together long-term;
  a person with no legal support relationship never counts; the excluded statuses remove a
  person whatever the relationship.
- 特困 is decided per person among the unit's members. Members found 特困 are supported on
  their own and leave the 低保 unit (their income too); the rest of the household is assessed
  for 低保 without them. If every member is 特困 the household's category is 特困.
- 特困 "无劳动能力" by age: ≥ 60 or under 18 (the minor extension). Keeping the benefit past 18
  while in school is a matter for a recipient's review, not a new application. A general lack
  of labour capacity without age or a listed disability does not qualify (a provincial
  addition, §3.1 (4), not set here). A 多重 (multiple) disability of grade 1–2 counts, since
  it includes a listed severe type.
- Assets are tested per capita on the household's holdings (POLICY-DEFAULTS' "低保 asset test
  for one person" reads as the person's per-capita share): 特困 members leaving the 低保 unit
  take their share with them, so the 低保 unit's asset tests are the household's. (Testing the
  smaller unit against all the assets would let more income raise the total.)
- Incomes are never negative (the API refuses them): a loss month is entered as 0.
- 临时救助 支出型 also needs the 低保边缘 asset test ("property meets local rules", §4.1).
- The employment-cost deduction is applied to the member's average monthly wage.
- 渐退 applies when an active 低保 household fails only the income test and the rise comes
  from a member's work: it keeps its current amount for `phase_out.months` more months.
- 刚性支出 needs 12 months of income data and the rigid expenditure; without them the test
  is not met ("insufficient data" is stated as the reason).
- The price-linked subsidy is paid per person on 低保, 特困 or in a 低保边缘 household.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from eligibility.domain.household import (
    COUNTED_INCOME,
    EXCLUSION_STATUSES,
    NOT_COUNTED_FOR_TEKUN,
    DisabilityCategory,
    HouseholdFacts,
    IncomeCategory,
    MemberFacts,
    Relationship,
)
from eligibility.domain.policy import ParamRef, ResolvedPolicy
from jiuzhu_platform.errors import DomainError
from shared.types import Period, age_in_years, round_fen

CATEGORY_TEKUN = "tekun"
CATEGORY_DIBAO = "dibao"
CATEGORY_PHASE_OUT = "dibao_phase_out"
CATEGORY_MARGINAL = "marginal"
CATEGORY_RIGID = "rigid_expenditure"
CATEGORY_NONE = "not_eligible"
CATEGORIES = (CATEGORY_TEKUN, CATEGORY_DIBAO, CATEGORY_PHASE_OUT, CATEGORY_MARGINAL, CATEGORY_RIGID, CATEGORY_NONE)

ALWAYS_IN_UNIT = frozenset({Relationship.SELF, Relationship.SPOUSE})
WITH_CO_RESIDENCE = frozenset(
    {
        Relationship.PARENT,
        Relationship.GRANDPARENT,
        Relationship.GRANDCHILD,
        Relationship.SIBLING,
        Relationship.PARENT_IN_LAW,
        Relationship.CHILD_IN_LAW,
    }
)
MIND = frozenset({DisabilityCategory.INTELLECTUAL, DisabilityCategory.MENTAL})
"""智力 and 精神: disability kinds with their own, wider grade limits."""


class InconsistentHousehold(DomainError):
    """The description cannot be assessed as given (422 with field-level errors)."""

    status_code = 422

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str, str]]) -> None:
        errors = [{"loc": ["body", *loc], "msg": msg, "type": kind} for loc, msg, kind in problems]
        super().__init__("; ".join(p[1] for p in problems), message_zh="家庭信息不一致，无法认定", errors=errors)


# ------------------------------------------------------------------------------ explanation


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

    @property
    def monthly_total(self) -> int:
        """What the household is paid each month: 低保 (or the 渐退 amount) plus 特困 support."""
        tekun = sum(p.total for p in self.tekun_persons)
        return tekun + (self.phase_out_amount if self.category == CATEGORY_PHASE_OUT else self.dibao_total)

    @property
    def price_subsidy(self) -> int:
        return self.price_subsidy_per_person * self.price_subsidy_persons


# ------------------------------------------------------------------------------ arithmetic


def ceil_yuan(numerator: int, denominator: int = 1) -> int:
    """The policy's ⌈⌉ (POLICY-DEFAULTS): `numerator / denominator` fen rounded up to a whole
    yuan, in fen; rounding up favours the household. This is the project's one rounding
    function, `shared.types.round_fen`, with the unit and direction the policy sets."""
    return round_fen(numerator, denominator, unit="yuan", mode="up")


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s (`shared.types.Period.shift`)."""
    return Period.from_date(day).shift(months).first_day


# ------------------------------------------------------------------------------ rules


def household_unit(facts: HouseholdFacts, day: date) -> tuple[list[MemberFacts], list[tuple[str, str]]]:
    """共同生活的家庭成员 (§1.1): who counts, and why each other person does not."""
    included: list[MemberFacts] = []
    excluded: list[tuple[str, str]] = []
    for m in facts.members:
        if m.status in EXCLUSION_STATUSES:
            excluded.append((m.member_id, m.status))
            continue
        relation = m.relationship
        if relation in ALWAYS_IN_UNIT:
            included.append(m)
        elif relation == Relationship.CHILD:
            minor = age_in_years(m.birth_date, day) < 18
            if minor or m.in_full_time_education or not m.able_to_live_independently or m.co_resident:
                included.append(m)
            else:
                excluded.append((m.member_id, "adult_child_living_apart"))
        elif relation in WITH_CO_RESIDENCE:
            if m.co_resident:
                included.append(m)
            else:
                excluded.append((m.member_id, "not_co_resident"))
        else:
            excluded.append((m.member_id, "no_support_relationship"))
    return included, excluded


def is_severely_disabled(m: MemberFacts) -> bool:
    """重度残疾 for 分类施保 and 单人户: grade 1–2 of any kind, or grade 3 intellectual/mental."""
    grade = m.disability_grade
    if grade is None:
        return False
    return grade <= 2 or (grade == 3 and m.disability_category in MIND)


def disability_means_no_labour_capacity(m: MemberFacts) -> bool:
    """特困 无劳动能力 by disability (§3.1): 智力/精神 1–3, 肢体 1–2, 视力 1."""
    grade, category = m.disability_grade, m.disability_category
    if grade is None:
        return False
    if category in MIND:
        return grade <= 3
    if category == DisabilityCategory.PHYSICAL:
        return grade <= 2
    if category == DisabilityCategory.VISUAL:
        return grade == 1
    if category == DisabilityCategory.MULTIPLE:
        return grade <= 2
    return False


@dataclass(slots=True)
class MemberIncome:
    """One member's counted income, × 1000 and net of the employment-cost deduction (rate ×
    wage, capped per employed member), exact, over the look-back window and over 12 months."""

    total_x1000: int
    deduction_x1000: int
    complete: bool  # every counted item covers the whole look-back window
    tekun_total_x1000: int  # the same without 高龄津贴 (§3.1)
    year_total_x1000: int
    year_complete: bool


def member_income(m: MemberFacts, policy: ResolvedPolicy) -> MemberIncome:
    months = policy.lookback_months
    year = policy.rigid_lookback_months
    wage = other = wage_year = other_year = tekun_excluded = 0
    complete = year_complete = True
    for category, monthly in m.incomes:
        if category not in COUNTED_INCOME:
            continue
        size = len(monthly)
        if size < months:
            complete = False
        if size < year:
            year_complete = False
        if category == IncomeCategory.WAGE:
            wage += sum(monthly[-months:])
            wage_year += sum(monthly[-year:])
        else:
            window = sum(monthly[-months:])
            other += window
            other_year += sum(monthly[-year:])
            if category in NOT_COUNTED_FOR_TEKUN:
                tekun_excluded += window
    rate = policy.employment_cost_rate
    cap = policy.employment_cost_cap * 1000
    deduction = min(wage * rate, cap * months) if wage else 0
    deduction_year = min(wage_year * rate, cap * year) if wage_year else 0
    total = (wage + other) * 1000 - deduction
    return MemberIncome(
        total,
        deduction,
        complete,
        total - tekun_excluded * 1000,
        (wage_year + other_year) * 1000 - deduction_year,
        year_complete,
    )


def household_income(
    members: list[MemberFacts],
    incomes: dict[str, MemberIncome],
    policy: ResolvedPolicy,
    steps: list[Step],
) -> int:
    """Σ member income over the look-back window (× 1000), explained per member."""
    total = 0
    scale = policy.lookback_months * 1000
    for m in members:
        income = incomes[m.member_id]
        total += income.total_x1000
        if income.total_x1000:
            steps.append(Step("income.member_total", income.total_x1000, "fen_x", (), m.member_id, scale))
            if income.deduction_x1000:
                steps.append(
                    Step(
                        "income.employment_cost_deduction",
                        income.deduction_x1000,
                        "fen_x",
                        policy.cites[
                            (
                                "income.employment_cost_rate",
                                "income.employment_cost_cap_min_wage_multiple",
                                "minimum_wage.tier1",
                            )
                        ],
                        m.member_id,
                        scale,
                    )
                )
    return total


def financial_reason(facts: HouseholdFacts, n: int, policy: ResolvedPolicy, months: int, name: str) -> Reason:
    """Financial assets per capita at most `months` × the monthly standard."""
    limit = months * policy.standard * n
    return Reason(
        "assets.financial",
        facts.financial_assets <= limit,
        facts.financial_assets,
        limit,
        "fen",
        "POLICY-DEFAULTS 低保 assets; DOMAIN-RULES §1.3",
        policy.cites[(name, "dibao_standard")],
    )


@dataclass(slots=True)
class AssetTests:
    """The asset test, one named reason per test (POLICY-DEFAULTS 低保 "Assets"; §1.3). The
    financial test depends on the kind of assistance (its limit in months); the vehicle,
    dwelling and company tests are the same for all of them (`physical`)."""

    financial: Reason
    vehicles: Reason
    dwellings: Reason
    company: Reason

    @property
    def reasons(self) -> list[Reason]:
        """Every test, the financial one first."""
        return [self.financial, self.vehicles, self.dwellings, self.company]

    @property
    def physical(self) -> tuple[Reason, Reason, Reason]:
        """The tests other than the financial one: vehicles, dwellings, company."""
        return (self.vehicles, self.dwellings, self.company)

    @property
    def physical_passed(self) -> bool:
        return self.vehicles.passed and self.dwellings.passed and self.company.passed

    @property
    def passed(self) -> bool:
        return self.financial.passed and self.physical_passed


def asset_tests(facts: HouseholdFacts, n: int, policy: ResolvedPolicy, financial_months: int, name: str) -> AssetTests:
    """The asset test (all must hold): financial assets per capita, vehicles, dwellings,
    companies (POLICY-DEFAULTS 低保 "Assets"; §1.3)."""
    exempt_ok = True
    if facts.vehicles:
        exempt_ok = len(facts.vehicles) <= policy.exempt_vehicles_max and all(
            value < policy.vehicle_value_limit and purpose in ("work", "disabled_member")
            for value, purpose in facts.vehicles
        )
    area_limit = policy.second_dwelling_centi_m2_per_person * n
    dwellings_ok = facts.dwellings <= 1 or (facts.dwellings == 2 and facts.floor_area_centi_m2 <= area_limit)
    return AssetTests(
        financial_reason(facts, n, policy, financial_months, name),
        Reason(
            "assets.vehicles",
            exempt_ok,
            len(facts.vehicles),
            policy.exempt_vehicles_max,
            "count",
            "POLICY-DEFAULTS 低保 assets (one vehicle under the limit, for work or a disabled member)",
            policy.cites[("assets.vehicle_value_limit", "assets.exempt_vehicles_max")],
        ),
        Reason(
            "assets.dwellings",
            dwellings_ok,
            facts.floor_area_centi_m2 if facts.dwellings == 2 else facts.dwellings,
            area_limit if facts.dwellings == 2 else 1,
            "m2_centi" if facts.dwellings == 2 else "count",
            "POLICY-DEFAULTS 低保 assets (one dwelling, or two within the floor area per person)",
            policy.cites[("assets.second_dwelling_area_per_person",)],
        ),
        Reason(
            "assets.company",
            not facts.company_shareholding,
            int(facts.company_shareholding),
            0,
            "flag",
            "POLICY-DEFAULTS 低保 assets (no company shares or registration)",
        ),
    )


def _care_tier(m: MemberFacts, policy: ResolvedPolicy) -> tuple[str, int, ParamRef]:
    failed = m.self_care_failed
    if failed >= policy.tekun_full_from_failed:
        return "full", policy.tekun_care_full, policy.ref("tekun.care.full")
    if failed >= policy.tekun_partial_from_failed:
        return "partial", policy.tekun_care_partial, policy.ref("tekun.care.partial")
    return "self", policy.tekun_care_self, policy.ref("tekun.care.self")


def tekun_test(
    m: MemberFacts, own_income_x1000: int, assets_ok: bool, policy: ResolvedPolicy, day: date, out: list[Reason]
) -> bool:
    """特困 (§3.1): no labour capacity, no source of living, no able supporter — all three.
    A person with an able supporter is not 特困 and gets no 特困 reasons listed."""
    if m.has_able_supporter:
        return False
    age = age_in_years(m.birth_date, day)
    by_age = age >= policy.tekun_elderly_age or age < policy.tekun_minor_extended_age
    incapable = by_age or disability_means_no_labour_capacity(m)
    income_limit = policy.standard * policy.lookback_months * 1000
    no_living = own_income_x1000 < income_limit and assets_ok
    out.append(
        Reason(
            "tekun.no_labour_capacity",
            incapable,
            age,
            policy.tekun_elderly_age,
            "years",
            "DOMAIN-RULES §3.1 (age ≥ 60, under 18, or the listed disability grades)",
            policy.cites[("tekun.elderly_age", "tekun.minor_extended_age")],
            m.member_id,
        )
    )
    out.append(
        Reason(
            "tekun.no_source_of_living",
            no_living,
            own_income_x1000 // (policy.lookback_months * 1000),
            policy.standard,
            "fen",
            "DOMAIN-RULES §3.1 (own income below the dibao standard, 低保 asset test)",
            policy.cites[("dibao_standard", "income.lookback_months")],
            m.member_id,
        )
    )
    out.append(
        Reason(
            "tekun.no_able_supporter",
            True,
            0,
            0,
            "flag",
            "DOMAIN-RULES §3.1 (无法定义务人 or 义务人无履行能力, Art. 8)",
            (),
            m.member_id,
        )
    )
    return incapable and no_living


def single_person_allowed(m: MemberFacts, day: date, months: int) -> bool:
    """单人户 (§2.2, S6): an adult without work (no wage in the look-back window) who is
    severely disabled."""
    adult = age_in_years(m.birth_date, day) >= 18
    has_wage = any(category == IncomeCategory.WAGE and any(monthly[-months:]) for category, monthly in m.incomes)
    return adult and not has_wage and is_severely_disabled(m)


def _supplement(m: MemberFacts, policy: ResolvedPolicy, day: date) -> tuple[str, int, ParamRef] | None:
    """分类施保: the highest share among the groups the member is in."""
    best: tuple[str, int, ParamRef] | None = None
    age = age_in_years(m.birth_date, day)
    candidates = (
        ("sanwu", m.sanwu, policy.supplement_sanwu, "dibao.supplement.sanwu"),
        (
            "severe_disability",
            is_severely_disabled(m),
            policy.supplement_severe_disability,
            "dibao.supplement.severe_disability",
        ),
        ("serious_illness", m.serious_illness, policy.supplement_serious_illness, "dibao.supplement.serious_illness"),
        ("aged", age >= policy.supplement_aged_from_age, policy.supplement_aged, "dibao.supplement.aged"),
        ("minor", age < policy.supplement_minor_below_age, policy.supplement_minor, "dibao.supplement.minor"),
    )
    for group, applies, share, name in candidates:
        if applies and (best is None or share > best[1]):
            best = (group, share, policy.ref(name))
    return best


def check_consistency(facts: HouseholdFacts, policy: ResolvedPolicy) -> None:
    """What makes a description impossible to assess (422 with field-level errors)."""
    members = facts.members
    applicants = 0
    ids = set()
    problems: list[tuple[tuple[str | int, ...], str, str]] = []
    months = policy.lookback_months
    for index, m in enumerate(members):
        ids.add(m.member_id)
        if m.relationship == Relationship.SELF:
            applicants += 1
        if m.birth_date > facts.benefit_month:
            problems.append(
                (("members", index, "resident_id"), "born after the first day of the benefit month", "born_after_month")
            )
        for item, (category, monthly) in enumerate(m.incomes):
            if len(monthly) < months and category in COUNTED_INCOME:
                problems.append(
                    (
                        ("members", index, "incomes", item, "monthly"),
                        f"needs at least {months} months (the income look-back window)",
                        "income_window_incomplete",
                    )
                )
    if len(ids) != len(members):
        problems.append((("members",), "member_id values must be unique", "duplicate_member_id"))
    if applicants != 1:
        problems.append(
            (("members",), "exactly one member must have relationship 'self' (the applicant)", "applicant_count")
        )
    if facts.single_person_member_id is not None and facts.single_person_member_id not in ids:
        problems.append((("single_person_member_id",), "no member has this member_id", "unknown_member"))
    if problems:
        raise InconsistentHousehold(problems)


def assess(facts: HouseholdFacts, policy: ResolvedPolicy) -> Assessment:
    """Assess one household for every kind of assistance, with the explanation."""
    check_consistency(facts, policy)
    day = facts.benefit_month
    result = Assessment(policy.version, policy.illustrative, policy.area_group, policy.hukou, day)
    steps = result.steps
    reasons = result.reasons
    steps.append(Step("policy.standard", policy.standard, "fen", policy.cites[("dibao_standard",)]))

    unit, excluded = household_unit(facts, day)
    if facts.single_person_member_id is not None:
        person = next(m for m in facts.members if m.member_id == facts.single_person_member_id)
        # a person whose status removes them from every unit cannot be a household of one
        allowed = person in unit and single_person_allowed(person, day, policy.lookback_months)
        reasons.append(
            Reason(
                "unit.single_person",
                allowed,
                int(allowed),
                1,
                "flag",
                "DOMAIN-RULES §2.2 (单人户: adult, no work, severe disability)",
            )
        )
        if allowed:
            excluded = [(m.member_id, "single_person_application") for m in unit if m is not person] + excluded
            unit = [person]
    result.excluded_members = tuple(excluded)
    if not unit:
        raise InconsistentHousehold([(("members",), "no member belongs to the household unit", "empty_unit")])
    steps.append(Step("unit.members", len(unit), "count"))

    incomes = {m.member_id: member_income(m, policy) for m in unit}
    # 特困, per person, with the household's asset test
    n_all = len(unit)
    assets_all = asset_tests(facts, n_all, policy, policy.financial_limit_months, "assets.financial_limit_months")
    assets_ok_all = assets_all.passed
    tekun: list[TekunPerson] = []
    for m in unit:
        if tekun_test(m, incomes[m.member_id].tekun_total_x1000, assets_ok_all, policy, day, reasons):
            basic = ceil_yuan(policy.urban_standard * policy.tekun_basic_multiple, 1000)
            tier, share, ref = _care_tier(m, policy)
            care = ceil_yuan(policy.min_wage_tier1 * share, 1000)
            tekun.append(TekunPerson(m.member_id, basic, tier, care, basic + care))
            steps.append(
                Step(
                    "tekun.basic",
                    basic,
                    "fen",
                    policy.cites[("dibao_standard.urban", "tekun.basic_multiple")],
                    m.member_id,
                )
            )
            steps.append(Step("tekun.care", care, "fen", (ref, policy.ref("minimum_wage.tier1")), m.member_id))
    result.tekun_persons = tuple(tekun)
    if tekun:
        tekun_ids = {p.member_id for p in tekun}
        dibao_unit = [m for m in unit if m.member_id not in tekun_ids]
    else:
        dibao_unit = unit
    result.unit_member_ids = tuple(m.member_id for m in dibao_unit)
    n = len(dibao_unit)
    result.members_counted = n

    if n == 0:
        result.category = CATEGORY_TEKUN
    else:
        _assess_dibao_and_low_income(facts, dibao_unit, n_all, incomes, assets_all, policy, result)

    if facts.temporary is not None:
        result.temporary = _temporary(facts, max(n, 1), n_all, assets_all, result, policy)
    _price_subsidy(facts, result, policy)
    _review(facts, dibao_unit, result, policy)
    return result


def _assess_dibao_and_low_income(
    facts: HouseholdFacts,
    unit: list[MemberFacts],
    n_all: int,
    incomes: dict[str, MemberIncome],
    assets: AssetTests,
    policy: ResolvedPolicy,
    result: Assessment,
) -> None:
    """低保, 渐退, 边缘, 刚性支出 for the unit without its 特困 members. The asset tests are the
    household's (`n_all`, per capita), see the module docstring."""
    steps, reasons = result.steps, result.reasons
    n = len(unit)
    months = policy.lookback_months
    total_x1000 = household_income(unit, incomes, policy, steps)
    scale = months * 1000
    result.household_income_x = total_x1000
    result.income_scale = scale
    steps.append(
        Step(
            "income.household_monthly",
            total_x1000,
            "fen_x",
            policy.cites[("income.lookback_months",)],
            None,
            scale,
        )
    )
    income_limit = policy.standard * n * scale
    income_ok = total_x1000 < income_limit
    reasons.append(
        Reason(
            "dibao.income",
            income_ok,
            round_fen(total_x1000, scale, unit="fen", mode="half_up"),  # shown in the reason
            policy.standard * n,
            "fen",
            "POLICY-DEFAULTS 低保 (per-capita income below the standard); DOMAIN-RULES §1.2",
            policy.cites[("dibao_standard",)],
        )
    )
    reasons.extend(assets.reasons)
    assets_ok = assets.passed

    if income_ok and assets_ok:
        result.category = CATEGORY_DIBAO
        gap = ceil_yuan(income_limit - total_x1000, scale)
        floor = policy.benefit_floor_per_member * n
        base = max(gap, floor)
        steps.append(Step("dibao.gap", gap, "fen", policy.cites[("dibao_standard",)]))
        steps.append(Step("dibao.floor", floor, "fen", policy.cites[("dibao.benefit_floor_per_member",)]))
        supplements = []
        for m in unit:
            best = _supplement(m, policy, facts.benefit_month)
            if best is not None:
                group, share, ref = best
                amount = ceil_yuan(policy.standard * share, 1000)
                supplements.append(Supplement(m.member_id, group, amount))
                steps.append(Step("dibao.supplement", amount, "fen", (ref, policy.ref("dibao_standard")), m.member_id))
        result.dibao_base = base
        result.supplements = tuple(supplements)
        result.dibao_total = base + sum(s.amount for s in supplements)
        steps.append(Step("dibao.total", result.dibao_total, "fen"))
        return

    if facts.current_benefit is not None and facts.income_rise_from_employment and assets_ok and not income_ok:
        result.category = CATEGORY_PHASE_OUT
        result.phase_out_amount = facts.current_benefit
        result.phase_out_until = add_months(facts.benefit_month, policy.phase_out_months - 1)
        steps.append(Step("dibao.phase_out", facts.current_benefit, "fen", policy.cites[("phase_out.months",)]))
        return

    marginal_limit = policy.standard * n * months * policy.marginal_income_multiple
    marginal_income_ok = total_x1000 < marginal_limit
    reasons.append(
        Reason(
            "marginal.income",
            marginal_income_ok,
            round_fen(total_x1000, scale, unit="fen", mode="half_up"),  # shown in the reason
            marginal_limit // scale,
            "fen",
            "POLICY-DEFAULTS 低保边缘 (per-capita income below 1.5 × the standard); DOMAIN-RULES §5.2",
            policy.cites[("marginal.income_multiple", "dibao_standard")],
        )
    )
    marginal_financial = financial_reason(
        facts, n_all, policy, policy.marginal_financial_limit_months, "marginal.financial_limit_months"
    )
    marginal_assets_ok = marginal_financial.passed and assets.physical_passed
    reasons.append(marginal_financial)
    if marginal_income_ok and marginal_assets_ok:
        result.category = CATEGORY_MARGINAL
        result.valid_until = None
        return

    year_total_x1000 = 0
    year_complete = facts.rigid_expenditure is not None
    for m in unit:
        income = incomes[m.member_id]
        year_total_x1000 += income.year_total_x1000
        year_complete = year_complete and income.year_complete
    if facts.rigid_expenditure is None or not year_complete:
        reasons.append(
            Reason(
                "rigid.data",
                False,
                0,
                1,
                "flag",
                "DOMAIN-RULES §5.3 (needs 12 months of income and the rigid expenditure)",
            )
        )
        result.category = CATEGORY_NONE
        return
    rigid_total = sum(facts.rigid_expenditure)
    year_limit = policy.disposable_income_year * n * 1000
    below_disposable = year_total_x1000 < year_limit
    ratio_met = rigid_total * 1000 * 1000 > policy.rigid_expense_ratio * year_total_x1000
    reasons.append(
        Reason(
            "rigid.income",
            below_disposable,
            year_total_x1000 // 1000,
            policy.disposable_income_year * n,
            "fen",
            "DOMAIN-RULES §5.3 (per-capita income below the prior-year disposable income)",
            policy.cites[("rigid.disposable_income",)],
        )
    )
    reasons.append(
        Reason(
            "rigid.expense_ratio",
            ratio_met,
            rigid_total,
            policy.rigid_expense_ratio * year_total_x1000 // 1_000_000,
            "fen",
            "DOMAIN-RULES §5.3 (12-month rigid expenditure above the ratio of income)",
            policy.cites[("rigid.expense_ratio", "rigid.lookback_months")],
        )
    )
    if below_disposable and ratio_met and marginal_assets_ok:
        result.category = CATEGORY_RIGID
        result.valid_until = add_months(facts.benefit_month, policy.rigid_validity_months - 1)
    else:
        result.category = CATEGORY_NONE


def _temporary(
    facts: HouseholdFacts, n: int, n_all: int, assets: AssetTests, result: Assessment, policy: ResolvedPolicy
) -> TemporaryResult:
    request = facts.temporary
    assert request is not None
    reasons: list[Reason] = []
    if request.kind == "emergency":
        ceiling = policy.temporary_emergency_multiple * policy.six_district_standard
        granted = min(request.requested, ceiling)
        reasons.append(
            Reason(
                "temporary.emergency_ceiling",
                request.requested <= ceiling,
                request.requested,
                ceiling,
                "fen",
                "POLICY-DEFAULTS 临时救助 急难型 (先行救助 up to 3 × the six-district standard); DOMAIN-RULES §4.2",
                policy.cites[("temporary.emergency_multiple", "dibao_standard.six_districts.urban")],
            )
        )
        return TemporaryResult("emergency", granted, "town", request.requested > ceiling, tuple(reasons))
    within_limit = request.prior_grants_same_cause_12m < policy.temporary_max_grants
    reasons.append(
        Reason(
            "temporary.repeat_limit",
            within_limit,
            request.prior_grants_same_cause_12m,
            policy.temporary_max_grants,
            "count",
            "POLICY-DEFAULTS 临时救助 (at most twice in 12 months for the same cause)",
            policy.cites[("temporary.max_grants_same_cause_12m",)],
        )
    )
    year_limit_x = policy.disposable_income_year * n * result.income_scale
    income_ok = result.household_income_x * 12 < year_limit_x if result.members_counted else True
    reasons.append(
        Reason(
            "temporary.income",
            income_ok,
            result.household_income_x * 12 // max(result.income_scale, 1),
            policy.disposable_income_year * n,
            "fen",
            "POLICY-DEFAULTS 临时救助 支出型 (annualised per-capita income below the prior-year disposable income)",
            policy.cites[("rigid.disposable_income",)],
        )
    )
    financial = financial_reason(
        facts, n_all, policy, policy.marginal_financial_limit_months, "marginal.financial_limit_months"
    )
    reasons.append(financial)
    assets_ok = financial.passed and assets.physical_passed
    reasons.extend(r for r in assets.physical if not r.passed)
    cap = policy.temporary_cap_multiple * policy.standard * n
    town_limit = policy.temporary_town_multiple * policy.standard * n
    if not (within_limit and income_ok and assets_ok):
        return TemporaryResult("expenditure", 0, "refused", False, tuple(reasons))
    granted = min(request.requested, cap)
    reasons.append(
        Reason(
            "temporary.cap",
            request.requested <= cap,
            request.requested,
            cap,
            "fen",
            "POLICY-DEFAULTS 临时救助 支出型 (cap 6 × standard × members; above it 一事一议)",
            policy.cites[("temporary.expenditure_cap_multiple", "dibao_standard")],
        )
    )
    level = "town" if granted <= town_limit else "county"
    return TemporaryResult("expenditure", granted, level, request.requested > cap, tuple(reasons))


def _price_subsidy(facts: HouseholdFacts, result: Assessment, policy: ResolvedPolicy) -> None:
    """价格临时补贴: ⌈standard × rise⌉ per person on 低保/特困/边缘 when a trigger fires."""
    if facts.cpi_rise is None or facts.food_cpi_rise is None:
        return
    rises = []
    if facts.cpi_rise >= policy.cpi_trigger:
        rises.append(facts.cpi_rise)
    if facts.food_cpi_rise >= policy.food_cpi_trigger:
        rises.append(facts.food_cpi_rise)
    persons = len(result.tekun_persons)
    if result.category in (CATEGORY_DIBAO, CATEGORY_PHASE_OUT, CATEGORY_MARGINAL):
        persons += result.members_counted
    if not rises or persons == 0:
        return
    rise = max(rises)  # per mille of a percent: standard × rise / 100 / 1000
    per_person = ceil_yuan(policy.standard * rise, 100_000)
    result.price_subsidy_per_person = per_person
    result.price_subsidy_persons = persons
    result.steps.append(
        Step(
            "price.subsidy_per_person",
            per_person,
            "fen",
            policy.cites[("price.cpi_trigger_percent", "price.food_cpi_trigger_percent", "dibao_standard")],
        )
    )


def _review(facts: HouseholdFacts, unit: list[MemberFacts], result: Assessment, policy: ResolvedPolicy) -> None:
    """复核 (§2.9): every 12 months; 6 when income is irregular and a member aged 16–59 can work.
    特困: every 12 months."""
    if result.category in (CATEGORY_DIBAO, CATEGORY_PHASE_OUT):
        day = facts.benefit_month
        can_work = any(
            policy.working_age_from <= age_in_years(m.birth_date, day) <= policy.working_age_to
            and m.has_labour_capacity
            and not disability_means_no_labour_capacity(m)
            for m in unit
        )
        months = policy.review_variable_months if facts.irregular_income and can_work else policy.review_stable_months
        result.next_review = add_months(day, months)
        name = (
            "review.variable_months"
            if months == policy.review_variable_months and facts.irregular_income
            else "review.stable_months"
        )
        result.steps.append(Step("review.interval", months, "months", policy.cites[(name,)]))
    elif result.tekun_persons:
        result.next_review = add_months(facts.benefit_month, policy.review_tekun_months)
        result.steps.append(
            Step("review.interval", policy.review_tekun_months, "months", policy.cites[("review.tekun_months",)])
        )


def dibao_baseline(facts: HouseholdFacts, policy: ResolvedPolicy) -> int:
    """The bare 补差 formula (no unit rules, no deduction, no explanation): the benchmark's
    baseline over the same data."""
    months = policy.lookback_months
    total = 0
    for m in facts.members:
        for category, monthly in m.incomes:
            if category in COUNTED_INCOME:
                total += sum(monthly[-months:])
    n = len(facts.members)
    gap = ceil_yuan(policy.standard * n * months - total, months)
    return max(gap, policy.benefit_floor_per_member * n)
