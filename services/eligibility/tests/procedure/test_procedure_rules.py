"""The procedure's transitions, table-driven: every action from every stage, every capacity,
回避, four-eyes and every precondition (pure: no database, no clock)."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.deadlines.domain.calendar import Step
from eligibility.procedure.domain import commands as c
from eligibility.procedure.domain.errors import CapacityNotAllowed, FourEyes, OwnRelative, StepRefused, WrongStage
from eligibility.procedure.domain.model import (
    DECIDED,
    Action,
    ApprovalLevel,
    Capacity,
    CareTier,
    CaseFile,
    ExtensionReason,
    Placement,
    ReviewMethod,
    SelfCareIndicator,
    Stage,
)
from eligibility.procedure.domain.rules import TRANSITIONS, Actor, Circumstances, act, pending_clocks
from shared.events import AssistanceType

DAY = date(2026, 11, 2)
TOWN = Actor("town.li", frozenset({Capacity.TOWN}))
TOWN_2 = Actor("town.wang", frozenset({Capacity.TOWN}))
TOWN_HEAD = Actor("town.head", frozenset({Capacity.TOWN}))  # prepared nothing
COUNTY = Actor("county.zhao", frozenset({Capacity.COUNTY}))
APPLICANT = Actor("citizen-1", frozenset({Capacity.APPLICANT}))
SYSTEM = Actor("verification", frozenset({Capacity.SYSTEM}))
EVERYONE = Actor("all", frozenset(Capacity))


def on(day: date, **kw: object) -> Circumstances:
    return Circumstances(now=datetime(day.year, day.month, day.day, 2, tzinfo=UTC), today=day, **kw)  # type: ignore[arg-type]


def new_case(kind: AssistanceType = AssistanceType.DIBAO) -> CaseFile:
    return CaseFile(
        application_id=uuid4(), household_id=uuid4(), assistance_type=kind, stage=Stage.SUBMITTED, submitted_on=DAY
    )


def visit(**kw: object) -> c.RecordHomeVisit:
    values: dict[str, object] = {
        "visited_on": DAY,
        "investigators": ("town.wang",),
        "family_signed": True,
        "findings": "家中仅有基本生活用品",
    }
    values.update(kw)
    return c.RecordHomeVisit(**values)  # type: ignore[arg-type]


def county_visit() -> c.RecordCountyVisit:
    return c.RecordCountyVisit(DAY, ("county.qian",), True, "县级入户核实")


REPORT = c.ReceiveVerificationReport(check_id=UUID(int=7), complete=True, discrepancies=0)


def walk(case: CaseFile, *steps: tuple[c.ProcedureCommand, Actor, Circumstances]) -> CaseFile:
    for command, actor, at in steps:
        case = act(case, command, actor, at).case
    return case


def investigated(kind: AssistanceType = AssistanceType.DIBAO) -> CaseFile:
    """Accepted, investigated (home visit), verified: ready for 初审."""
    steps: list[tuple[c.ProcedureCommand, Actor, Circumstances]] = [
        (c.Accept(), TOWN, on(DAY)),
        (c.StartInvestigation(), TOWN, on(DAY + timedelta(days=1))),
        (visit(), TOWN, on(DAY + timedelta(days=2))),
        (c.RequestVerification(), TOWN, on(DAY + timedelta(days=2))),
        (REPORT, SYSTEM, on(DAY + timedelta(days=5))),
    ]
    if kind is AssistanceType.TEKUN:
        steps += [
            (c.RecordSelfCare(frozenset({SelfCareIndicator.BATHING}), DAY), TOWN, on(DAY + timedelta(days=5))),
            (c.RecordPlacement(Placement.DISPERSED, "侄子 张三 照料"), TOWN, on(DAY + timedelta(days=5))),
        ]
    return walk(new_case(kind), *steps)


def publicized(kind: AssistanceType = AssistanceType.DIBAO) -> CaseFile:
    return act(investigated(kind), c.PreliminaryReview(78_000, "符合低保条件"), TOWN, on(DAY + timedelta(days=6))).case


def at_county(kind: AssistanceType = AssistanceType.DIBAO, **kw: object) -> CaseFile:
    case = publicized(kind)
    assert case.publicity_until is not None
    return act(case, c.ClosePublicity(), TOWN, on(case.publicity_until + timedelta(days=1), **kw)).case


# ------------------------------------------------------------------------- the whole walk


def test_dibao_from_submission_to_approval() -> None:
    case = at_county()
    assert case.stage is Stage.SUBMITTED_TO_COUNTY
    assert case.publicity_from == DAY + timedelta(days=6)
    assert case.publicity_until == DAY + timedelta(days=13)  # 7 calendar days, start day not counted
    approved = act(case, c.Approve(78_000), COUNTY, on(date(2026, 11, 30)))
    assert approved.decided
    decision = approved.case.decision
    assert decision is not None
    assert decision.approved
    assert decision.level is ApprovalLevel.COUNTY
    assert decision.effective_month == date(2026, 12, 1)  # from the month after the decision
    assert [s.action for s in approved.case.steps] == [
        Action.ACCEPT,
        Action.START_INVESTIGATION,
        Action.RECORD_HOME_VISIT,
        Action.REQUEST_VERIFICATION,
        Action.RECEIVE_VERIFICATION_REPORT,
        Action.PRELIMINARY_REVIEW,
        Action.CLOSE_PUBLICITY,
        Action.APPROVE,
    ]
    assert approved.case.version == 9
    assert approved.case.preparers == {"town.li", "town.wang"}


def test_december_decision_pays_from_january() -> None:
    approved = act(at_county(), c.Approve(50_000), COUNTY, on(date(2026, 12, 28))).case
    assert approved.decision is not None
    assert approved.decision.effective_month == date(2027, 1, 1)


def test_supplement_once_then_resubmit_and_accept() -> None:
    case = act(new_case(), c.RequestSupplement(("户口簿", "承诺书", "户口簿")), TOWN, on(DAY)).case
    assert case.stage is Stage.AWAITING_SUPPLEMENT
    assert case.missing_items == ("户口簿", "承诺书")
    case = act(case, c.Resubmit(), APPLICANT, on(DAY + timedelta(days=3))).case
    with pytest.raises(StepRefused) as refused:
        act(case, c.RequestSupplement(("授权书",)), TOWN, on(DAY + timedelta(days=4)))
    assert refused.value.reason == "supplement_already_requested"
    assert act(case, c.Accept(), TOWN, on(DAY + timedelta(days=4))).case.accepted_on == DAY + timedelta(days=4)


def test_ineligible_objection_rechecks_and_close_rejects() -> None:
    notified = act(
        investigated(), c.NotifyIneligible(("人均收入高于低保标准",)), TOWN, on(DAY + timedelta(days=6))
    ).case
    rechecked = act(notified, c.Object("工资已停发，附离职证明"), APPLICANT, on(DAY + timedelta(days=7))).case
    assert rechecked.stage is Stage.RECHECK
    assert act(rechecked, c.StartInvestigation(), TOWN, on(DAY + timedelta(days=8))).case.stage is Stage.INVESTIGATING
    closed = act(notified, c.Close(), TOWN, on(DAY + timedelta(days=20))).case
    assert closed.stage is Stage.REJECTED
    assert closed.decision is not None
    assert closed.decision.reasons == ("人均收入高于低保标准",)


def test_publicity_objection_extends_and_democratic_review_goes_to_county() -> None:
    case = publicized()
    objected = act(case, c.Object("邻居反映其有经营收入"), APPLICANT, on(DAY + timedelta(days=8))).case
    assert objected.stage is Stage.PUBLICITY_OBJECTED
    assert objected.extension is ExtensionReason.PUBLICITY_OBJECTION
    revised = act(
        objected,
        c.ReviseOpinion(ReviewMethod.DEMOCRATIC_REVIEW, True, 60_000, "民主评议后维持"),
        TOWN,
        on(DAY + timedelta(days=10)),
    ).case
    assert revised.stage is Stage.SUBMITTED_TO_COUNTY
    assert revised.opinion is not None
    assert revised.opinion.amount_fen == 60_000


def test_tekun_objection_is_publicized_again_and_spot_check_needs_a_county_visit() -> None:
    objected = act(publicized(AssistanceType.TEKUN), c.Object("有赡养人"), APPLICANT, on(DAY + timedelta(days=8))).case
    again = act(
        objected,
        c.ReviseOpinion(ReviewMethod.REINVESTIGATION, True, 90_000, "重新调查"),
        TOWN,
        on(DAY + timedelta(days=12)),
    ).case
    assert again.stage is Stage.PUBLICIZING
    county = at_county(AssistanceType.TEKUN, spot_check_drawn=True)
    assert county.spot_check
    with pytest.raises(StepRefused) as refused:
        act(county, c.Approve(90_000), COUNTY, on(DAY + timedelta(days=20)))
    assert refused.value.reason == "county_visit_missing"
    visited = act(county, county_visit(), COUNTY, on(DAY + timedelta(days=20))).case
    assert act(visited, c.Approve(90_000), COUNTY, on(DAY + timedelta(days=21))).case.stage is Stage.APPROVED


@pytest.mark.parametrize(
    ("failed", "tier"),
    [
        (0, CareTier.SELF_CARE),
        (1, CareTier.PARTIAL_CARE),
        (3, CareTier.PARTIAL_CARE),
        (4, CareTier.FULL_CARE),
        (6, CareTier.FULL_CARE),
    ],
)
def test_self_care_tier(failed: int, tier: CareTier) -> None:
    indicators = frozenset(list(SelfCareIndicator)[:failed])
    case = act(
        walk(new_case(AssistanceType.TEKUN), (c.Accept(), TOWN, on(DAY)), (c.StartInvestigation(), TOWN, on(DAY))),
        c.RecordSelfCare(indicators, DAY),
        TOWN,
        on(DAY),
    ).case
    assert case.self_care is not None
    assert case.self_care.tier is tier


def test_temporary_assistance_town_approves_up_to_its_ceiling() -> None:
    case = at_county(AssistanceType.TEMPORARY)
    small = act(case, c.Approve(200_000), TOWN_HEAD, on(DAY + timedelta(days=20), town_ceiling_fen=300_000)).case
    assert small.decision is not None
    assert small.decision.level is ApprovalLevel.TOWN
    with pytest.raises(StepRefused) as refused:
        act(case, c.Approve(300_001), TOWN_HEAD, on(DAY + timedelta(days=20), town_ceiling_fen=300_000))
    assert refused.value.reason == "amount_above_town_ceiling"
    big = act(case, c.Approve(300_001), COUNTY, on(DAY + timedelta(days=20), town_ceiling_fen=300_000)).case
    assert big.decision is not None
    assert big.decision.level is ApprovalLevel.COUNTY


def test_marginal_and_rigid_skip_the_publicity() -> None:
    for kind in (AssistanceType.MARGINAL, AssistanceType.EXPENDITURE):
        case = act(
            investigated(kind), c.PreliminaryReview(1, "认定为低保边缘家庭"), TOWN, on(DAY + timedelta(days=6))
        ).case
        assert case.stage is Stage.SUBMITTED_TO_COUNTY


# ------------------------------------------------------------------------- refusals, as a table


def at_stage(stage: Stage) -> CaseFile:
    """A case file standing at `stage` with what that stage implies recorded."""
    return dataclasses.replace(
        publicized(),
        stage=stage,
        publicity_until=DAY + timedelta(days=13),
        submitted_to_county_on=DAY + timedelta(days=14),
        preparers=frozenset(),
    )


SAMPLE: dict[Action, c.ProcedureCommand] = {
    Action.REQUEST_SUPPLEMENT: c.RequestSupplement(("户口簿",)),
    Action.RESUBMIT: c.Resubmit(),
    Action.ACCEPT: c.Accept(),
    Action.START_INVESTIGATION: c.StartInvestigation(),
    Action.RECORD_HOME_VISIT: visit(),
    Action.RECORD_SELF_CARE: c.RecordSelfCare(frozenset(), DAY),
    Action.RECORD_PLACEMENT: c.RecordPlacement(Placement.INSTITUTIONAL, "市福利院"),
    Action.REQUEST_VERIFICATION: c.RequestVerification(),
    Action.RECEIVE_VERIFICATION_REPORT: REPORT,
    Action.NOTIFY_INELIGIBLE: c.NotifyIneligible(("收入超标",)),
    Action.OBJECT: c.Object("有新证据"),
    Action.CLOSE: c.Close(),
    Action.PRELIMINARY_REVIEW: c.PreliminaryReview(10_000, "同意"),
    Action.CLOSE_PUBLICITY: c.ClosePublicity(),
    Action.RECORD_PUBLICITY_OBJECTION: c.RecordPublicityObjection("群众反映"),
    Action.REVISE_OPINION: c.ReviseOpinion(ReviewMethod.REINVESTIGATION, True, 10_000, "维持"),
    Action.RECORD_COMPLAINT: c.RecordComplaint("举报有车辆"),
    Action.RECORD_COUNTY_VISIT: county_visit(),
    Action.APPROVE: c.Approve(10_000),
    Action.REJECT: c.Reject(("家庭财产超标",)),
    Action.WITHDRAW: c.Withdraw(),
    Action.TERMINATE: c.Terminate("拒不配合入户调查"),
    Action.EXTEND: c.Extend(ExtensionReason.SEPARATED_RESIDENCE),
}


def test_every_action_has_a_sample_and_a_rule() -> None:
    assert set(SAMPLE) == set(Action) == set(TRANSITIONS)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("stage", list(Stage))
def test_an_action_outside_its_stages_is_a_wrong_stage(action: Action, stage: Stage) -> None:
    case = at_stage(stage)
    if stage in TRANSITIONS[action].stages:
        with contextlib.suppress(StepRefused):  # possible here: refused, if at all, for a precondition
            act(case, SAMPLE[action], EVERYONE, on(DAY + timedelta(days=20)))
    else:
        with pytest.raises(WrongStage) as refused:
            act(case, SAMPLE[action], EVERYONE, on(DAY + timedelta(days=20)))
        assert refused.value.reason == "wrong_stage"
        assert refused.value.status_code == 409


@pytest.mark.parametrize("action", list(Action))
def test_an_action_in_a_capacity_it_does_not_allow_is_forbidden(action: Action) -> None:
    rule = TRANSITIONS[action]
    stage = next(iter(sorted(rule.stages)))
    others = Actor("someone", frozenset(Capacity) - set(rule.capacities))
    with pytest.raises(CapacityNotAllowed) as refused:
        act(at_stage(stage), SAMPLE[action], others, on(DAY + timedelta(days=20)))
    assert refused.value.reason == "capacity_not_allowed"
    assert refused.value.status_code == 403


@pytest.mark.parametrize(
    "action", [a for a in Action if {Capacity.TOWN, Capacity.COUNTY} & set(TRANSITIONS[a].capacities)]
)
def test_staff_never_act_on_a_relatives_case(action: Action) -> None:
    stage = next(iter(sorted(TRANSITIONS[action].stages)))
    relative = Actor("town.li", frozenset({Capacity.TOWN, Capacity.COUNTY}), is_relative=True)
    with pytest.raises(OwnRelative) as refused:
        act(at_stage(stage), SAMPLE[action], relative, on(DAY + timedelta(days=20)))
    assert refused.value.reason == "own_relative"


def test_an_applicant_who_is_also_staff_may_still_withdraw_their_own_application() -> None:
    both = Actor("citizen-1", frozenset({Capacity.APPLICANT}), is_relative=True)
    assert act(new_case(), c.Withdraw("不再需要"), both, on(DAY)).case.stage is Stage.WITHDRAWN


@pytest.mark.parametrize("command", [c.Approve(78_000), c.Reject(("收入超标",))])
@pytest.mark.parametrize("preparer", ["town.li", "town.wang"])
def test_the_account_that_prepared_cannot_decide(command: c.ProcedureCommand, preparer: str) -> None:
    both_roles = Actor(preparer, frozenset({Capacity.TOWN, Capacity.COUNTY}))
    with pytest.raises(FourEyes) as refused:
        act(at_county(), command, both_roles, on(DAY + timedelta(days=20)))
    assert refused.value.reason == "same_account_prepared"


PRECONDITIONS: list[tuple[str, CaseFile, c.ProcedureCommand, Actor, str]] = [
    ("supplement without items", new_case(), c.RequestSupplement(("  ",)), TOWN, "missing_items_required"),
    (
        "visit alone",
        walk(new_case(), (c.Accept(), TOWN, on(DAY)), (c.StartInvestigation(), TOWN, on(DAY))),
        visit(investigators=("town.li",)),
        TOWN,
        "two_investigators_required",
    ),
    (
        "visit unsigned",
        walk(new_case(), (c.Accept(), TOWN, on(DAY)), (c.StartInvestigation(), TOWN, on(DAY))),
        visit(family_signed=False),
        TOWN,
        "family_signature_required",
    ),
    (
        "初审 before a visit",
        walk(new_case(), (c.Accept(), TOWN, on(DAY)), (c.StartInvestigation(), TOWN, on(DAY))),
        c.PreliminaryReview(1, "x"),
        TOWN,
        "home_visit_missing",
    ),
    (
        "初审 before the report",
        walk(
            new_case(), (c.Accept(), TOWN, on(DAY)), (c.StartInvestigation(), TOWN, on(DAY)), (visit(), TOWN, on(DAY))
        ),
        c.PreliminaryReview(1, "x"),
        TOWN,
        "verification_report_missing",
    ),
    (
        "初审 of 特困 without self-care",
        dataclasses.replace(investigated(AssistanceType.TEKUN), self_care=None),
        c.PreliminaryReview(1, "x"),
        TOWN,
        "self_care_missing",
    ),
    (
        "初审 of 特困 without placement",
        dataclasses.replace(investigated(AssistanceType.TEKUN), placement=None),
        c.PreliminaryReview(1, "x"),
        TOWN,
        "placement_missing",
    ),
    ("初审 with no amount", investigated(), c.PreliminaryReview(0, "x"), TOWN, "amount_required"),
    ("self-care on 低保", investigated(), c.RecordSelfCare(frozenset(), DAY), TOWN, "not_for_this_assistance"),
    ("publicity closed early", publicized(), c.ClosePublicity(), TOWN, "publicity_running"),
    ("objection without evidence", publicized(), c.Object("   "), APPLICANT, "evidence_required"),
    ("notice without reasons", investigated(), c.NotifyIneligible(()), TOWN, "reasons_required"),
    ("reject without reasons", at_county(), c.Reject(()), COUNTY, "reasons_required"),
    ("approve nothing", at_county(), c.Approve(0), COUNTY, "amount_required"),
    ("town confirms 低保", at_county(), c.Approve(78_000), TOWN_HEAD, "town_cannot_confirm"),
    (
        "approve 单独登记备案 unvisited",
        dataclasses.replace(at_county(), conflict_of_interest=True),
        c.Approve(78_000),
        COUNTY,
        "county_visit_missing",
    ),
    (
        "approve after a complaint unvisited",
        dataclasses.replace(at_county(), complaint=True),
        c.Approve(78_000),
        COUNTY,
        "county_visit_missing",
    ),
    (
        "extend twice",
        dataclasses.replace(investigated(), extension=ExtensionReason.DIFFICULT_INVESTIGATION),
        c.Extend(ExtensionReason.SEPARATED_RESIDENCE),
        TOWN,
        "extension_already_recorded",
    ),
]


@pytest.mark.parametrize(
    ("name", "case", "command", "actor", "reason"), PRECONDITIONS, ids=[p[0] for p in PRECONDITIONS]
)
def test_preconditions(name: str, case: CaseFile, command: c.ProcedureCommand, actor: Actor, reason: str) -> None:
    with pytest.raises(StepRefused) as refused:
        act(case, command, actor, on(DAY + timedelta(days=6)))
    assert refused.value.reason == reason
    assert refused.value.message_zh


def test_publicity_objection_after_the_end_is_refused() -> None:
    case = publicized()
    assert case.publicity_until is not None
    with pytest.raises(StepRefused) as refused:
        act(case, c.Object("晚到的异议"), APPLICANT, on(case.publicity_until + timedelta(days=1)))
    assert refused.value.reason == "publicity_over"


# ------------------------------------------------------------------------- clocks


def test_clocks_follow_the_stage() -> None:
    accepted = act(new_case(), c.Accept(), TOWN, on(DAY)).case
    assert pending_clocks(accepted) == ((Step.DIBAO_INVESTIGATION_START, DAY), (Step.DIBAO_OVERALL, DAY))
    assert pending_clocks(new_case()) == ()  # not accepted: no statutory clock yet
    county = at_county()
    assert (Step.DIBAO_COUNTY_CONFIRMATION, county.submitted_to_county_on) in pending_clocks(county)
    extended = act(county, c.Extend(ExtensionReason.SEPARATED_RESIDENCE), TOWN, on(DAY + timedelta(days=15))).case
    assert (Step.DIBAO_OVERALL_EXTENDED, DAY) in pending_clocks(extended)
    assert pending_clocks(act(county, c.Approve(1), COUNTY, on(DAY + timedelta(days=16))).case) == ()
    tekun = act(new_case(AssistanceType.TEKUN), c.Accept(), TOWN, on(DAY)).case
    assert pending_clocks(tekun) == ((Step.TEKUN_INVESTIGATION_OPINION, DAY),)


# ------------------------------------------------------------------------- any sequence


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from([k for k in AssistanceType if k is not AssistanceType.EMERGENCY]),
    script=st.lists(
        st.tuples(
            st.sampled_from(list(Action)), st.sampled_from([TOWN, TOWN_2, COUNTY, APPLICANT, SYSTEM]), st.integers(0, 3)
        ),
        max_size=40,
    ),
)
def test_any_sequence_keeps_the_invariants(kind: AssistanceType, script: list[tuple[Action, Actor, int]]) -> None:
    case = new_case(kind)
    day = DAY
    for action, actor, days in script:
        day += timedelta(days=days)
        before = case
        try:
            case = act(case, SAMPLE[action], actor, on(day, town_ceiling_fen=50_000)).case
        except (WrongStage, CapacityNotAllowed, OwnRelative, FourEyes, StepRefused):
            assert case is before
            continue
        assert before.stage not in DECIDED  # nothing leaves a final stage
        assert case.version == before.version + 1
        assert case.steps[-1].from_stage is before.stage
        if case.stage is Stage.APPROVED:
            assert case.decision is not None
            assert case.decision.by not in before.preparers
            assert case.accepted_on is not None
            assert case.town_visited
            assert case.verification is not None
            assert not case.county_visit_needed or case.county_visited
            assert case.profile.publicity is False or case.publicity_until is not None
