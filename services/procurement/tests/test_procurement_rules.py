"""Pure rules of §9 (no database, no HTTP), table-driven: every method's conditions, every clock
of §9.5 on the real working-day calendar, contract terms, the service and negative lists, the
supplier conditions and the 评估等级."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from procurement.adapters.calendar_file import working_day_calendar
from procurement.domain import errors, rules
from procurement.domain.model import (
    Bid,
    Blacklisting,
    Condition,
    ConditionEvidence,
    Contract,
    Criterion,
    Grade,
    GradeStatus,
    Milestone,
    PriorPurchase,
    Project,
    ProjectState,
    Provider,
    Violation,
    ViolationKind,
)
from procurement.domain.policy import CLOCKS, METHOD_RULES, THRESHOLDS, Ground, Method, Step
from shared.events.procurement import ServiceCategory

CAL = working_day_calendar()
GUIZHOU_2026 = THRESHOLDS[("520000", 2026)]  # public tender at 4,000,000 元
TENDER = GUIZHOU_2026.public_tender_fen
SMALL = 50_000_000  # 50万元


def provider(**kw: object) -> Provider:
    p = Provider(uuid4(), "91512081MA62K0260E", "阳光社工", "52", datetime(2025, 1, 1, tzinfo=UTC), "c")
    p.conditions = [ConditionEvidence(c, f"doc-{c.value}", date(2025, 1, 1)) for c in Condition]
    for k, v in kw.items():
        setattr(p, k, v)
    return p


def project(method: Method = Method.COMPETITIVE_CONSULTATION, **kw: object) -> Project:
    p = Project(
        id=uuid4(),
        purchaser="南明区民政局",
        region_code="520102",
        town_code=None,
        title="照料服务",
        service_item="care",
        budget_item="2081001",
        budget_fen=SMALL,
        fiscal_year=2026,
        method=method,
        grounds=[Ground.PURCHASE_OF_SERVICES],
        state=ProjectState.OPEN,
        announced_on=date(2026, 3, 2),
        bid_deadline=datetime(2026, 3, 20, 2, 0, tzinfo=UTC),
        criteria=[Criterion("price", 30, price=True), Criterion("plan", 50), Criterion("experience", 20)],
        quantity=100,
        grade_preference_points=3,
    )
    for k, v in kw.items():
        setattr(p, k, v)
    return p


# --------------------------------------------------------------------------- methods §9.3

METHOD_CASES = [
    # (method, grounds, budget, finance approval, invited, original contract, refused?)
    pytest.param(Method.PUBLIC_TENDER, [], TENDER * 2, None, 0, None, False, id="tender-any-size"),
    pytest.param(Method.INVITED_TENDER, [Ground.LIMITED_SUPPLIERS], SMALL, None, 3, None, False, id="invited-ok"),
    pytest.param(Method.INVITED_TENDER, [], SMALL, None, 3, None, True, id="invited-no-ground"),
    pytest.param(Method.INVITED_TENDER, [Ground.LIMITED_SUPPLIERS], SMALL, None, 2, None, True, id="invited-2"),
    pytest.param(
        Method.INVITED_TENDER,
        [Ground.TENDER_COST_DISPROPORTIONATE],
        TENDER,
        None,
        3,
        None,
        True,
        id="invited-above-threshold-unapproved",
    ),
    pytest.param(
        Method.INVITED_TENDER,
        [Ground.TENDER_COST_DISPROPORTIONATE],
        TENDER,
        "财采〔2026〕1号",
        3,
        None,
        False,
        id="invited-above-threshold-approved",
    ),
    pytest.param(Method.COMPETITIVE_NEGOTIATION, [Ground.URGENT], SMALL, None, 3, None, False, id="negotiation-urgent"),
    pytest.param(
        Method.COMPETITIVE_NEGOTIATION,
        [Ground.FAILED_TENDER],
        SMALL,
        None,
        0,
        None,
        False,
        id="negotiation-failed-tender",
    ),
    pytest.param(
        Method.COMPETITIVE_NEGOTIATION,
        [Ground.PURCHASE_OF_SERVICES],
        SMALL,
        None,
        3,
        None,
        True,
        id="negotiation-wrong-ground",
    ),
    pytest.param(
        Method.COMPETITIVE_CONSULTATION,
        [Ground.PURCHASE_OF_SERVICES],
        SMALL,
        None,
        3,
        None,
        False,
        id="consultation-services",
    ),
    pytest.param(Method.COMPETITIVE_CONSULTATION, [], SMALL, None, 3, None, True, id="consultation-no-ground"),
    pytest.param(
        Method.COMPETITIVE_CONSULTATION,
        [Ground.PURCHASE_OF_SERVICES],
        TENDER,
        None,
        3,
        None,
        True,
        id="consultation-above-threshold",
    ),
    pytest.param(Method.SINGLE_SOURCE, [Ground.ONLY_ONE_SUPPLIER], SMALL, None, 1, None, False, id="single-sole"),
    pytest.param(
        Method.SINGLE_SOURCE, [Ground.UNFORESEEABLE_EMERGENCY], SMALL, None, 1, None, False, id="single-emergency"
    ),
    pytest.param(
        Method.SINGLE_SOURCE, [Ground.PURCHASE_OF_SERVICES], SMALL, None, 1, None, True, id="single-no-lawful-ground"
    ),
    pytest.param(
        Method.SINGLE_SOURCE,
        [Ground.ONLY_ONE_SUPPLIER],
        TENDER,
        None,
        1,
        None,
        True,
        id="single-above-threshold-unapproved",
    ),
    pytest.param(
        Method.SINGLE_SOURCE,
        [Ground.ONLY_ONE_SUPPLIER],
        TENDER,
        "财采〔2026〕2号",
        1,
        None,
        False,
        id="single-above-threshold-approved",
    ),
    pytest.param(
        Method.SINGLE_SOURCE, [Ground.CONSISTENCY_ADDON], 1_000_000, None, 1, 10_000_000, False, id="addon-10pct"
    ),
    pytest.param(
        Method.SINGLE_SOURCE, [Ground.CONSISTENCY_ADDON], 1_000_001, None, 1, 10_000_000, True, id="addon-over-10pct"
    ),
    pytest.param(Method.SINGLE_SOURCE, [Ground.CONSISTENCY_ADDON], 1_000, None, 1, None, True, id="addon-no-original"),
    pytest.param(Method.FRAMEWORK_AGREEMENT, [], SMALL, None, 0, None, False, id="framework"),
    pytest.param(Method.INQUIRY, [Ground.STANDARD_GOODS], SMALL, None, 3, None, True, id="inquiry-not-for-services"),
]


@pytest.mark.parametrize(("method", "grounds", "budget", "approval", "invited", "original", "refused"), METHOD_CASES)
def test_method_conditions(
    method: Method,
    grounds: list[Ground],
    budget: int,
    approval: str | None,
    invited: int,
    original: int | None,
    refused: bool,
) -> None:
    def check() -> None:
        rules.check_method(
            method,
            grounds,
            budget_fen=budget,
            thresholds=GUIZHOU_2026,
            finance_approval=approval,
            invited=invited,
            original_contract_fen=original,
        )

    if refused:
        with pytest.raises(errors.MethodNotAllowed) as caught:
            check()
        assert caught.value.status_code == 422
        assert caught.value.message_zh
    else:
        check()


@pytest.mark.parametrize(
    ("method", "min_bids"),
    [
        (Method.PUBLIC_TENDER, 3),
        (Method.INVITED_TENDER, 3),
        (Method.COMPETITIVE_NEGOTIATION, 3),
        (Method.COMPETITIVE_CONSULTATION, 2),
        (Method.SINGLE_SOURCE, 1),
        (Method.FRAMEWORK_AGREEMENT, 2),
    ],
)
def test_opening_with_one_bid_too_few_fails_and_with_enough_goes_on(method: Method, min_bids: int) -> None:
    at = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    bids = [Bid(uuid4(), uuid4(), uuid4(), at, 100, "") for _ in range(min_bids)]

    short = rules.open_bids(project(method), bids[:-1], at=at, today=date(2026, 3, 20), calendar=CAL)
    enough = rules.open_bids(project(method), bids, at=at, today=date(2026, 3, 20), calendar=CAL)

    assert short.state is ProjectState.FAILED
    assert str(min_bids) in (short.failed_reason or "")
    assert enough.state is ProjectState.OPENED
    assert METHOD_RULES[method].min_bids == min_bids


@pytest.mark.parametrize(
    ("prior", "budget", "adjusted", "refused"),
    [
        pytest.param(
            [(Method.COMPETITIVE_CONSULTATION, TENDER // 2, "care", "2081001", 2026)],
            TENDER // 2,
            False,
            True,
            id="two-halves-reach-threshold",
        ),
        pytest.param(
            [(Method.COMPETITIVE_CONSULTATION, TENDER // 2, "care", "2081001", 2026)],
            TENDER // 2,
            True,
            False,
            id="budget-adjusted",
        ),
        pytest.param(
            [(Method.COMPETITIVE_CONSULTATION, TENDER // 2, "care", "2081001", 2025)],
            TENDER // 2,
            False,
            False,
            id="other-year",
        ),
        pytest.param(
            [(Method.COMPETITIVE_CONSULTATION, TENDER // 2, "visiting", "2081001", 2026)],
            TENDER // 2,
            False,
            False,
            id="other-item",
        ),
        pytest.param(
            [(Method.COMPETITIVE_CONSULTATION, TENDER // 2, "care", "2081002", 2026)],
            TENDER // 2,
            False,
            False,
            id="other-budget-line",
        ),
        pytest.param(
            [(Method.PUBLIC_TENDER, TENDER, "care", "2081001", 2026)],
            TENDER // 2,
            False,
            False,
            id="earlier-was-tendered",
        ),
        pytest.param(
            [(Method.SINGLE_SOURCE, TENDER // 4, "care", "2081001", 2026)] * 2,
            TENDER // 4,
            False,
            False,
            id="three-quarters-below",
        ),
    ],
)
def test_splitting_across_a_year(
    prior: list[tuple[Method, int, str, str, int]], budget: int, adjusted: bool, refused: bool
) -> None:
    purchases = [PriorPurchase(uuid4(), item, line, year, m, amount) for m, amount, item, line, year in prior]

    def check() -> None:
        rules.check_not_split(
            service_item="care",
            budget_item="2081001",
            fiscal_year=2026,
            method=Method.COMPETITIVE_CONSULTATION,
            budget_fen=budget,
            prior=purchases,
            thresholds=GUIZHOU_2026,
            budget_adjusted=adjusted,
        )

    if refused:
        with pytest.raises(errors.SplittingDetected):
            check()
    else:
        check()


def test_thresholds_are_data_per_province_and_year() -> None:
    assert rules.thresholds_for("520102", 2026).public_tender_fen == 400_000_000
    with pytest.raises(errors.ThresholdsUnknown):
        rules.thresholds_for("520102", 2031)
    with pytest.raises(errors.ThresholdsUnknown):
        rules.thresholds_for("110101", 2026)


# --------------------------------------------------------------------------- clocks §9.5

CLOCK_CASES = [
    # (step, start, due): the start day never counts; working days skip weekends and the
    # 2026 State Council holidays (劳动节 1–5 May, make-up Saturday 9 May).
    pytest.param(Step.BID_DEADLINE, date(2026, 3, 2), date(2026, 3, 22), id="tender-20-days"),
    pytest.param(Step.SINGLE_SOURCE_PUBLICITY, date(2026, 4, 28), date(2026, 5, 8), id="publicity-5wd-over-may-day"),
    pytest.param(Step.EVALUATION_REPORT, date(2026, 4, 30), date(2026, 5, 7), id="report-2wd-over-may-day"),
    pytest.param(Step.EVALUATION_REPORT, date(2026, 3, 20), date(2026, 3, 24), id="report-2wd-over-weekend"),
    pytest.param(Step.AWARD_DECISION, date(2026, 5, 6), date(2026, 5, 12), id="award-5wd-with-makeup-saturday"),
    pytest.param(Step.AWARD_ANNOUNCEMENT, date(2026, 3, 27), date(2026, 3, 31), id="announcement-2wd"),
    pytest.param(Step.CONTRACT_SIGNATURE, date(2026, 3, 31), date(2026, 4, 30), id="contract-30-days"),
    pytest.param(
        Step.CONTRACT_ANNOUNCEMENT, date(2026, 9, 30), date(2026, 10, 9), id="contract-notice-over-national-day"
    ),
    pytest.param(Step.CONTRACT_FILING, date(2026, 4, 10), date(2026, 4, 21), id="filing-7wd"),
]


@pytest.mark.parametrize(("step", "start", "due"), CLOCK_CASES)
def test_every_clock(step: Step, start: date, due: date) -> None:
    record = rules.clock(CAL, step, start)

    assert (record.start, record.due) == (start, due)
    assert record.kind == CLOCKS[step].kind


def test_every_step_has_a_clock_case() -> None:
    assert {c.values[0] for c in CLOCK_CASES} == set(Step)


@pytest.mark.parametrize(
    ("kind_step", "done", "on_time"),
    [
        (Step.EVALUATION_REPORT, date(2026, 3, 24), True),
        (Step.EVALUATION_REPORT, date(2026, 3, 25), False),
        (Step.SINGLE_SOURCE_PUBLICITY, date(2026, 3, 26), False),
        (Step.SINGLE_SOURCE_PUBLICITY, date(2026, 3, 27), True),
    ],
)
def test_limit_is_on_time_through_its_day_and_minimum_from_its_day(kind_step: Step, done: date, on_time: bool) -> None:
    record = rules.clock(CAL, kind_step, date(2026, 3, 20))
    record.done_on = done
    assert record.on_time is on_time


def test_clock_outside_the_calendar_is_a_400() -> None:
    with pytest.raises(errors.DateOutsideCalendar):
        rules.clock(CAL, Step.EVALUATION_REPORT, date(2023, 6, 1))


@pytest.mark.parametrize(
    ("method", "deadline", "refused"),
    [
        (Method.PUBLIC_TENDER, date(2026, 3, 21), True),
        (Method.PUBLIC_TENDER, date(2026, 3, 22), False),
        (Method.COMPETITIVE_CONSULTATION, date(2026, 3, 11), True),
        (Method.COMPETITIVE_CONSULTATION, date(2026, 3, 12), False),
        (Method.COMPETITIVE_NEGOTIATION, date(2026, 3, 5), False),
    ],
)
def test_bid_period_per_method(method: Method, deadline: date, refused: bool) -> None:
    p = project(method)

    def plan() -> None:
        rules.plan_project(p, calendar=CAL, today=date(2026, 3, 2), deadline_day=deadline, thresholds=GUIZHOU_2026)

    if refused:
        with pytest.raises(errors.DeadlineTooSoon):
            plan()
    else:
        plan()
        assert p.clocks[0].on_time


def test_negotiation_counts_3_working_days_to_the_first_response() -> None:
    thursday = date(2026, 3, 5)
    with pytest.raises(errors.DeadlineTooSoon):
        rules.plan_project(
            project(Method.COMPETITIVE_NEGOTIATION),
            calendar=CAL,
            today=thursday,
            deadline_day=date(2026, 3, 9),
            thresholds=GUIZHOU_2026,
        )
    p = rules.plan_project(
        project(Method.COMPETITIVE_NEGOTIATION),
        calendar=CAL,
        today=thursday,
        deadline_day=date(2026, 3, 10),
        thresholds=GUIZHOU_2026,
    )
    assert p.clocks[0].due == date(2026, 3, 10)


def test_single_source_above_threshold_is_publicized_5_working_days_first() -> None:
    p = project(Method.SINGLE_SOURCE, budget_fen=TENDER, grounds=[Ground.ONLY_ONE_SUPPLIER])

    with pytest.raises(errors.DeadlineTooSoon):
        rules.plan_project(
            p, calendar=CAL, today=date(2026, 4, 28), deadline_day=date(2026, 5, 8), thresholds=GUIZHOU_2026
        )
    rules.plan_project(p, calendar=CAL, today=date(2026, 4, 28), deadline_day=date(2026, 5, 9), thresholds=GUIZHOU_2026)
    assert p.publicity_until == date(2026, 5, 8)


# --------------------------------------------------------------------------- contracts

TERM_CASES = [
    pytest.param(date(2026, 1, 1), date(2026, 12, 31), False, False, None, id="one-year"),
    pytest.param(date(2026, 1, 1), date(2027, 1, 1), False, False, "refused", id="one-year-and-a-day-no-grounds"),
    pytest.param(date(2026, 1, 1), date(2028, 12, 31), True, True, "budget_assured+stable_service", id="three-years"),
    pytest.param(date(2026, 1, 1), date(2028, 12, 31), True, False, "refused", id="three-years-unstable"),
    pytest.param(date(2026, 1, 1), date(2029, 1, 1), True, True, "refused", id="over-three-years"),
    pytest.param(date(2026, 1, 1), date(2025, 12, 31), True, True, "refused", id="backwards"),
]


@pytest.mark.parametrize(("start", "end", "assured", "stable", "expected"), TERM_CASES)
def test_contract_term(start: date, end: date, assured: bool, stable: bool, expected: str | None) -> None:
    if expected == "refused":
        with pytest.raises(errors.InvalidTerm):
            rules.check_term(start, end, budget_assured=assured, stable_service=stable)
    else:
        assert rules.check_term(start, end, budget_assured=assured, stable_service=stable) == expected


def contract(value: int = 10_000_000) -> Contract:
    return Contract(
        uuid4(),
        uuid4(),
        uuid4(),
        "91512081MA62K0260E",
        "520102",
        "care",
        ServiceCategory.CARE,
        value,
        date(2026, 4, 1),
        date(2027, 3, 31),
        date(2026, 3, 31),
        [Milestone("Q2", "2026-06", 50), Milestone("Q4", "2026-12", 50)],
    )


def test_supplements_cumulative_ten_percent() -> None:
    c = contract()
    rules.add_supplement(c, 600_000, date(2026, 5, 1), "more recipients")
    rules.add_supplement(c, 400_000, date(2026, 6, 1), "more recipients")
    with pytest.raises(errors.SupplementTooLarge):
        rules.add_supplement(c, 1, date(2026, 7, 1), "one fen over")
    assert sum(s.amount_fen for s in c.supplements) == 1_000_000


@pytest.mark.parametrize(
    ("score", "due"), [(100, 5_000_000), (80, 5_000_000), (79, 3_950_000), (60, 3_000_000), (59, 0)]
)
def test_payment_linkage(score: int, due: int) -> None:
    c = contract()
    assert rules.amount_due(c, c.milestones[0], score) == due


def test_round_fen_half_up() -> None:
    from decimal import Decimal

    assert [rules.round_fen(Decimal(x)) for x in ("0.5", "1.49", "2.5", "-0.5")] == [1, 1, 3, -1]


# --------------------------------------------------------------------------- service and negative list


@pytest.mark.parametrize(
    ("item", "works", "error"),
    [
        ("care", False, None),
        ("household_survey", False, None),
        ("eligibility_confirmation", False, "eligibility_confirmation"),
        ("staff_recruitment", False, "staff_recruitment"),
        ("agency_labour", False, "agency_labour"),
        ("public_welfare_posts", False, "public_welfare_posts"),
        ("financing", False, "financing"),
        ("care", True, "works_bundle"),
        ("painting_the_town_hall", False, "not_in_list"),
    ],
)
def test_service_and_negative_list(item: str, works: bool, error: str | None) -> None:
    if error is None:
        assert rules.check_purchasable(item, includes_works=works).code == item
    elif error == "not_in_list":
        with pytest.raises(errors.NotInServiceList):
            rules.check_purchasable(item)
    else:
        with pytest.raises(errors.OnNegativeList) as caught:
            rules.check_purchasable(item, includes_works=works)
        assert caught.value.code == error
        assert "102号令" in caught.value.detail


# --------------------------------------------------------------------------- suppliers and grades

DAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("change", "required", "error"),
    [
        pytest.param({}, None, None, id="all-conditions"),
        pytest.param({"conditions": []}, None, errors.SupplierConditionsUnmet, id="no-evidence"),
        pytest.param(
            {"violations": [Violation(ViolationKind.LARGE_FINE, date(2023, 3, 10), "罚款")]},
            None,
            errors.SupplierConditionsUnmet,
            id="violation-3-years-ago-to-the-day",
        ),
        pytest.param(
            {"violations": [Violation(ViolationKind.LARGE_FINE, date(2023, 3, 9), "罚款")]},
            None,
            None,
            id="violation-older-than-3-years",
        ),
        pytest.param(
            {"blacklist": [Blacklisting(date(2025, 6, 1), date(2026, 5, 31), "提供虚假材料")]},
            None,
            errors.ProviderBlacklisted,
            id="blacklisted",
        ),
        pytest.param(
            {"blacklist": [Blacklisting(date(2024, 6, 1), date(2025, 5, 31), "提供虚假材料")]},
            None,
            None,
            id="blacklist-term-over",
        ),
        pytest.param({}, Grade.A3, errors.GradeRequirementUnmet, id="required-grade-none"),
        pytest.param({"grade": "4A-2021-03-10"}, Grade.A3, errors.GradeRequirementUnmet, id="required-grade-expired"),
        pytest.param({"grade": "4A-2021-03-11"}, Grade.A3, None, id="required-grade-last-valid-day"),
        pytest.param({"grade": "2A-2024-01-01"}, Grade.A3, errors.GradeRequirementUnmet, id="required-grade-too-low"),
        pytest.param({"grade": "2A-2024-01-01"}, None, None, id="low-grade-not-excluded-unless-required"),
    ],
)
def test_may_bid(change: dict[str, object], required: Grade | None, error: type[Exception] | None) -> None:
    p = provider(**{k: v for k, v in change.items() if k != "grade"})
    if "grade" in change:
        grade, _, awarded = str(change["grade"]).partition("-")
        p = rules.set_grade(p, Grade(grade), date.fromisoformat(awarded), today=DAY)
    proj = project(required_min_grade=required)
    if error is None:
        rules.check_may_bid(p, proj, DAY)
    else:
        with pytest.raises(error):
            rules.check_may_bid(p, proj, DAY)


def test_grade_lasts_five_years_and_bars_reapplication_after_downgrade_and_cancellation() -> None:
    p = rules.set_grade(provider(), Grade.A4, date(2024, 1, 1), today=DAY)
    assert p.grade is not None
    assert p.grade.valid_until == date(2028, 12, 31)
    assert not rules.may_reapply_for_grade(p, date(2026, 12, 31))
    assert rules.may_reapply_for_grade(p, date(2027, 1, 1))  # the last 2 years before expiry

    down = rules.set_grade(p, Grade.A2, date(2025, 1, 1), today=DAY)
    assert down.grade_history[-1].status is GradeStatus.DOWNGRADED
    with pytest.raises(errors.GradeReapplicationBarred):
        rules.set_grade(down, Grade.A3, date(2027, 1, 1), today=date(2027, 1, 1))
    assert rules.set_grade(down, Grade.A3, date(2027, 1, 2), today=date(2027, 1, 2)).grade.grade is Grade.A3  # type: ignore[union-attr]

    cancelled = rules.cancel_grade(p, date(2025, 1, 1))
    assert not rules.grade_valid_on(cancelled.grade, date(2025, 1, 2))
    with pytest.raises(errors.GradeReapplicationBarred):
        rules.set_grade(cancelled, Grade.A3, date(2028, 1, 1), today=date(2028, 1, 1))


def test_scoring_prefers_valid_3a_but_does_not_exclude() -> None:
    proj = project()
    at = datetime(2026, 3, 19, tzinfo=UTC)
    graded = rules.set_grade(provider(), Grade.A4, date(2024, 1, 1), today=DAY)
    plain = provider()
    b1 = Bid(uuid4(), proj.id, graded.id, at, 1_000_000, "plan A")
    b2 = Bid(uuid4(), proj.id, plain.id, at, 900_000, "plan B")
    panel: dict[str, dict[UUID, dict[str, int]]] = {
        m: {b1.id: {"plan": 80, "experience": 80}, b2.id: {"plan": 80, "experience": 80}} for m in ("张", "李", "王")
    }

    scores = rules.score_bids(proj, [b1, b2], {graded.id: graded, plain.id: plain}, panel, day=DAY)

    # b2: price 30 + panel 56 = 86; b1: 27 + 56 + 3 preference = 86 → tie broken by the lower price
    by_bid = {s.bid_id: s for s in scores}
    assert by_bid[b2.id].total == "86.00"
    assert by_bid[b1.id].total == "86.00"
    assert by_bid[b1.id].preference == "3.00"
    assert by_bid[b2.id].preference == "0.00"
    assert [s.bid_id for s in scores] == [b2.id, b1.id]
    with pytest.raises(errors.InvalidPanel):
        rules.score_bids(proj, [b1, b2], {graded.id: graded, plain.id: plain}, dict(list(panel.items())[:2]), day=DAY)


@pytest.mark.parametrize(
    ("failed", "method", "grounds", "refused"),
    [
        (Method.PUBLIC_TENDER, Method.COMPETITIVE_NEGOTIATION, [Ground.FAILED_TENDER], False),
        (Method.PUBLIC_TENDER, Method.COMPETITIVE_NEGOTIATION, [Ground.URGENT], True),
        (Method.PUBLIC_TENDER, Method.COMPETITIVE_CONSULTATION, [Ground.FAILED_TENDER], False),
        (Method.COMPETITIVE_CONSULTATION, Method.COMPETITIVE_CONSULTATION, [Ground.PURCHASE_OF_SERVICES], False),
        (Method.COMPETITIVE_CONSULTATION, Method.COMPETITIVE_NEGOTIATION, [Ground.FAILED_TENDER], True),
        (Method.COMPETITIVE_CONSULTATION, Method.SINGLE_SOURCE, [Ground.ONLY_ONE_SUPPLIER], True),
    ],
)
def test_lawful_fallbacks(failed: Method, method: Method, grounds: list[Ground], refused: bool) -> None:
    p = project(failed, state=ProjectState.FAILED)
    if refused:
        with pytest.raises(errors.MethodNotAllowed):
            rules.check_fallback(p, method, grounds)
    else:
        rules.check_fallback(p, method, grounds)
    with pytest.raises(errors.WrongState):
        rules.check_fallback(project(failed), method, grounds)


@pytest.mark.parametrize(
    ("step", "done", "today", "status"),
    [
        (Step.EVALUATION_REPORT, None, date(2026, 3, 24), "running"),
        (Step.EVALUATION_REPORT, None, date(2026, 3, 25), "overdue"),
        (Step.EVALUATION_REPORT, date(2026, 3, 25), date(2026, 3, 26), "late"),
        (Step.EVALUATION_REPORT, date(2026, 3, 23), date(2026, 3, 26), "on_time"),
        (Step.SINGLE_SOURCE_PUBLICITY, None, date(2026, 4, 30), "running"),
    ],
)
def test_clock_status(step: Step, done: date | None, today: date, status: str) -> None:
    record = rules.clock(CAL, step, date(2026, 3, 20))
    record.done_on = done
    assert rules.clock_status(record, today) == status
