"""Early warning (预警) and spot checks (双随机) over HTTP."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request

from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.context import get_correlation_id
from jiuzhu_platform.deps import ReadSessionDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Offset, limit_query
from monitoring.warnings import service
from monitoring.warnings.api.schemas import (
    AlertDisposal,
    AlertPage,
    AlertRead,
    SpotCheckPublication,
    SpotCheckRead,
    SpotCheckRequest,
    SpotCheckResultCreate,
    SpotCheckResultRead,
)
from monitoring.warnings.domain.errors import (
    AlertNotFound,
    DispositionIncomplete,
    SpotCheckEmpty,
    SpotCheckNotFound,
    SpotCheckResultRefused,
)

router = APIRouter(prefix="/v1/monitoring", tags=["early warning"])

AlertReader = Annotated[Principal, requires("monitoring:alerts:read")]
AlertWriter = Annotated[Principal, requires("monitoring:alerts:write")]
SpotChecker = Annotated[Principal, requires("monitoring:spot_checks:write")]


@router.get(
    "/alerts",
    summary="Alerts (预警任务) in the caller's area: a town's staff see their town's",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def list_alerts(
    caller: AlertReader,
    session: ReadSessionDep,
    status: Annotated[Literal["open", "escalated", "closed"] | None, Query()] = None,
    limit: Annotated[int, limit_query(le=500)] = 50,
    offset: Offset = 0,
) -> AlertPage:
    items, total = await service.list_alerts(
        session, RegionScope.for_principal(caller), status=status, limit=limit, offset=offset
    )
    return AlertPage(items=[AlertRead.of(a) for a in items], total=total, limit=limit, offset=offset)


@router.get(
    "/alerts/{alert_id}",
    summary="One alert",
    responses=refusals(*PROTECTED, RegionNotAllowed, AlertNotFound, RequestInvalid),
)
async def get_alert(alert_id: UUID, caller: AlertReader, session: ReadSessionDep) -> AlertRead:
    return AlertRead.of(await service.get_alert(session, RegionScope.for_principal(caller), alert_id))


@router.post(
    "/alerts/{alert_id}/disposal",
    summary="Close an alert with its disposition and evidence (预警处置；一户一条救助链)",
    description="Nothing closes without one of the dispositions and its evidence (409 "
    "`disposition_required` / `evidence_required`). `verify_and_terminate` asks eligibility "
    "to review the case (`monitoring.review_requested`).",
    responses=refusals(*PROTECTED, RegionNotAllowed, AlertNotFound, DispositionIncomplete, RequestInvalid),
)
async def dispose_alert(
    alert_id: UUID, body: AlertDisposal, caller: AlertWriter, session: SessionDep, request: Request
) -> AlertRead:
    closed = await service.dispose_alert(
        session,
        RegionScope.for_principal(caller),
        alert_id,
        disposition=body.disposition,
        evidence=body.evidence,
        by=caller.subject,
        correlation_id=get_correlation_id() or "monitoring",
        now=request.app.state.runtime.now(),
    )
    return AlertRead.of(closed)


@router.post(
    "/spot-checks",
    status_code=201,
    summary="Draw a spot check (双随机一公开): random cases × random inspectors, from a recorded seed",
    responses=refusals(*PROTECTED, RegionNotAllowed, SpotCheckEmpty, RequestInvalid),
)
async def draw_spot_check(
    body: SpotCheckRequest, caller: SpotChecker, session: SessionDep, request: Request
) -> SpotCheckRead:
    draw = await service.draw_spot_check(
        session,
        RegionScope.for_principal(caller),
        region_code=body.region_code,
        category=body.category,
        inspectors=body.inspectors,
        share_percent=body.share_percent,
        seed=body.seed,
        by=caller.subject,
        now=request.app.state.runtime.now(),
    )
    return SpotCheckRead.of(draw)


@router.get(
    "/spot-checks/{draw_id}",
    summary="A recorded spot-check draw (publishable: case ids and inspectors, no personal data)",
    responses=refusals(*PROTECTED, RegionNotAllowed, SpotCheckNotFound, RequestInvalid),
)
async def get_spot_check(draw_id: UUID, caller: AlertReader, session: ReadSessionDep) -> SpotCheckRead:
    return SpotCheckRead.of(await service.get_spot_check(session, RegionScope.for_principal(caller), draw_id))


@router.post(
    "/spot-checks/{draw_id}/results",
    status_code=201,
    summary="Record the result of one drawn case (抽查结果): once; a non-compliant one asks eligibility to review",
    responses=refusals(*PROTECTED, RegionNotAllowed, SpotCheckNotFound, SpotCheckResultRefused, RequestInvalid),
)
async def record_spot_check_result(
    draw_id: UUID, body: SpotCheckResultCreate, caller: SpotChecker, session: SessionDep, request: Request
) -> SpotCheckResultRead:
    result = await service.record_spot_check_result(
        session,
        RegionScope.for_principal(caller),
        draw_id,
        case_id=body.case_id,
        outcome=body.outcome,
        finding=body.finding,
        note=body.note,
        by=caller.subject,
        correlation_id=get_correlation_id() or "monitoring",
        now=request.app.state.runtime.now(),
    )
    return SpotCheckResultRead.of(result)


@router.get(
    "/spot-checks/{draw_id}/publication",
    summary="What is published of a spot check (双随机一公开): the draw and its results as counts",
    responses=refusals(*PROTECTED, RegionNotAllowed, SpotCheckNotFound, RequestInvalid),
)
async def spot_check_publication(draw_id: UUID, caller: AlertReader, session: ReadSessionDep) -> SpotCheckPublication:
    published = await service.spot_check_publication(session, RegionScope.for_principal(caller), draw_id)
    return SpotCheckPublication.model_validate(published)
