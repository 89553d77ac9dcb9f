"""Active cases (pure): reviews on schedule and on notices, amount changes, 渐退, suspension,
termination with its 公示, the death rule, and who may do what."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from eligibility.cases.domain import rules
from eligibility.cases.domain.model import (
    CaseAction,
    CaseCategory,
    CaseStatus,
    ChangeReason,
    ReviewReason,
    TerminationReason,
)
from eligibility.cases.domain.rules import CaseActor, CaseWrongStatus, ReviewOutcome
from eligibility.procedure.domain.errors import CapacityNotAllowed, StepRefused
from eligibility.procedure.domain.model import Capacity
from shared.types import Period

TOWN = CaseActor("town.li", frozenset({Capacity.TOWN}))
COUNTY = CaseActor("county.zhao", frozenset({Capacity.COUNTY}))
SYSTEM = CaseActor("system", frozenset({Capacity.SYSTEM}))
NOW = datetime(2026, 12, 4, 2, tzinfo=UTC)
TODAY = date(2026, 12, 4)


def opened(category: CaseCategory = CaseCategory.DIBAO, every: int = 12) -> rules.Case:
    return rules.open_case(
        case_id=uuid4(),
        application_id=uuid4(),
        household_id=uuid4(),
        category=category,
        region_code="520102",
        town_code="520102001000",
        monthly_fen=78_000,
        start_month=Period(2026, 1),
        policy_version="2024-07",
        review_every_months=every,
        actor="county.zhao",
        now=NOW,
        today=date(2025, 12, 20),
    ).case


def test_a_case_is_reviewed_after_its_interval() -> None:
    assert opened().next_review_on == date(2027, 1, 1)
    assert opened(every=6).next_review_on == date(2026, 7, 1)
    assert rules.due_for_review(opened(every=6), TODAY)
    assert not rules.due_for_review(opened(), TODAY)


def test_review_unchanged_keeps_the_amount_and_schedules_the_next() -> None:
    case = rules.open_review(opened(), ReviewReason.SCHEDULED, SYSTEM, NOW, TODAY).case
    assert case.status is CaseStatus.UNDER_REVIEW
    assert case.paying
    done = rules.complete_review(case, ReviewOutcome.UNCHANGED, COUNTY, NOW, TODAY)
    assert done.benefit is None
    assert done.case.monthly_fen == 78_000
    assert done.case.next_review_on == date(2027, 12, 4)


def test_review_changes_the_amount_from_next_month() -> None:
    case = rules.open_review(opened(), ReviewReason.REPORTED_CHANGE, TOWN, NOW, TODAY).case
    done = rules.complete_review(case, ReviewOutcome.CHANGE_AMOUNT, COUNTY, NOW, TODAY, monthly_fen=52_000)
    assert done.benefit == rules.BenefitChange(52_000, Period(2027, 1), ChangeReason.REVIEW)


def test_phase_out_at_most_six_months_then_ends() -> None:
    case = rules.open_review(opened(), ReviewReason.SCHEDULED, SYSTEM, NOW, TODAY).case
    with pytest.raises(StepRefused) as refused:
        rules.complete_review(case, ReviewOutcome.PHASE_OUT, COUNTY, NOW, TODAY, phase_out_months=7)
    assert refused.value.reason == "phase_out_not_allowed"
    phased = rules.complete_review(case, ReviewOutcome.PHASE_OUT, COUNTY, NOW, TODAY).case
    assert phased.status is CaseStatus.PHASE_OUT
    assert phased.phase_out_until == Period(2027, 6)
    with pytest.raises(StepRefused):
        rules.end_phase_out(phased, SYSTEM, NOW, date(2027, 6, 30))
    ended = rules.end_phase_out(phased, SYSTEM, NOW, date(2027, 7, 1))
    assert ended.terminated is not None
    assert ended.terminated.last_paid_month == Period(2027, 6)
    assert ended.terminated.reason is TerminationReason.INCOME_ABOVE_STANDARD


def test_dibao_termination_is_publicized_and_an_objection_reopens_the_review() -> None:
    change = rules.terminate(opened(), TerminationReason.ASSETS_EXCEED_LIMITS, COUNTY, NOW, TODAY)
    assert change.terminated is None
    assert change.case.status is CaseStatus.TERMINATION_PUBLICIZING
    assert change.case.termination_publicity_until == date(2026, 12, 11)
    objected = rules.object_to_termination(change.case, "车辆已过户", TOWN, NOW, date(2026, 12, 8)).case
    assert objected.status is CaseStatus.UNDER_REVIEW
    with pytest.raises(StepRefused):
        rules.close_termination_publicity(change.case, TOWN, NOW, date(2026, 12, 11))
    closed = rules.close_termination_publicity(change.case, TOWN, NOW, date(2026, 12, 12))
    assert closed.terminated is not None
    assert closed.terminated.last_paid_month == Period(2026, 12)


def test_marginal_ends_without_publicity() -> None:
    change = rules.terminate(opened(CaseCategory.MARGINAL), TerminationReason.NO_LONGER_ELIGIBLE, COUNTY, NOW, TODAY)
    assert change.case.status is CaseStatus.TERMINATED


@pytest.mark.parametrize(
    ("single", "category", "status"),
    [
        (True, CaseCategory.DIBAO, CaseStatus.TERMINATED),
        (False, CaseCategory.TEKUN, CaseStatus.TERMINATED),
        (False, CaseCategory.DIBAO, CaseStatus.UNDER_REVIEW),
    ],
)
def test_death_rule(single: bool, category: CaseCategory, status: CaseStatus) -> None:
    change = rules.on_member_death(
        opened(category), single_person=single, died_on=date(2026, 9, 15), actor=SYSTEM, now=NOW, today=TODAY
    )
    assert change.case.status is status
    if status is CaseStatus.TERMINATED:
        assert change.terminated is not None
        assert change.terminated.last_paid_month == Period(2026, 12)  # the decision month: paid, stop after
        assert change.terminated.overpaid_from == Period(2026, 10)  # Oct–Dec paid after the death: recovered
    else:
        assert change.case.review_due_by == date(2027, 3, 4)  # within 3 months


def test_suspend_and_resume_are_benefit_changes() -> None:
    suspended = rules.suspend(opened(), "户主下落不明，待核实", TOWN, NOW, TODAY)
    assert suspended.benefit == rules.BenefitChange(0, Period(2027, 1), ChangeReason.SUSPENDED)
    resumed = rules.resume(suspended.case, COUNTY, NOW, TODAY)
    assert resumed.benefit is not None
    assert resumed.benefit.monthly_fen == 78_000


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: rules.complete_review(c, ReviewOutcome.UNCHANGED, COUNTY, NOW, TODAY), CaseWrongStatus),
        (lambda c: rules.change_amount(c, 1, ChangeReason.REVIEW, TOWN, NOW, TODAY), CapacityNotAllowed),
        (lambda c: rules.terminate(c, TerminationReason.FRAUD, SYSTEM, NOW, TODAY), CapacityNotAllowed),
        (lambda c: rules.resume(c, COUNTY, NOW, TODAY), CaseWrongStatus),
        (lambda c: rules.suspend(c, "  ", TOWN, NOW, TODAY), StepRefused),
    ],
)
def test_refusals(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call(opened())  # type: ignore[operator]


def test_nothing_moves_a_terminated_case() -> None:
    ended = rules.terminate(opened(CaseCategory.MARGINAL), TerminationReason.FRAUD, COUNTY, NOW, TODAY).case
    for call in (
        lambda: rules.open_review(ended, ReviewReason.MONITORING, SYSTEM, NOW, TODAY),
        lambda: rules.suspend(ended, "x", TOWN, NOW, TODAY),
        lambda: rules.terminate(ended, TerminationReason.FRAUD, COUNTY, NOW, TODAY),
    ):
        with pytest.raises(CaseWrongStatus):
            call()
    assert [s.action for s in ended.steps] == [CaseAction.OPEN, CaseAction.TERMINATE]
