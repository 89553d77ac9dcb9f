"""Proactive discovery (主动发现) over HTTP: report a household, list and read reports."""

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
from monitoring.discovery import service
from monitoring.discovery.api.schemas import DiscoveryPage, DiscoveryRead, DiscoveryReport
from monitoring.discovery.domain.errors import DiscoveryNotFound

router = APIRouter(prefix="/v1/monitoring", tags=["proactive discovery"])

Reporter = Annotated[Principal, requires("monitoring:alerts:write")]
Reader = Annotated[Principal, requires("monitoring:alerts:read")]


@router.post(
    "/discoveries",
    status_code=201,
    summary="Report a household in hardship (主动发现): it becomes the town's task",
    description="From a grassroots worker's app or the 12349 hotline. The town gets a task "
    "(`discovery.reported`, due in 7 days) in its alert list; when the household's application "
    "is accepted (eligibility names the reported person), the task closes as delivered and the "
    "register counts the household as found by monitoring (检出率).",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def report_discovery(
    body: DiscoveryReport, caller: Reporter, session: SessionDep, request: Request
) -> DiscoveryRead:
    runtime = request.app.state.runtime
    item = await service.report(
        session,
        RegionScope.for_principal(caller),
        region_code=body.region_code,
        town_code=body.town_code,
        channel=body.channel,
        hardships=tuple(dict.fromkeys(body.hardships)),
        resident_id=body.resident_id,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
        description=body.description,
        by=caller.subject,
        person_ref_key=runtime.settings.person_ref_secret(),
        correlation_id=get_correlation_id() or "monitoring",
        now=runtime.now(),
    )
    return DiscoveryRead.of(item)


@router.get(
    "/discoveries",
    summary="Discovery reports in the caller's area, newest first",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def list_discoveries(
    caller: Reader,
    session: ReadSessionDep,
    status: Annotated[Literal["open", "applied"] | None, Query()] = None,
    limit: Annotated[int, limit_query(le=500)] = 50,
    offset: Offset = 0,
) -> DiscoveryPage:
    items, total = await service.list_discoveries(
        session, RegionScope.for_principal(caller), status=status, limit=limit, offset=offset
    )
    return DiscoveryPage(items=[DiscoveryRead.of(d) for d in items], total=total, limit=limit, offset=offset)


@router.get(
    "/discoveries/{discovery_id}",
    summary="One discovery report",
    responses=refusals(*PROTECTED, RegionNotAllowed, DiscoveryNotFound, RequestInvalid),
)
async def get_discovery(discovery_id: UUID, caller: Reader, session: ReadSessionDep) -> DiscoveryRead:
    return DiscoveryRead.of(await service.get_discovery(session, RegionScope.for_principal(caller), discovery_id))
