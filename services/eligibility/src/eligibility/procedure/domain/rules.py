"""The procedure's transitions (pure): `act(case, command, actor, circumstances)` → `Transition`.

Which action is possible from which stage, and in which capacity, is the table `TRANSITIONS`
(DOMAIN-RULES §2.10 for 低保; §3.2 for 特困; §4.4 for 支出型临时救助; §5.2–5.3 for 边缘 and 刚性支出,
which follow the 低保 steps without a 公示). Every check that is not a stage or a capacity is a
precondition with its own reason code (`StepRefused`). The order of checks is fixed and
tested: capacity (who can never take the action hears so first), stage, 回避 (own relative),
four-eyes, preconditions.

Clocks are not stored: `pending_clocks(case)` says which statutory limits run now and from
which day; the service turns them into due dates with the working-day calendar.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eligibility.deadlines.domain.calendar import Step, add_calendar_days, dibao_overall_step
from eligibility.procedure.domain import commands as c
from eligibility.procedure.domain.errors import CapacityNotAllowed, FourEyes, OwnRelative, StepRefused, WrongStage
from eligibility.procedure.domain.model import (
    DECIDED,
    OPEN,
    Action,
    ApprovalLevel,
    Capacity,
    CaseFile,
    Decision,
    ExtensionReason,
    HomeVisit,
    Opinion,
    PlacementChoice,
    SelfCare,
    Stage,
    StepRecord,
    VerificationReport,
)
from shared.events import AssistanceType
from shared.types import Period


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an account, the capacities the service derived from its principal, and
    whether it is recorded as a close relative of a member of the household (回避)."""

    account: str
    capacities: frozenset[Capacity]
    is_relative: bool = False


@dataclass(frozen=True, slots=True)
class Circumstances:
    """What the rules need from outside: the time, the business date (Asia/Shanghai), the
    特困 spot-check draw for this case, and the local policy values."""

    now: datetime
    today: date
    spot_check_drawn: bool = False
    town_ceiling_fen: int | None = None
    """临时救助: the largest amount a town may approve itself (None: the county approves all)."""
    confirmation_delegated_to_town: bool = False
    """`confirmation_delegated_to_town` (DOMAIN-RULES §2.1): the town may confirm 低保 itself."""


@dataclass(frozen=True, slots=True)
class Transition:
    case: CaseFile
    step: StepRecord

    @property
    def accepted(self) -> bool:
        return self.step.action is Action.ACCEPT

    @property
    def decided(self) -> bool:
        return self.case.stage in DECIDED and self.step.from_stage not in DECIDED


@dataclass(frozen=True, slots=True)
class Rule:
    stages: frozenset[Stage]
    capacities: tuple[Capacity, ...]
    """In order of preference: the first one the actor holds is the capacity used."""


S = Stage
TOWN, COUNTY, APPLICANT, SYSTEM = Capacity.TOWN, Capacity.COUNTY, Capacity.APPLICANT, Capacity.SYSTEM
INVESTIGATION = frozenset({S.INVESTIGATING, S.VERIFICATION_REQUESTED})

TRANSITIONS: dict[Action, Rule] = {
    Action.REQUEST_SUPPLEMENT: Rule(frozenset({S.SUBMITTED}), (TOWN,)),
    Action.RESUBMIT: Rule(frozenset({S.AWAITING_SUPPLEMENT}), (APPLICANT, TOWN)),
    Action.ACCEPT: Rule(frozenset({S.SUBMITTED}), (TOWN,)),
    Action.START_INVESTIGATION: Rule(frozenset({S.ACCEPTED, S.RECHECK}), (TOWN,)),
    Action.RECORD_HOME_VISIT: Rule(INVESTIGATION, (TOWN,)),
    Action.RECORD_SELF_CARE: Rule(INVESTIGATION | {S.SUBMITTED_TO_COUNTY}, (COUNTY, TOWN)),
    Action.RECORD_PLACEMENT: Rule(INVESTIGATION, (TOWN,)),
    Action.REQUEST_VERIFICATION: Rule(frozenset({S.INVESTIGATING}), (TOWN,)),
    Action.RECEIVE_VERIFICATION_REPORT: Rule(
        frozenset({S.ACCEPTED, S.INVESTIGATING, S.VERIFICATION_REQUESTED, S.RECHECK}), (SYSTEM,)
    ),
    Action.NOTIFY_INELIGIBLE: Rule(frozenset({S.INVESTIGATING}), (TOWN,)),
    Action.OBJECT: Rule(frozenset({S.NOTIFIED_INELIGIBLE, S.PUBLICIZING}), (APPLICANT, TOWN)),
    Action.CLOSE: Rule(frozenset({S.NOTIFIED_INELIGIBLE}), (TOWN,)),
    Action.PRELIMINARY_REVIEW: Rule(frozenset({S.INVESTIGATING}), (TOWN,)),
    Action.CLOSE_PUBLICITY: Rule(frozenset({S.PUBLICIZING}), (TOWN,)),
    Action.RECORD_PUBLICITY_OBJECTION: Rule(frozenset({S.PUBLICIZING}), (TOWN,)),
    Action.REVISE_OPINION: Rule(frozenset({S.PUBLICITY_OBJECTED}), (TOWN,)),
    Action.RECORD_COMPLAINT: Rule(frozenset({S.SUBMITTED_TO_COUNTY}), (COUNTY, TOWN)),
    Action.RECORD_COUNTY_VISIT: Rule(frozenset({S.SUBMITTED_TO_COUNTY}), (COUNTY,)),
    Action.APPROVE: Rule(frozenset({S.SUBMITTED_TO_COUNTY}), (COUNTY, TOWN)),
    Action.REJECT: Rule(frozenset({S.SUBMITTED_TO_COUNTY}), (COUNTY, TOWN)),
    Action.WITHDRAW: Rule(OPEN, (APPLICANT, TOWN)),
    Action.TERMINATE: Rule(OPEN, (TOWN, COUNTY)),
    Action.EXTEND: Rule(OPEN - {S.SUBMITTED, S.AWAITING_SUPPLEMENT}, (TOWN, COUNTY)),
}
"""Action → the stages it is possible in and the capacities that may take it."""

FOUR_EYES = frozenset({Action.APPROVE, Action.REJECT})
"""Decisions the preparers of a case may not take."""

PREPARING = frozenset(
    {Action.START_INVESTIGATION, Action.RECORD_HOME_VISIT, Action.PRELIMINARY_REVIEW, Action.REVISE_OPINION}
)
"""Actions that make the acting account a preparer of the case."""


def act(case: CaseFile, command: c.ProcedureCommand, actor: Actor, at: Circumstances) -> Transition:
    """Take `command` on `case`, or raise the refusal. The new case file carries the step
    appended to its timeline and its version increased by one."""
    action = command.action
    rule = TRANSITIONS[action]
    capacity = next((cap for cap in rule.capacities if cap in actor.capacities), None)
    if capacity is None:
        raise CapacityNotAllowed(action.value)
    if case.stage not in rule.stages:
        raise WrongStage(action.value, case.stage.value)
    staff = capacity in (TOWN, COUNTY)
    if staff and actor.is_relative:
        raise OwnRelative()
    if action in FOUR_EYES and actor.account in case.preparers:
        raise FourEyes()
    handler = _HANDLERS[type(command)]
    changes, to_stage, note, reasons = handler(case, command, actor, capacity, at)
    preparers = case.preparers | {actor.account} if action in PREPARING else case.preparers
    if isinstance(command, c.RecordHomeVisit):
        preparers |= set(command.investigators)
    step = StepRecord(
        at=at.now,
        on=at.today,
        action=action,
        actor=actor.account,
        capacity=capacity,
        from_stage=case.stage,
        to_stage=to_stage,
        note=note,
        reasons=reasons,
    )
    new = dataclasses.replace(
        case,
        **changes,
        stage=to_stage,
        preparers=frozenset(preparers),
        version=case.version + 1,
        steps=(*case.steps, step),
    )
    return Transition(case=new, step=step)


# ------------------------------------------------------------------------------ the handlers

Changes = tuple[dict[str, Any], Stage, str, tuple[str, ...]]
"""What a handler returns: fields to change, the stage to move to, a note and reason codes."""


def _text(value: str) -> str:
    return value.strip()


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise StepRefused(reason)


def _request_supplement(
    case: CaseFile, cmd: c.RequestSupplement, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    items = tuple(dict.fromkeys(i.strip() for i in cmd.missing_items if i.strip()))
    _require(bool(items), "missing_items_required")
    _require(not case.supplement_requested, "supplement_already_requested")
    return {"missing_items": items, "supplement_requested": True}, S.AWAITING_SUPPLEMENT, "; ".join(items), ()


def _resubmit(case: CaseFile, cmd: c.Resubmit, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    return {"missing_items": ()}, S.SUBMITTED, _text(cmd.note), ()


def _accept(case: CaseFile, cmd: c.Accept, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    return {"accepted_on": at.today}, S.ACCEPTED, _text(cmd.note), ()


def _start_investigation(
    case: CaseFile, cmd: c.StartInvestigation, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    return {}, S.INVESTIGATING, _text(cmd.note), ()


def _visit(cmd: c.RecordHomeVisit | c.RecordCountyVisit, actor: Actor, *, county: bool) -> HomeVisit:
    team = tuple(dict.fromkeys(i.strip() for i in (actor.account, *cmd.investigators) if i.strip()))
    _require(len(team) >= 2, "two_investigators_required")
    _require(cmd.family_signed, "family_signature_required")
    return HomeVisit(cmd.visited_on, team, cmd.family_signed, _text(cmd.findings), county_level=county)


def _record_home_visit(
    case: CaseFile, cmd: c.RecordHomeVisit, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    visit = _visit(cmd, actor, county=False)
    return {"home_visits": (*case.home_visits, visit)}, case.stage, visit.findings, ()


def _record_self_care(case: CaseFile, cmd: c.RecordSelfCare, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    _require(case.profile.self_care_assessment, "not_for_this_assistance")
    assessed = SelfCare(frozenset(cmd.failed), cmd.assessed_on)
    return {"self_care": assessed}, case.stage, assessed.tier.value, tuple(sorted(i.value for i in assessed.failed))


def _record_placement(
    case: CaseFile, cmd: c.RecordPlacement, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    _require(case.profile.self_care_assessment, "not_for_this_assistance")
    choice = PlacementChoice(cmd.placement, _text(cmd.provider))
    return {"placement": choice}, case.stage, f"{choice.placement.value}: {choice.provider}", ()


def _request_verification(
    case: CaseFile, cmd: c.RequestVerification, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    return {"verification_requested_on": at.today}, S.VERIFICATION_REQUESTED, _text(cmd.note), ()


def _receive_report(
    case: CaseFile, cmd: c.ReceiveVerificationReport, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    report = VerificationReport(
        cmd.check_id,
        at.now,
        cmd.complete,
        cmd.discrepancies,
        cmd.verified_monthly_income_fen,
        cmd.financial_assets_fen,
        cmd.vehicle_count,
        cmd.property_count,
        cmd.departments_missing,
    )
    to = S.INVESTIGATING if case.stage is S.VERIFICATION_REQUESTED else case.stage
    return {"verification": report}, to, f"check {cmd.check_id}", ()


def _reasons(values: Iterable[str]) -> tuple[str, ...]:
    reasons = tuple(dict.fromkeys(r.strip() for r in values if r.strip()))
    _require(bool(reasons), "reasons_required")
    return reasons


def _notify_ineligible(
    case: CaseFile, cmd: c.NotifyIneligible, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    reasons = _reasons(cmd.reasons)
    return {"ineligible_reasons": reasons}, S.NOTIFIED_INELIGIBLE, "", reasons


def _object(case: CaseFile, cmd: c.Object, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    evidence = _text(cmd.evidence)
    _require(bool(evidence), "evidence_required")
    if case.stage is S.NOTIFIED_INELIGIBLE:  # 复查 (S1 Art. 18)
        return {"objections": (*case.objections, evidence)}, S.RECHECK, evidence, ()
    return _publicity_objection(case, evidence, at)


def _publicity_objection(case: CaseFile, summary: str, at: Circumstances) -> Changes:
    assert case.publicity_until is not None
    _require(at.today <= case.publicity_until, "publicity_over")
    changes: dict[str, Any] = {"objections": (*case.objections, summary)}
    if case.extension is None:  # 公示有异议 is itself a recorded special case (§2.7)
        changes["extension"] = ExtensionReason.PUBLICITY_OBJECTION
    return changes, S.PUBLICITY_OBJECTED, summary, ()


def _record_publicity_objection(
    case: CaseFile, cmd: c.RecordPublicityObjection, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    summary = _text(cmd.summary)
    _require(bool(summary), "evidence_required")
    return _publicity_objection(case, summary, at)


def _decision(
    case: CaseFile,
    *,
    approved: bool,
    level: ApprovalLevel,
    amount: int,
    reasons: tuple[str, ...],
    actor: Actor,
    at: Circumstances,
) -> Decision:
    effective = None
    if approved:  # paid from the month after the decision (S1 Art. 21, S2 Art. 17)
        effective = Period.from_date(at.today).next().first_day
    return Decision(approved, level, amount, reasons, actor.account, at.today, effective)


def _close(case: CaseFile, cmd: c.Close, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    reasons = case.ineligible_reasons
    decision = _decision(case, approved=False, level=ApprovalLevel.TOWN, amount=0, reasons=reasons, actor=actor, at=at)
    return {"decision": decision}, S.REJECTED, _text(cmd.note), reasons


def _ready_for_opinion(case: CaseFile) -> None:
    _require(case.town_visited, "home_visit_missing")
    _require(case.verification is not None, "verification_report_missing")
    if case.profile.self_care_assessment:
        _require(case.self_care is not None, "self_care_missing")
        _require(case.placement is not None, "placement_missing")


def _after_opinion(case: CaseFile, at: Circumstances, *, publicize: bool) -> tuple[dict[str, Any], Stage]:
    if publicize:
        return {"publicity_from": at.today, "publicity_until": add_calendar_days(at.today, 7)}, S.PUBLICIZING
    drawn = at.spot_check_drawn and case.profile.spot_check_share_percent > 0
    return {"submitted_to_county_on": at.today, "spot_check": drawn}, S.SUBMITTED_TO_COUNTY


def _preliminary_review(
    case: CaseFile, cmd: c.PreliminaryReview, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    _ready_for_opinion(case)
    _require(cmd.amount_fen > 0, "amount_required")
    opinion = Opinion(True, cmd.amount_fen, _text(cmd.opinion), actor.account, at.now)
    changes, to = _after_opinion(case, at, publicize=case.profile.publicity)
    return {**changes, "opinion": opinion}, to, opinion.text, ()


def _close_publicity(case: CaseFile, cmd: c.ClosePublicity, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    assert case.publicity_until is not None
    _require(at.today > case.publicity_until, "publicity_running")
    changes, to = _after_opinion(case, at, publicize=False)
    return changes, to, _text(cmd.note), ()


def _revise_opinion(case: CaseFile, cmd: c.ReviseOpinion, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    _require(not cmd.recommend or cmd.amount_fen > 0, "amount_required")
    opinion = Opinion(cmd.recommend, cmd.amount_fen if cmd.recommend else 0, _text(cmd.opinion), actor.account, at.now)
    changes, to = _after_opinion(case, at, publicize=case.profile.republicize_after_objection and cmd.recommend)
    return {**changes, "opinion": opinion}, to, opinion.text, (cmd.method.value,)


def _record_complaint(
    case: CaseFile, cmd: c.RecordComplaint, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    summary = _text(cmd.summary)
    _require(bool(summary), "evidence_required")
    return {"complaint": True}, case.stage, summary, ()


def _record_county_visit(
    case: CaseFile, cmd: c.RecordCountyVisit, actor: Actor, cap: Capacity, at: Circumstances
) -> Changes:
    visit = _visit(cmd, actor, county=True)
    return {"home_visits": (*case.home_visits, visit)}, case.stage, visit.findings, ()


def _level(case: CaseFile, cap: Capacity, amount: int, at: Circumstances) -> ApprovalLevel:
    """Who decides (DOMAIN-RULES §2.1, §4.2): the county always; the town where 审核确认 is
    delegated, or for 临时救助 up to its approval ceiling."""
    if cap is COUNTY:
        return ApprovalLevel.COUNTY
    if case.profile.approval_by_amount:
        _require(at.town_ceiling_fen is not None and amount <= at.town_ceiling_fen, "amount_above_town_ceiling")
        return ApprovalLevel.TOWN
    _require(at.confirmation_delegated_to_town and case.assistance_type is AssistanceType.DIBAO, "town_cannot_confirm")
    return ApprovalLevel.TOWN


def _approve(case: CaseFile, cmd: c.Approve, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    _require(cmd.amount_fen > 0, "amount_required")
    level = _level(case, cap, cmd.amount_fen, at)
    _require(not case.county_visit_needed or case.county_visited, "county_visit_missing")
    if case.profile.self_care_assessment:
        _require(case.self_care is not None, "self_care_missing")
        _require(case.placement is not None, "placement_missing")
    decision = _decision(case, approved=True, level=level, amount=cmd.amount_fen, reasons=(), actor=actor, at=at)
    return {"decision": decision}, S.APPROVED, _text(cmd.note), ()


def _reject(case: CaseFile, cmd: c.Reject, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    reasons = _reasons(cmd.reasons)
    level = _level(case, cap, 0, at)
    decision = _decision(case, approved=False, level=level, amount=0, reasons=reasons, actor=actor, at=at)
    return {"decision": decision}, S.REJECTED, "", reasons


def _withdraw(case: CaseFile, cmd: c.Withdraw, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    return {}, S.WITHDRAWN, _text(cmd.reason), ()


def _terminate(case: CaseFile, cmd: c.Terminate, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    reason = _text(cmd.reason)
    _require(bool(reason), "reasons_required")
    return {}, S.TERMINATED, reason, ()


def _extend(case: CaseFile, cmd: c.Extend, actor: Actor, cap: Capacity, at: Circumstances) -> Changes:
    _require(case.extension is None, "extension_already_recorded")
    return {"extension": cmd.reason}, case.stage, _text(cmd.note), (cmd.reason.value,)


Handler = Callable[[CaseFile, Any, Actor, Capacity, Circumstances], Changes]

_HANDLERS: dict[type, Handler] = {
    c.RequestSupplement: _request_supplement,
    c.Resubmit: _resubmit,
    c.Accept: _accept,
    c.StartInvestigation: _start_investigation,
    c.RecordHomeVisit: _record_home_visit,
    c.RecordSelfCare: _record_self_care,
    c.RecordPlacement: _record_placement,
    c.RequestVerification: _request_verification,
    c.ReceiveVerificationReport: _receive_report,
    c.NotifyIneligible: _notify_ineligible,
    c.Object: _object,
    c.Close: _close,
    c.PreliminaryReview: _preliminary_review,
    c.ClosePublicity: _close_publicity,
    c.RecordPublicityObjection: _record_publicity_objection,
    c.ReviseOpinion: _revise_opinion,
    c.RecordComplaint: _record_complaint,
    c.RecordCountyVisit: _record_county_visit,
    c.Approve: _approve,
    c.Reject: _reject,
    c.Withdraw: _withdraw,
    c.Terminate: _terminate,
    c.Extend: _extend,
}


# ------------------------------------------------------------------------------ the clocks


def pending_clocks(case: CaseFile) -> tuple[tuple[Step, date], ...]:
    """The statutory limits running now, each with the day its clock started (the start day
    does not count; `eligibility.domain.calendar.due_date` gives the due date)."""
    if case.stage in DECIDED or case.accepted_on is None:
        return ()
    kind = case.assistance_type
    clocks: list[tuple[Step, date]] = []
    if kind is AssistanceType.TEKUN:
        if case.stage in (S.ACCEPTED, S.INVESTIGATING, S.VERIFICATION_REQUESTED, S.RECHECK):
            clocks.append((Step.TEKUN_INVESTIGATION_OPINION, case.accepted_on))
        if case.stage is S.PUBLICITY_OBJECTED and case.publicity_from is not None:
            objected = _last_step_day(case, {Action.OBJECT, Action.RECORD_PUBLICITY_OBJECTION})
            clocks.append((Step.TEKUN_OBJECTION_REOPINION, objected or case.publicity_from))
        if case.stage is S.SUBMITTED_TO_COUNTY and case.submitted_to_county_on is not None:
            clocks.append((Step.TEKUN_COUNTY_REVIEW, case.submitted_to_county_on))
    else:
        if case.stage is S.ACCEPTED:
            clocks.append((Step.DIBAO_INVESTIGATION_START, case.accepted_on))
        if case.stage is S.SUBMITTED_TO_COUNTY and case.submitted_to_county_on is not None:
            clocks.append((Step.DIBAO_COUNTY_CONFIRMATION, case.submitted_to_county_on))
        if kind is AssistanceType.EXPENDITURE:
            extended = case.extension is not None
            clocks.append(
                (Step.RIGID_EXPENSE_DECISION_EXTENDED if extended else Step.RIGID_EXPENSE_DECISION, case.accepted_on)
            )
        elif kind in (AssistanceType.DIBAO, AssistanceType.MARGINAL):
            overall = dibao_overall_step(confirmation_delegated_to_town=False, extended=case.extension is not None)
            clocks.append((overall, case.accepted_on))
    if case.stage is S.VERIFICATION_REQUESTED and case.verification_requested_on is not None:
        clocks.append((Step.DIBAO_VERIFICATION_START, case.verification_requested_on))
    if case.stage is S.PUBLICIZING and case.publicity_from is not None:
        clocks.append(
            (Step.TEKUN_PUBLICITY if kind is AssistanceType.TEKUN else Step.DIBAO_PUBLICITY, case.publicity_from)
        )
    return tuple(clocks)


def _last_step_day(case: CaseFile, actions: set[Action]) -> date | None:
    for step in reversed(case.steps):
        if step.action in actions:
            return step.on
    return None
