"""低保, 渐退, 低保边缘 and 刚性支出 for the unit without its 特困 members, with 分类施保 (pure)."""

from __future__ import annotations

from datetime import date

from eligibility.assessment.domain.amounts import add_months, ceil_yuan
from eligibility.assessment.domain.assets import AssetTests, financial_reason
from eligibility.assessment.domain.income import MemberIncome, household_income
from eligibility.assessment.domain.model import (
    CATEGORY_DIBAO,
    CATEGORY_MARGINAL,
    CATEGORY_NONE,
    CATEGORY_PHASE_OUT,
    CATEGORY_RIGID,
    Assessment,
    HouseholdFacts,
    MemberFacts,
    Reason,
    Step,
    Supplement,
)
from eligibility.assessment.domain.unit import (
    is_severely_disabled,
)
from eligibility.policy.domain.model import ParamRef, ResolvedPolicy
from shared.types import age_in_years, round_fen


def best_supplement(m: MemberFacts, policy: ResolvedPolicy, day: date) -> tuple[str, int, ParamRef] | None:
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


def assess_dibao_and_low_income(
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
            best = best_supplement(m, policy, facts.benefit_month)
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
        if facts.rigid_expenditure is None:
            result.missing.append("rigid_expenditure_12m")
        result.missing.extend(
            f"members.{m.member_id}.incomes: 12 months" for m in unit if not incomes[m.member_id].year_complete
        )
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
