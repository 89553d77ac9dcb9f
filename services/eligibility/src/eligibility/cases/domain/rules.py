"""What happens to an active case (pure): open it on approval, review it on schedule or on a
notice, change its amount, phase it out, suspend, resume and terminate it.

Who: the town (乡镇/街道) opens reviews and suspends; the county (审核确认) completes reviews,
changes amounts and terminates; the system opens scheduled reviews, reviews on department and
monitoring notices, applies the death rule and ends phase-outs. Refusals are the procedure's
errors (`WrongStage`-like `CaseWrongStatus`, `CapacityNotAllowed`, `StepRefused` codes).

Rules where DOMAIN-RULES is silent, decided here (and in the closing note):
- a 低保 termination is publicized 7 days like a 特困 one (§3.5), except death, 宣告失踪 and
  voluntary exit; 边缘 and 刚性支出 end without 公示 (they are recognitions, not payments);
- an objection during the termination 公示 reopens a review (decision within 15 WD);
- a review that finds no significant change keeps the amount (§2.9, S1 Art. 31);
- suspension stops payment from the next month and is itself a `benefit_changed` to 0.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eligibility.cases.domain.model import (
    NO_PUBLICITY,
    BenefitChange,
    Case,
    CaseAction,
    CaseCategory,
    CaseStatus,
    CaseStep,
    ChangeReason,
    ReviewReason,
    Termination,
    TerminationReason,
)
from eligibility.deadlines.domain.calendar import add_calendar_days
from eligibility.procedure.domain.errors import CapacityNotAllowed, StepRefused
from eligibility.procedure.domain.model import Capacity
from jiuzhu_platform.errors import Conflict
from shared.types import Period

St = CaseStatus
LIVE = frozenset({St.ACTIVE, St.UNDER_REVIEW, St.PHASE_OUT, St.SUSPENDED, St.TERMINATION_PUBLICIZING})
DEATH_REVIEW_MONTHS = 3
"""A member's death: the household is reviewed and 增/减/停 finished within 3 months (§2.9, S6 §1(3))."""


class CaseWrongStatus(Conflict):
    reason = "wrong_case_status"

    def __init__(self, action: str, status: str) -> None:
        super().__init__(
            f"'{action}' is not possible while the case is '{status}'",
            message_zh=f"救助对象当前状态为“{status}”，不能执行“{action}”",
        )


class ReviewOutcome(StrEnum):
    UNCHANGED = "unchanged"  # 无明显变化，不调整
    CHANGE_AMOUNT = "change_amount"  # 调整金额
    PHASE_OUT = "phase_out"  # 进入渐退期
    TERMINATE = "terminate"  # 停发/终止


@dataclass(frozen=True, slots=True)
class CaseActor:
    account: str
    capacities: frozenset[Capacity]


@dataclass(frozen=True, slots=True)
class CaseChange:
    """The new case, its step, and what the service must publish."""

    case: Case
    step: CaseStep
    benefit: BenefitChange | None = None
    terminated: Termination | None = None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    target = Period.from_date(day).shift(months)
    return target.first_day.replace(day=min(day.day, target.last_day.day))


def open_case(
    *,
    case_id: UUID,
    application_id: UUID,
    household_id: UUID,
    category: CaseCategory,
    region_code: str,
    town_code: str | None,
    monthly_fen: int,
    start_month: Period,
    policy_version: str,
    review_every_months: int,
    actor: str,
    now: datetime,
    today: date,
) -> CaseChange:
    """A case opened by an approval, paid from `start_month`, first reviewed after one interval."""
    case = Case(
        case_id=case_id,
        application_id=application_id,
        household_id=household_id,
        category=category,
        region_code=region_code,
        town_code=town_code,
        status=St.ACTIVE,
        monthly_fen=monthly_fen,
        start_month=start_month,
        policy_version=policy_version,
        review_every_months=review_every_months,
        next_review_on=add_months(start_month.first_day, review_every_months),
    )
    step = CaseStep(now, today, CaseAction.OPEN, actor, St.ACTIVE, St.ACTIVE, "case opened")
    return CaseChange(dataclasses.replace(case, steps=(step,)), step)


def _check(
    case: Case, action: CaseAction, allowed: frozenset[CaseStatus], actor: CaseActor, who: set[Capacity]
) -> None:
    if not (actor.capacities & who):
        raise CapacityNotAllowed(action.value)
    if case.status not in allowed:
        raise CaseWrongStatus(action.value, case.status.value)


def _step(
    case: Case,
    action: CaseAction,
    actor: CaseActor,
    to: CaseStatus,
    now: datetime,
    today: date,
    *,
    note: str = "",
    reasons: tuple[str, ...] = (),
    **changes: Any,
) -> tuple[Case, CaseStep]:
    step = CaseStep(now, today, action, actor.account, case.status, to, note, reasons)
    new = dataclasses.replace(case, **changes, status=to, version=case.version + 1, steps=(*case.steps, step))
    return new, step


TOWN, COUNTY, SYSTEM = Capacity.TOWN, Capacity.COUNTY, Capacity.SYSTEM


def open_review(
    case: Case,
    reason: ReviewReason,
    actor: CaseActor,
    now: datetime,
    today: date,
    *,
    due_by: date | None = None,
    note: str = "",
) -> CaseChange:
    """复核: payments continue while it runs. A death notice is due within 3 months."""
    _check(
        case, CaseAction.OPEN_REVIEW, frozenset({St.ACTIVE, St.PHASE_OUT, St.SUSPENDED}), actor, {TOWN, COUNTY, SYSTEM}
    )
    if due_by is None and reason is ReviewReason.DEATH_NOTICE:
        due_by = add_months(today, DEATH_REVIEW_MONTHS)
    new, step = _step(
        case,
        CaseAction.OPEN_REVIEW,
        actor,
        St.UNDER_REVIEW,
        now,
        today,
        note=note,
        reasons=(reason.value,),
        review_reason=reason,
        review_due_by=due_by,
    )
    return CaseChange(new, step)


def complete_review(
    case: Case,
    outcome: ReviewOutcome,
    actor: CaseActor,
    now: datetime,
    today: date,
    *,
    monthly_fen: int | None = None,
    phase_out_months: int | None = None,
    max_phase_out_months: int = 6,
    termination_reason: TerminationReason | None = None,
    note: str = "",
) -> CaseChange:
    """The county's decision on a review. Changes take effect from the next month."""
    _check(case, CaseAction.COMPLETE_REVIEW, frozenset({St.UNDER_REVIEW}), actor, {COUNTY})
    next_month = Period.from_date(today).next()
    done: dict[str, Any] = {
        "review_reason": None,
        "review_due_by": None,
        "next_review_on": add_months(today, case.review_every_months),
    }
    if outcome is ReviewOutcome.UNCHANGED:
        new, step = _step(
            case, CaseAction.COMPLETE_REVIEW, actor, St.ACTIVE, now, today, note=note, reasons=(outcome.value,), **done
        )
        return CaseChange(new, step)
    if outcome is ReviewOutcome.CHANGE_AMOUNT:
        if monthly_fen is None or monthly_fen <= 0:
            raise StepRefused("amount_required")
        new, step = _step(
            case,
            CaseAction.COMPLETE_REVIEW,
            actor,
            St.ACTIVE,
            now,
            today,
            note=note,
            reasons=(outcome.value,),
            monthly_fen=monthly_fen,
            **done,
        )
        return CaseChange(new, step, BenefitChange(monthly_fen, next_month, ChangeReason.REVIEW))
    if outcome is ReviewOutcome.PHASE_OUT:
        months = phase_out_months or max_phase_out_months
        if case.category is not CaseCategory.DIBAO or not 1 <= months <= max_phase_out_months:
            raise StepRefused("phase_out_not_allowed")
        until = next_month.shift(months - 1)
        new, step = _step(
            case,
            CaseAction.COMPLETE_REVIEW,
            actor,
            St.PHASE_OUT,
            now,
            today,
            note=note,
            reasons=(outcome.value,),
            phase_out_until=until,
            **done,
        )
        return CaseChange(new, step, BenefitChange(case.monthly_fen, next_month, ChangeReason.PHASE_OUT))
    if termination_reason is None:
        raise StepRefused("reasons_required")
    return _terminate(case, termination_reason, actor, now, today, note=note, action=CaseAction.COMPLETE_REVIEW)


def change_amount(
    case: Case, monthly_fen: int, reason: ChangeReason, actor: CaseActor, now: datetime, today: date, *, note: str = ""
) -> CaseChange:
    _check(case, CaseAction.CHANGE_AMOUNT, frozenset({St.ACTIVE, St.UNDER_REVIEW}), actor, {COUNTY})
    if monthly_fen <= 0:
        raise StepRefused("amount_required")
    new, step = _step(
        case,
        CaseAction.CHANGE_AMOUNT,
        actor,
        case.status,
        now,
        today,
        note=note,
        reasons=(reason.value,),
        monthly_fen=monthly_fen,
    )
    return CaseChange(new, step, BenefitChange(monthly_fen, Period.from_date(today).next(), reason))


def suspend(case: Case, reason: str, actor: CaseActor, now: datetime, today: date) -> CaseChange:
    _check(
        case, CaseAction.SUSPEND, frozenset({St.ACTIVE, St.UNDER_REVIEW, St.PHASE_OUT}), actor, {TOWN, COUNTY, SYSTEM}
    )
    if not reason.strip():
        raise StepRefused("reasons_required")
    new, step = _step(
        case, CaseAction.SUSPEND, actor, St.SUSPENDED, now, today, note=reason.strip(), suspended_reason=reason.strip()
    )
    return CaseChange(new, step, BenefitChange(0, Period.from_date(today).next(), ChangeReason.SUSPENDED))


def resume(case: Case, actor: CaseActor, now: datetime, today: date, *, note: str = "") -> CaseChange:
    _check(case, CaseAction.RESUME, frozenset({St.SUSPENDED}), actor, {COUNTY})
    to = St.PHASE_OUT if case.phase_out_until is not None else St.ACTIVE
    new, step = _step(case, CaseAction.RESUME, actor, to, now, today, note=note, suspended_reason=None)
    return CaseChange(new, step, BenefitChange(case.monthly_fen, Period.from_date(today).next(), ChangeReason.RESUMED))


def terminate(
    case: Case,
    reason: TerminationReason,
    actor: CaseActor,
    now: datetime,
    today: date,
    *,
    occurred_on: date | None = None,
    note: str = "",
) -> CaseChange:
    """停发/终止 by the county (or the system for a death). `occurred_on` backdates the end
    (a death notified late): months paid after it are overpaid (payment recovers them)."""
    who = {COUNTY, SYSTEM} if reason in NO_PUBLICITY else {COUNTY}
    _check(case, CaseAction.TERMINATE, LIVE - {St.TERMINATION_PUBLICIZING}, actor, who)
    return _terminate(case, reason, actor, now, today, occurred_on=occurred_on, note=note, action=CaseAction.TERMINATE)


def _publicized(case: Case, reason: TerminationReason) -> bool:
    return case.category in (CaseCategory.DIBAO, CaseCategory.TEKUN) and reason not in NO_PUBLICITY


def _terminate(
    case: Case,
    reason: TerminationReason,
    actor: CaseActor,
    now: datetime,
    today: date,
    *,
    action: CaseAction,
    occurred_on: date | None = None,
    note: str = "",
) -> CaseChange:
    decided = Period.from_date(today)
    last_paid = decided  # payment stops after the decision month (S2 Art. 24–27: from the next month)
    overpaid_from = None
    if occurred_on is not None and occurred_on <= today:
        first_unowed = Period.from_date(occurred_on).next()  # nothing is owed after the month of the event
        if first_unowed <= decided:
            overpaid_from = first_unowed  # paid already from then on: payment recovers it (追缴)
    termination = Termination(reason, today, last_paid, overpaid_from, note)
    if _publicized(case, reason):
        new, step = _step(
            case,
            action,
            actor,
            St.TERMINATION_PUBLICIZING,
            now,
            today,
            note=note,
            reasons=(reason.value,),
            pending_termination=termination,
            termination_publicity_until=add_calendar_days(today, 7),
        )
        return CaseChange(new, step)
    new, step = _step(
        case, action, actor, St.TERMINATED, now, today, note=note, reasons=(reason.value,), termination=termination
    )
    return CaseChange(new, step, terminated=termination)


def object_to_termination(case: Case, summary: str, actor: CaseActor, now: datetime, today: date) -> CaseChange:
    """An objection during the termination 公示: the case goes back to review (S2 Art. 24–27).
    Raised by the person, or recorded by the town, which runs the 公示 in the 村/社区."""
    _check(
        case,
        CaseAction.OBJECT_TO_TERMINATION,
        frozenset({St.TERMINATION_PUBLICIZING}),
        actor,
        {TOWN, Capacity.APPLICANT},
    )
    if not summary.strip():
        raise StepRefused("evidence_required")
    assert case.termination_publicity_until is not None
    if today > case.termination_publicity_until:
        raise StepRefused("publicity_over")
    new, step = _step(
        case,
        CaseAction.OBJECT_TO_TERMINATION,
        actor,
        St.UNDER_REVIEW,
        now,
        today,
        note=summary.strip(),
        reasons=(ReviewReason.TERMINATION_OBJECTION.value,),
        review_reason=ReviewReason.TERMINATION_OBJECTION,
        pending_termination=None,
        termination_publicity_until=None,
    )
    return CaseChange(new, step)


def close_termination_publicity(case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
    """公示 over without objection: the termination takes effect (last paid: the decision month,
    or the month the publicity closes if later)."""
    _check(
        case,
        CaseAction.CLOSE_TERMINATION_PUBLICITY,
        frozenset({St.TERMINATION_PUBLICIZING}),
        actor,
        {TOWN, COUNTY, SYSTEM},
    )
    assert case.termination_publicity_until is not None
    assert case.pending_termination is not None
    if today <= case.termination_publicity_until:
        raise StepRefused("publicity_running")
    pending = case.pending_termination
    termination = dataclasses.replace(pending, last_paid_month=max(pending.last_paid_month, Period.from_date(today)))
    new, step = _step(
        case,
        CaseAction.CLOSE_TERMINATION_PUBLICITY,
        actor,
        St.TERMINATED,
        now,
        today,
        reasons=(termination.reason.value,),
        termination=termination,
        pending_termination=None,
    )
    return CaseChange(new, step, terminated=termination)


def end_phase_out(case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
    """The 渐退期 is over: the case ends (income above the standard), no new 公示."""
    _check(case, CaseAction.END_PHASE_OUT, frozenset({St.PHASE_OUT}), actor, {SYSTEM, COUNTY})
    assert case.phase_out_until is not None
    if Period.from_date(today) <= case.phase_out_until:
        raise StepRefused("phase_out_running")
    termination = Termination(TerminationReason.INCOME_ABOVE_STANDARD, today, case.phase_out_until)
    new, step = _step(
        case,
        CaseAction.END_PHASE_OUT,
        actor,
        St.TERMINATED,
        now,
        today,
        reasons=(termination.reason.value,),
        termination=termination,
    )
    return CaseChange(new, step, terminated=termination)


def on_member_death(
    case: Case, *, single_person: bool, died_on: date, actor: CaseActor, now: datetime, today: date
) -> CaseChange:
    """A death notice (from verification): a single-person household or a 特困 person ends from
    the month after the death; any other household is reviewed within 3 months (§2.9, §3.5)."""
    if single_person or case.category is CaseCategory.TEKUN:
        return terminate(case, TerminationReason.DEATH, actor, now, today, occurred_on=died_on, note=f"died {died_on}")
    return open_review(case, ReviewReason.DEATH_NOTICE, actor, now, today, note=f"member died {died_on}")


def record_payment_event(case: Case, kind: str, note: str, actor: CaseActor, now: datetime, today: date) -> CaseChange:
    """A payment failed or a recovery (追缴) opened: on the case's timeline, nothing else changes."""
    new, step = _step(case, CaseAction.RECORD_PAYMENT_EVENT, actor, case.status, now, today, note=note, reasons=(kind,))
    return CaseChange(new, step)


def due_for_review(case: Case, today: date) -> bool:
    return case.status in (St.ACTIVE, St.PHASE_OUT) and case.next_review_on <= today
