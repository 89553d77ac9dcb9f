"""The statutory eligibility and benefit rules (pure: values in, an explained decision out).

`assess` runs the rule families, one module each: the household unit (`unit`), income
(`income`), assets (`assets`), 特困 (`tekun`), 低保 and the low-income tests (`dibao`), 临时救助
(`temporary`) and the amounts (`amounts`); the values are in `model`.

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

import dataclasses

from eligibility.assessment.domain.amounts import add_months, ceil_yuan, price_subsidy
from eligibility.assessment.domain.assets import asset_tests
from eligibility.assessment.domain.dibao import assess_dibao_and_low_income
from eligibility.assessment.domain.errors import InconsistentHousehold
from eligibility.assessment.domain.income import member_income
from eligibility.assessment.domain.model import (
    CATEGORY_DIBAO,
    CATEGORY_MARGINAL,
    CATEGORY_PHASE_OUT,
    CATEGORY_TEKUN,
    COUNTED_INCOME,
    Assessment,
    HouseholdFacts,
    MemberFacts,
    Reason,
    Relationship,
    Step,
    TekunPerson,
)
from eligibility.assessment.domain.tekun import care_tier, tekun_test
from eligibility.assessment.domain.temporary import temporary_assistance
from eligibility.assessment.domain.unit import (
    disability_means_no_labour_capacity,
    household_unit,
    is_severely_disabled,
    single_person_allowed,
)
from eligibility.policy.domain.model import ResolvedPolicy
from shared.types import age_in_years


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
    place = application_place(facts)
    if place is not None:
        reasons.append(place)

    unit, excluded = household_unit(facts, day)
    if facts.single_person_member_id is not None:
        person = next(m for m in facts.members if m.member_id == facts.single_person_member_id)
        # a person whose status removes them from every unit cannot be a household of one
        allowed = person in unit and single_person_allowed(person, day, policy.lookback_months)
        if not allowed and person in unit and (is_severely_disabled(person) or person.serious_illness):
            # 单独申请 (§2.2 Art. 8; §5.2 S6 §1(4)): a 重残 or 重病 member of a 低保边缘 household
            whole = assess(dataclasses.replace(facts, single_person_member_id=None), policy)
            allowed = whole.category == CATEGORY_MARGINAL
        reasons.append(
            Reason(
                "unit.single_person",
                allowed,
                int(allowed),
                1,
                "flag",
                "DOMAIN-RULES §2.2 (单人户: adult, no work, severe disability; 单独申请 Art. 8: a 重残 or 重病 "
                "member of a 低保边缘 household)",
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
            tier, share, ref = care_tier(m, policy)
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
        assess_dibao_and_low_income(facts, dibao_unit, n_all, incomes, assets_all, policy, result)

    if facts.temporary is not None:
        result.temporary = temporary_assistance(facts, max(n, 1), n_all, assets_all, result, policy)
    price_subsidy(facts, result, policy)
    _review(facts, dibao_unit, result, policy)
    return result


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


def application_place(facts: HouseholdFacts) -> Reason | None:
    """Where the household may apply (DOMAIN-RULES §2.2, Art. 5): at the 户籍 county of a member
    whose 户籍 is where the household lives (`region_code`); when no member's is, at any member's
    户籍 county. An explanation, not a refusal (a what-if may be run anywhere); None when no member
    states a 户籍 county. 急难型 临时救助 has no 户籍 condition (§4.2): no reason then."""
    if facts.temporary is not None and facts.temporary.kind == "emergency":
        return None
    places = [m.hukou_region_code for m in facts.members if m.hukou_region_code]
    if not places:
        return None
    passed = facts.region_code in places  # in both cases of Art. 5, one member's 户籍 county
    return Reason(
        "application.place",
        passed,
        int(passed),
        1,
        "flag",
        "DOMAIN-RULES §2.2 (Art. 5: apply at the 户籍 place of a member whose 户籍 is where the household lives; "
        "when none is, at any member's 户籍 place — the household's county must then be one of them)",
    )
