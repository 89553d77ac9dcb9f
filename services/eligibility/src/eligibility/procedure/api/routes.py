"""Procedure endpoints: one `POST /applications/{id}/{action}` per action (its own body,
example and scope), the case file with its timeline, worklists, notices and the 回避 registry.
Routes parse, build the command and call `procedure.service`; who may act is decided there.

No `from __future__ import annotations` here: the action routes are made by a factory, and
FastAPI reads their annotations at run time.
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from eligibility.assessment.api.schemas import AssessmentCreate, assessment_read
from eligibility.assessment.domain.errors import InconsistentHousehold
from eligibility.deadlines.adapters.calendar_file import working_day_calendar
from eligibility.deadlines.domain.calendar import CalendarOutOfRange
from eligibility.policy.adapters.policy_files import policy_book
from eligibility.policy.domain.errors import PolicyNotInForce, RegionNotCovered
from eligibility.procedure import service
from eligibility.procedure.adapters.repository import DecisionRecord, ProcedureRepository, WorkItem
from eligibility.procedure.api.schemas import (
    BODIES,
    ActionBody,
    CaseRead,
    DeadlineRead,
    DecisionRead,
    NoticeRead,
    RelativeCreate,
    StepRead,
    WorkItemRead,
    WorklistRead,
    money,
)
from eligibility.procedure.domain.errors import (
    ApplicationNotFound,
    CapacityNotAllowed,
    FourEyes,
    OwnRelative,
    RelativeAlreadyRecorded,
    StaleApplication,
    StepRefused,
    WrongStage,
)
from eligibility.procedure.domain.model import Capacity, Stage
from eligibility.procedure.domain.rules import TRANSITIONS
from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, PrincipalKind, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import Forbidden, RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Limit, Offset
from jiuzhu_platform.runtime import Runtime
from shared.events import AssistanceType
from shared.types import business_date

router = APIRouter(prefix="/v1/eligibility", tags=["procedure"])

Reader = Annotated[Principal, requires("eligibility:applications:read")]
Writer = Annotated[Principal, requires("eligibility:applications:write")]
Approver = Annotated[Principal, requires("eligibility:applications:approve")]
Actor = Annotated[Principal, requires("eligibility:procedure:act")]
Assessor = Annotated[Principal, requires("eligibility:assessments:run", "eligibility:procedure:act")]

ACTION_REFUSALS = (
    *PROTECTED,
    RegionNotAllowed,
    ApplicationNotFound,
    CapacityNotAllowed,
    OwnRelative,
    FourEyes,
    WrongStage,
    StepRefused,
    StaleApplication,
    RequestInvalid,
)


def deps(runtime: Runtime) -> service.ProcedureDeps:
    return service.ProcedureDeps(
        calendar=working_day_calendar(),
        policies=policy_book(),
        now=runtime.now,
        person_ref_key=runtime.settings.person_ref_secret(),
    )


def case_read(view: service.CaseView, caller: Principal) -> CaseRead:
    case = view.case
    staff = caller.kind is not PrincipalKind.CITIZEN
    decision = case.decision
    return CaseRead(
        application_id=case.application_id,
        household_id=case.household_id,
        assistance_type=case.assistance_type,
        stage=case.stage,
        version=case.version,
        submitted_on=case.submitted_on,
        accepted_on=case.accepted_on,
        missing_items=list(case.missing_items),
        conflict_of_interest=case.conflict_of_interest and staff,
        home_visits=len(case.home_visits),
        county_visited=case.county_visited,
        county_visit_needed=case.county_visit_needed and staff,
        verification_received=case.verification is not None,
        care_tier=case.self_care.tier if case.self_care else None,
        placement=case.placement.placement if case.placement else None,
        opinion_amount=money(case.opinion.amount_fen) if case.opinion else None,
        publicity_from=case.publicity_from,
        publicity_until=case.publicity_until,
        extension=case.extension,
        decision=None
        if decision is None
        else DecisionRead(
            approved=decision.approved,
            level=decision.level,
            amount=money(decision.amount_fen) or "0.00",
            reasons=list(decision.reasons),
            on=decision.on,
            effective_month=decision.effective_month,
        ),
        deadlines=[DeadlineRead.model_validate(d, from_attributes=True) for d in view.deadlines] if staff else [],
        steps=[
            StepRead(
                at=s.at,
                on=s.on,
                action=s.action,
                actor=s.actor if staff else None,
                capacity=s.capacity,
                from_stage=s.from_stage,
                to_stage=s.to_stage,
                note=s.note,
                reasons=list(s.reasons),
            )
            for s in case.steps
        ],
    )


def _scope_for(body: type[ActionBody]) -> str:
    """The route's scope: write for town/applicant actions, approve for county-only ones,
    `eligibility:procedure:act` (the staff who handle cases) where town or county may act; the
    service then checks the capacity itself (403 `capacity_not_allowed`)."""
    capacities = set(TRANSITIONS[body.action].capacities)
    if capacities <= {Capacity.TOWN, Capacity.APPLICANT}:
        return "eligibility:applications:write"
    if capacities == {Capacity.COUNTY}:
        return "eligibility:applications:approve"
    if capacities <= {Capacity.TOWN, Capacity.COUNTY}:
        return "eligibility:procedure:act"
    return "eligibility:applications:read"


def _add_action_route(body_type: type[ActionBody]) -> None:
    action = body_type.action
    doc = (body_type.__doc__ or "").strip()
    rule = TRANSITIONS[action]
    stages = ", ".join(sorted(s.value for s in rule.stages))
    who = ", ".join(c.value for c in rule.capacities)

    async def take(
        application_id: UUID,
        body: body_type,  # type: ignore[valid-type]
        caller: Annotated[Principal, requires(_scope_for(body_type))],
        session: SessionDep,
        runtime: RuntimeDep,
        audit: AuditDep,
        correlation_id: CorrelationIdDep,
    ) -> CaseRead:
        request: ActionBody = body
        view = await service.take_action(
            session,
            application_id,
            request.command(),
            caller,
            deps(runtime),
            expected_version=request.expected_version,
            correlation_id=correlation_id,
        )
        await audit.state_change(session, target_id=application_id, details={"action": action.value})
        return case_read(view, caller)

    take.__name__ = f"procedure_{action.value.replace('-', '_')}"
    router.add_api_route(
        f"/applications/{{application_id}}/{action.value}",
        take,
        methods=["POST"],
        summary=f"{action.value} ({_ZH[action.value]})",
        description=f"{doc}\n\nPossible at: {stages}. Who: {who}.".strip(),
        responses=refusals(*ACTION_REFUSALS),
        response_model=CaseRead,
    )


_ZH = {
    "request-supplement": "一次性告知补齐材料",
    "resubmit": "补齐材料后重新提交",
    "accept": "受理",
    "start-investigation": "开始家庭经济状况调查",
    "record-home-visit": "登记入户调查",
    "record-self-care": "登记生活自理能力评估",
    "record-placement": "登记集中或分散供养",
    "request-verification": "提请信息核对",
    "notify-ineligible": "告知不符合条件",
    "object": "提出异议",
    "close": "无异议办结",
    "preliminary-review": "乡镇初审并公示",
    "close-publicity": "公示期满报县",
    "record-publicity-objection": "登记公示异议",
    "revise-opinion": "重新调查或民主评议后出具新初审意见",
    "record-complaint": "登记投诉举报",
    "record-county-visit": "登记县级入户调查",
    "approve": "审核确认（批准）",
    "reject": "不予确认",
    "withdraw": "撤回申请",
    "terminate": "终止办理",
    "extend": "延长办理时限",
}

for _body in BODIES:
    _add_action_route(_body)


@router.get(
    "/applications/{application_id}/procedure",
    summary="An application's procedure: stage, what is due, and the timeline of steps with reasons",
    responses=refusals(*PROTECTED, RegionNotAllowed, ApplicationNotFound, CalendarOutOfRange, RequestInvalid),
)
async def get_procedure(application_id: UUID, caller: Reader, session: ReadSessionDep, runtime: RuntimeDep) -> CaseRead:
    view = await service.view(session, application_id, RegionScope.for_principal(caller), deps(runtime))
    return case_read(view, caller)


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"account": "wang.fang"}]})
    account: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The worker; null takes it back",
    )


@router.post(
    "/applications/{application_id}/assign",
    summary="Assign an application to a worker (分派), or take it back",
    responses=refusals(
        *PROTECTED,
        RegionNotAllowed,
        ApplicationNotFound,
        CapacityNotAllowed,
        WrongStage,
        StaleApplication,
        RequestInvalid,
    ),
)
async def assign_application(
    application_id: UUID, body: AssignBody, caller: Actor, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> CaseRead:
    view = await service.assign(session, application_id, body.account, caller, deps(runtime))
    await audit.state_change(session, target_id=application_id, details={"action": "assign", "account": body.account})
    return case_read(view, caller)


@router.get(
    "/worklist",
    summary="Applications to work on, oldest due first (region-scoped, paged)",
    description="Filter by stage, town, assistance type, overdue (a statutory limit passed) and the assigned worker.",
    responses=refusals(*PROTECTED, RequestInvalid),
)
async def get_worklist(
    caller: Reader,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    stage: Annotated[list[Stage] | None, Query(max_length=14)] = None,
    town_code: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    assistance_type: AssistanceType | None = None,
    overdue: bool = False,
    assigned_to: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> WorklistRead:
    items, total = await service.worklist(
        session,
        RegionScope.for_principal(caller),
        deps(runtime),
        stages=tuple(stage or ()),
        town_code=town_code,
        assistance_type=assistance_type,
        overdue=overdue,
        assigned_to=assigned_to,
        limit=limit,
        offset=offset,
    )
    today = business_date(runtime.now())
    return WorklistRead(items=[_item(i, today) for i in items], total=total, limit=limit, offset=offset)


def _item(item: WorkItem, today: Any) -> WorkItemRead:
    return WorkItemRead(
        **{k: getattr(item, k) for k in WorkItemRead.model_fields if k != "overdue"},
        overdue=item.next_due is not None and item.next_due < today,
    )


@router.get(
    "/notices",
    summary="My notices (书面告知) at each decision, newest first (citizens)",
    responses=refusals(*PROTECTED, RequestInvalid),
)
async def get_notices(caller: Reader, session: ReadSessionDep) -> list[NoticeRead]:
    if caller.kind is not PrincipalKind.CITIZEN or caller.household_id is None:
        return []
    rows = await ProcedureRepository(session).notices(UUID(caller.household_id))
    return [
        NoticeRead(
            id=r["id"],
            application_id=r["application_id"],
            kind=r["kind"],
            title=r["title_zh"],
            body=r["body_zh"],
            title_en=r["title_en"],
            body_en=r["body_en"],
            created_at=r["created_at"],
        )
        for r in rows
    ]


class RelativeOfOtherAccount(Forbidden):
    reason = "relative_of_other_account"

    def __init__(self) -> None:
        super().__init__(
            "only a county approver records the relatives of another account",
            message_zh="仅县级审核人员可为他人登记近亲属关系",
        )


@router.post(
    "/staff-relatives",
    status_code=status.HTTP_201_CREATED,
    summary="Record a close relative of a staff account (回避; 单独登记备案 of their applications)",
    responses=refusals(*PROTECTED, RelativeOfOtherAccount, RelativeAlreadyRecorded, RequestInvalid),
)
async def record_relative(
    body: RelativeCreate, caller: Actor, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> dict[str, str]:
    if caller.kind is not PrincipalKind.STAFF:
        raise RelativeOfOtherAccount()
    account = body.account or caller.subject
    if account != caller.subject and caller.missing_scopes(["eligibility:applications:approve"]):
        raise RelativeOfOtherAccount()
    relative_id = await ProcedureRepository(session).record_relative(
        account=account,
        resident_id=body.resident_id.value,
        relationship=body.relationship,
        recorded_by=caller.subject,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=relative_id)
    return {"id": str(relative_id), "account": account}


class DecisionRecordRead(BaseModel):
    id: UUID
    application_id: UUID
    recorded_at: datetime
    recorded_by: str
    policy_version: str
    category: str
    monthly_total: str = Field(description="元 a month, as assessed")
    assessment: dict[str, Any] = Field(description="The assessment as answered (personal numbers masked)")


def record_read(record: DecisionRecord) -> DecisionRecordRead:
    return DecisionRecordRead(
        id=record.id,
        application_id=record.application_id,
        recorded_at=record.recorded_at,
        recorded_by=record.recorded_by,
        policy_version=record.policy_version,
        category=record.category,
        monthly_total=money(record.monthly_total_fen) or "0.00",
        assessment=record.result,
    )


@router.post(
    "/applications/{application_id}/assessments",
    status_code=status.HTTP_201_CREATED,
    summary="Assess the application's household and keep it as a decision record (评估记录)",
    description="The same assessment as `POST /v1/eligibility/assessments`, run for this application and "
    "stored: the household description (encrypted at rest), the result, the policy version, who ran it. "
    "The case's amounts and policy version come from the latest record.",
    responses=refusals(
        *PROTECTED,
        RegionNotAllowed,
        ApplicationNotFound,
        CapacityNotAllowed,
        PolicyNotInForce,
        RegionNotCovered,
        InconsistentHousehold,
        RequestInvalid,
    ),
)
async def assess_application(
    application_id: UUID,
    body: AssessmentCreate,
    caller: Assessor,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> DecisionRecordRead:
    book = deps(runtime).policies

    def explain(result: Any, triggers: Any) -> dict[str, Any]:
        version = book.policy_set.get(result.policy_version)
        return assessment_read(result, version.effective_from, triggers).model_dump(mode="json")

    record = await service.record_assessment(
        session,
        application_id,
        body.to_command(),
        inputs_json=body.model_dump_json(),
        explain=explain,
        caller=caller,
        deps=deps(runtime),
    )
    await audit.state_change(session, target_id=application_id, details={"action": "assess", "record": str(record.id)})
    return record_read(record)


@router.get(
    "/applications/{application_id}/assessments",
    summary="The decision records of an application, newest first",
    responses=refusals(*PROTECTED, RegionNotAllowed, ApplicationNotFound, RequestInvalid),
)
async def list_application_assessments(
    application_id: UUID, caller: Reader, session: ReadSessionDep
) -> list[DecisionRecordRead]:
    records = await service.decision_records(session, application_id, RegionScope.for_principal(caller))
    return [record_read(r) for r in records]
