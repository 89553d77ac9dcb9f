"""HTTP models of active cases: the case as read, and one body per action, each with its
example, the scope its route requires, and the rule it applies (`decide`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from eligibility.cases.domain import rules
from eligibility.cases.domain.model import (
    Case,
    CaseAction,
    CaseCategory,
    CaseStatus,
    CaseStep,
    ChangeReason,
    ReviewReason,
    TerminationReason,
)
from eligibility.cases.domain.rules import CaseActor, CaseChange, ReviewOutcome
from shared.types import NonEmptyStr, NonNegativeMoney, format_fen, to_fen

READ = "eligibility:applications:read"
WRITE = "eligibility:applications:write"
APPROVE = "eligibility:applications:approve"
ACT = "eligibility:procedure:act"


class CaseStepRead(BaseModel):
    at: datetime
    on: date
    action: CaseAction
    actor: str
    from_status: CaseStatus
    to_status: CaseStatus
    note: str
    reasons: list[str]


class CaseRead(BaseModel):
    case_id: UUID
    application_id: UUID
    household_id: UUID
    category: CaseCategory
    region_code: str
    town_code: str | None
    status: CaseStatus
    monthly_amount: str = Field(description="元 per month")
    start_month: str
    policy_version: str
    review_every_months: int
    next_review_on: date
    review_reason: ReviewReason | None
    review_due_by: date | None
    phase_out_until: str | None
    termination_publicity_until: date | None
    termination_reason: TerminationReason | None
    last_paid_month: str | None
    overpaid_from: str | None
    version: int
    steps: list[CaseStepRead]


class CasePage(BaseModel):
    items: list[CaseRead]
    total: int
    limit: int
    offset: int


def case_read(case: Case) -> CaseRead:
    ended = case.termination or case.pending_termination
    return CaseRead(
        case_id=case.case_id,
        application_id=case.application_id,
        household_id=case.household_id,
        category=case.category,
        region_code=case.region_code,
        town_code=case.town_code,
        status=case.status,
        monthly_amount=format_fen(case.monthly_fen),
        start_month=str(case.start_month),
        policy_version=case.policy_version,
        review_every_months=case.review_every_months,
        next_review_on=case.next_review_on,
        review_reason=case.review_reason,
        review_due_by=case.review_due_by,
        phase_out_until=None if case.phase_out_until is None else str(case.phase_out_until),
        termination_publicity_until=case.termination_publicity_until,
        termination_reason=None if ended is None else ended.reason,
        last_paid_month=None if ended is None else str(ended.last_paid_month),
        overpaid_from=None if ended is None or ended.overpaid_from is None else str(ended.overpaid_from),
        version=case.version,
        steps=[_step(s) for s in case.steps],
    )


def _step(s: CaseStep) -> CaseStepRead:
    return CaseStepRead(
        at=s.at,
        on=s.on,
        action=s.action,
        actor=s.actor,
        from_status=s.from_status,
        to_status=s.to_status,
        note=s.note,
        reasons=list(s.reasons),
    )


def example(values: dict[str, object]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})  # type: ignore[list-item]


class CaseActionBody(BaseModel):
    """Common to every case action: the version the caller read (optional optimistic check)."""

    model_config = ConfigDict(extra="forbid")
    expected_version: int | None = Field(default=None, ge=0, le=1_000_000)
    action: ClassVar[CaseAction]
    scope: ClassVar[str]
    route_summary: ClassVar[str]

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        raise NotImplementedError


class OpenReviewBody(CaseActionBody):
    model_config = example({"reason": "reported_change", "note": "户主重新就业"})
    action, scope, route_summary = CaseAction.OPEN_REVIEW, ACT, "Open a review (复核)"
    reason: ReviewReason
    note: NonEmptyStr | None = None

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        return rules.open_review(case, self.reason, actor, now, today, note=self.note or "")


class CompleteReviewBody(CaseActionBody):
    """The county's decision on a review: unchanged, a new amount, 渐退 (1–6 months) or termination."""

    model_config = example({"outcome": "change_amount", "monthly_amount": "520.00", "note": "收入增加"})
    action, scope, route_summary = CaseAction.COMPLETE_REVIEW, APPROVE, "Decide on a review (county)"
    outcome: ReviewOutcome
    monthly_amount: NonNegativeMoney | None = None
    phase_out_months: int | None = Field(default=None, ge=1, le=6)
    termination_reason: TerminationReason | None = None
    note: NonEmptyStr | None = None

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        return rules.complete_review(
            case,
            self.outcome,
            actor,
            now,
            today,
            monthly_fen=_fen(self.monthly_amount),
            phase_out_months=self.phase_out_months,
            termination_reason=self.termination_reason,
            note=self.note or "",
        )


class ChangeAmountBody(CaseActionBody):
    model_config = example({"monthly_amount": "860.00", "reason": "member_change"})
    action, scope, route_summary = CaseAction.CHANGE_AMOUNT, APPROVE, "Change the monthly amount (county)"
    monthly_amount: NonNegativeMoney
    reason: ChangeReason
    note: NonEmptyStr | None = None

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        return rules.change_amount(
            case, to_fen(self.monthly_amount), self.reason, actor, now, today, note=self.note or ""
        )


class SuspendBody(CaseActionBody):
    model_config = example({"reason": "户主下落不明，待核实"})
    action, scope, route_summary = CaseAction.SUSPEND, ACT, "Suspend payment (暂停发放)"
    reason: NonEmptyStr

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        return rules.suspend(case, self.reason, actor, now, today)


class ResumeBody(CaseActionBody):
    model_config = example({"note": "核实后恢复发放"})
    action, scope, route_summary = CaseAction.RESUME, APPROVE, "Resume payment (county)"
    note: NonEmptyStr | None = None

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        return rules.resume(case, actor, now, today, note=self.note or "")


class TerminateBody(CaseActionBody):
    model_config = example({"reason": "assets_exceed_limits", "note": "新购车辆一辆"})
    action, scope = CaseAction.TERMINATE, APPROVE
    route_summary = "Terminate (停发/终止, county): 低保 and 特困 are publicized 7 days first"
    reason: TerminationReason
    occurred_on: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    note: NonEmptyStr | None = None

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        return rules.terminate(case, self.reason, actor, now, today, occurred_on=self.occurred_on, note=self.note or "")


class ObjectionBody(CaseActionBody):
    model_config = example({"summary": "车辆已于上月过户，附过户证明"})
    action, scope = CaseAction.OBJECT_TO_TERMINATION, WRITE
    route_summary = "Object during the termination 公示 (the case goes back to review)"
    summary: NonEmptyStr

    def decide(self, case: Case, actor: CaseActor, now: datetime, today: date) -> CaseChange:
        return rules.object_to_termination(case, self.summary, actor, now, today)


CASE_BODIES: tuple[type[CaseActionBody], ...] = (
    OpenReviewBody,
    CompleteReviewBody,
    ChangeAmountBody,
    SuspendBody,
    ResumeBody,
    TerminateBody,
    ObjectionBody,
)


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else to_fen(amount)
