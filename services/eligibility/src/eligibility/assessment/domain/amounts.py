"""Amounts: the policy's rounding, month arithmetic and the price-linked subsidy (pure)."""

from __future__ import annotations

from datetime import date

from eligibility.assessment.domain.model import (
    CATEGORY_DIBAO,
    CATEGORY_MARGINAL,
    CATEGORY_PHASE_OUT,
    Assessment,
    HouseholdFacts,
    Step,
)
from eligibility.policy.domain.model import ResolvedPolicy
from shared.types import Period, round_fen


def ceil_yuan(numerator: int, denominator: int = 1) -> int:
    """The policy's ⌈⌉ (POLICY-DEFAULTS): `numerator / denominator` fen rounded up to a whole
    yuan, in fen; rounding up favours the household. This is the project's one rounding
    function, `shared.types.round_fen`, with the unit and direction the policy sets."""
    return round_fen(numerator, denominator, unit="yuan", mode="up")


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s (`shared.types.Period.shift`)."""
    return Period.from_date(day).shift(months).first_day


def price_subsidy(facts: HouseholdFacts, result: Assessment, policy: ResolvedPolicy) -> None:
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
