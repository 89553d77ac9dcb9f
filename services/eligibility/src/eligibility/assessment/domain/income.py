"""Counted income (§1.2): per member, net of the employment-cost deduction, and per household
(pure, exact: × 1000 before any rounding)."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility.assessment.domain.model import (
    COUNTED_INCOME,
    NOT_COUNTED_FOR_TEKUN,
    IncomeCategory,
    MemberFacts,
    Step,
)
from eligibility.policy.domain.model import ResolvedPolicy


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
