"""Active-case endpoints: list and read cases (region-scoped), act on them — one
`POST /cases/{case_id}/<action>` per action (its body, example and scope in `schemas`) —, and
the daily housekeeping run.

No `from __future__ import annotations` here: the action routes are made by a factory, and
FastAPI reads their annotations at run time.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from eligibility.cases import service
from eligibility.cases.adapters.repository import CaseRepository
from eligibility.cases.api.schemas import (
    APPROVE,
    CASE_BODIES,
    READ,
    CaseActionBody,
    CasePage,
    CaseRead,
    case_read,
)
from eligibility.cases.domain.model import CaseCategory, CaseStatus
from eligibility.cases.domain.rules import CaseWrongStatus
from eligibility.procedure.domain.errors import CapacityNotAllowed, StaleApplication, StepRefused
from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Limit, Offset
from shared.types import business_date

router = APIRouter(prefix="/v1/eligibility", tags=["cases"])

Reader = Annotated[Principal, requires(READ)]
Approver = Annotated[Principal, requires(APPROVE)]

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
    limit: Limit = 50,
    offset: Offset = 0,
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


def _add_action_route(body_type: type[CaseActionBody]) -> None:
    action = body_type.action

    async def take(
        case_id: UUID,
        body: body_type,  # type: ignore[valid-type]
        caller: Annotated[Principal, requires(body_type.scope)],
        session: SessionDep,
        runtime: RuntimeDep,
        audit: AuditDep,
        correlation_id: CorrelationIdDep,
    ) -> CaseRead:
        request: CaseActionBody = body
        now = runtime.now()
        result = await service.change(
            session, case_id, caller, request.decide, now=now, expected_version=request.expected_version
        )
        key = runtime.settings.person_ref_secret()
        await service.publish(session, result, key, correlation_id=correlation_id, now=now)
        await audit.state_change(session, target_id=case_id, details={"action": action.value})
        return case_read(result.case)

    take.__name__ = f"case_{action.value.replace('-', '_')}"
    router.add_api_route(
        f"/cases/{{case_id}}/{action.value}",
        take,
        methods=["POST"],
        summary=body_type.route_summary,
        description=(body_type.__doc__ or "").strip(),
        responses=refusals(*REFUSALS),
        response_model=CaseRead,
    )


for _body in CASE_BODIES:
    _add_action_route(_body)


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
