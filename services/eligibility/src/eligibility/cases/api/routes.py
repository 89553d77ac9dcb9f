"""Active-case endpoints: list and read cases (region-scoped), and act on them: reviews,
amount changes, suspension, termination with its 公示, and the daily housekeeping run."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from eligibility.cases import service
from eligibility.cases.adapters.repository import CaseRepository
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
from eligibility.cases.domain.rules import CaseWrongStatus, ReviewOutcome
from eligibility.procedure.domain.errors import CapacityNotAllowed, StaleApplication, StepRefused
from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from shared.types import NonEmptyStr, NonNegativeMoney, business_date, format_fen, to_fen

router = APIRouter(prefix="/v1/eligibility", tags=["cases"])

Reader = Annotated[Principal, requires("eligibility:applications:read")]
Approver = Annotated[Principal, requires("eligibility:applications:approve")]
Handler = Annotated[Principal, requires("eligibility:procedure:act")]
Writer = Annotated[Principal, requires("eligibility:applications:write")]

REFUSALS = (
    *PROTECTED,
    RegionNotAllowed,
    service.CaseNotFound,
    CapacityNotAllowed,
    CaseWrongStatus,
    StepRefused,
    StaleApplication,
    RequestInvalid,
)


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


class Versioned(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expected_version: int | None = Field(default=None, ge=0, le=1_000_000)


class OpenReviewBody(Versioned):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "reported_change", "note": "户主重新就业"}]}
    )
    reason: ReviewReason
    note: NonEmptyStr | None = None


class CompleteReviewBody(Versioned):
    """The county's decision on a review: unchanged, a new amount, 渐退 (1–6 months) or termination."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "change_amount", "monthly_amount": "520.00", "note": "收入增加"}]},
    )
    outcome: ReviewOutcome
    monthly_amount: NonNegativeMoney | None = None
    phase_out_months: int | None = Field(default=None, ge=1, le=6)
    termination_reason: TerminationReason | None = None
    note: NonEmptyStr | None = None


class ChangeAmountBody(Versioned):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"monthly_amount": "860.00", "reason": "member_change"}]}
    )
    monthly_amount: NonNegativeMoney
    reason: ChangeReason
    note: NonEmptyStr | None = None


class SuspendBody(Versioned):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "户主下落不明，待核实"}]})
    reason: NonEmptyStr


class NoteBody(Versioned):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "核实后恢复发放"}]})
    note: NonEmptyStr | None = None


class TerminateBody(Versioned):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "assets_exceed_limits", "note": "新购车辆一辆"}]}
    )
    reason: TerminationReason
    occurred_on: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    note: NonEmptyStr | None = None


class ObjectionBody(Versioned):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"summary": "车辆已于上月过户，附过户证明"}]}
    )
    summary: NonEmptyStr


def _fen(amount: Decimal | None) -> int | None:
    return None if amount is None else to_fen(amount)


@router.get(
    "/cases", summary="Active cases (保障对象), region-scoped and paged", responses=refusals(*PROTECTED, RequestInvalid)
)
async def list_cases(
    caller: Reader,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    status: Annotated[list[CaseStatus] | None, Query(max_length=6)] = None,
    category: CaseCategory | None = None,
    review_due: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    cases, total = await CaseRepository(session).page(
        RegionScope.for_principal(caller),
        statuses=tuple(status or ()),
        category=category,
        review_due_on=business_date(runtime.now()) if review_due else None,
        limit=limit,
        offset=offset,
    )
    return CasePage(items=[case_read(c) for c in cases], total=total, limit=limit, offset=offset)


@router.get("/cases/{case_id}", summary="One case with its timeline", responses=refusals(*REFUSALS))
async def get_case(case_id: UUID, caller: Reader, session: ReadSessionDep) -> CaseRead:
    return case_read(await service.load(session, case_id, RegionScope.for_principal(caller)))


async def _act(
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    case_id: UUID,
    caller: Principal,
    decide: service.Decide,
    expected_version: int | None,
    action: CaseAction,
    correlation_id: str,
) -> CaseRead:
    now = runtime.now()
    result = await service.change(session, case_id, caller, decide, now=now, expected_version=expected_version)
    await service.publish(session, result, runtime.settings.person_ref_secret(), correlation_id=correlation_id, now=now)
    await audit.state_change(session, target_id=case_id, details={"action": action.value})
    return case_read(result.case)


@router.post("/cases/{case_id}/open-review", summary="Open a review (复核)", responses=refusals(*REFUSALS))
async def open_review(
    case_id: UUID,
    body: OpenReviewBody,
    caller: Handler,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> CaseRead:
    def decide(case: Case, actor: rules.CaseActor, now: datetime, today: date) -> rules.CaseChange:
        return rules.open_review(case, body.reason, actor, now, today, note=body.note or "")

    return await _act(
        session, runtime, audit, case_id, caller, decide, body.expected_version, CaseAction.OPEN_REVIEW, correlation_id
    )


@router.post("/cases/{case_id}/complete-review", summary="Decide on a review (county)", responses=refusals(*REFUSALS))
async def complete_review(
    case_id: UUID,
    body: CompleteReviewBody,
    caller: Approver,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> CaseRead:
    def decide(case: Case, actor: rules.CaseActor, now: datetime, today: date) -> rules.CaseChange:
        return rules.complete_review(
            case,
            body.outcome,
            actor,
            now,
            today,
            monthly_fen=_fen(body.monthly_amount),
            phase_out_months=body.phase_out_months,
            termination_reason=body.termination_reason,
            note=body.note or "",
        )

    return await _act(
        session,
        runtime,
        audit,
        case_id,
        caller,
        decide,
        body.expected_version,
        CaseAction.COMPLETE_REVIEW,
        correlation_id,
    )


@router.post(
    "/cases/{case_id}/change-amount", summary="Change the monthly amount (county)", responses=refusals(*REFUSALS)
)
async def change_amount(
    case_id: UUID,
    body: ChangeAmountBody,
    caller: Approver,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> CaseRead:
    def decide(case: Case, actor: rules.CaseActor, now: datetime, today: date) -> rules.CaseChange:
        return rules.change_amount(
            case, to_fen(body.monthly_amount), body.reason, actor, now, today, note=body.note or ""
        )

    return await _act(
        session,
        runtime,
        audit,
        case_id,
        caller,
        decide,
        body.expected_version,
        CaseAction.CHANGE_AMOUNT,
        correlation_id,
    )


@router.post("/cases/{case_id}/suspend", summary="Suspend payment (暂停发放)", responses=refusals(*REFUSALS))
async def suspend(
    case_id: UUID,
    body: SuspendBody,
    caller: Handler,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> CaseRead:
    def decide(case: Case, actor: rules.CaseActor, now: datetime, today: date) -> rules.CaseChange:
        return rules.suspend(case, body.reason, actor, now, today)

    return await _act(
        session, runtime, audit, case_id, caller, decide, body.expected_version, CaseAction.SUSPEND, correlation_id
    )


@router.post("/cases/{case_id}/resume", summary="Resume payment (county)", responses=refusals(*REFUSALS))
async def resume(
    case_id: UUID,
    body: NoteBody,
    caller: Approver,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> CaseRead:
    def decide(case: Case, actor: rules.CaseActor, now: datetime, today: date) -> rules.CaseChange:
        return rules.resume(case, actor, now, today, note=body.note or "")

    return await _act(
        session, runtime, audit, case_id, caller, decide, body.expected_version, CaseAction.RESUME, correlation_id
    )


@router.post(
    "/cases/{case_id}/terminate",
    summary="Terminate (停发/终止, county): 低保 and 特困 are publicized 7 days first",
    responses=refusals(*REFUSALS),
)
async def terminate(
    case_id: UUID,
    body: TerminateBody,
    caller: Approver,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> CaseRead:
    def decide(case: Case, actor: rules.CaseActor, now: datetime, today: date) -> rules.CaseChange:
        return rules.terminate(case, body.reason, actor, now, today, occurred_on=body.occurred_on, note=body.note or "")

    return await _act(
        session, runtime, audit, case_id, caller, decide, body.expected_version, CaseAction.TERMINATE, correlation_id
    )


@router.post(
    "/cases/{case_id}/object-to-termination",
    summary="Object during the termination 公示 (the case goes back to review)",
    responses=refusals(*REFUSALS),
)
async def object_to_termination(
    case_id: UUID,
    body: ObjectionBody,
    caller: Writer,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> CaseRead:
    def decide(case: Case, actor: rules.CaseActor, now: datetime, today: date) -> rules.CaseChange:
        return rules.object_to_termination(case, body.summary, actor, now, today)

    return await _act(
        session,
        runtime,
        audit,
        case_id,
        caller,
        decide,
        body.expected_version,
        CaseAction.OBJECT_TO_TERMINATION,
        correlation_id,
    )


class HousekeepingRead(BaseModel):
    changed: int
    case_ids: list[UUID]


@router.post(
    "/cases/housekeeping",
    summary="Run the daily case housekeeping now (due reviews, ended 渐退, ended termination 公示)",
    description="The worker runs it every day; county approvers may run it on demand. Idempotent.",
    responses=refusals(*PROTECTED),
)
async def run_housekeeping(
    _caller: Approver, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> HousekeepingRead:
    now = runtime.now()
    changes = await service.housekeeping(session, now=now)
    key = runtime.settings.person_ref_secret()
    for change in changes:
        await service.publish(session, change, key, correlation_id=correlation_id, now=now)
    return HousekeepingRead(changed=len(changes), case_ids=[c.case.case_id for c in changes])
