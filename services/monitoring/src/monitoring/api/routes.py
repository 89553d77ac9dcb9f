"""Monitoring HTTP endpoints."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Offset, limit_query
from monitoring import service as monitoring_service
from monitoring.api.schemas import HouseholdPage, HouseholdRead
from monitoring.domain.errors import HouseholdNotInRegister
from monitoring.domain.model import RegisterEntry
from shared.types import RegionCode

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"])

RegisterReader = Annotated[Principal, requires("monitoring:households:read")]


def _read(entry: RegisterEntry) -> HouseholdRead:
    return HouseholdRead(
        household_id=entry.household_id,
        region_code=entry.region_code,
        town_code=entry.town_code,
        reason=entry.reason,
        assistance_types=list(entry.assistance_types),
        registered_at=entry.registered_at,
        updated_at=entry.updated_at,
    )


@router.get(
    "/households",
    summary="The monitoring register (低收入人口监测名册), paged; only the caller's area",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def list_households(
    caller: RegisterReader,
    session: ReadSessionDep,
    region_code: Annotated[RegionCode | None, Query(description="Filter by county-level area")] = None,
    limit: Annotated[int, limit_query(le=500)] = 50,
    offset: Offset = 0,
) -> HouseholdPage:
    entries, total = await monitoring_service.list_households(
        session, RegionScope.for_principal(caller), region_code=region_code, limit=limit, offset=offset
    )
    return HouseholdPage(items=[_read(e) for e in entries], total=total, limit=limit, offset=offset)


@router.get(
    "/households/{household_id}",
    summary="One household in the monitoring register",
    responses=refusals(*PROTECTED, RegionNotAllowed, HouseholdNotInRegister, RequestInvalid),
)
async def get_household(household_id: UUID, caller: RegisterReader, session: ReadSessionDep) -> HouseholdRead:
    return _read(await monitoring_service.get_household(session, RegionScope.for_principal(caller), household_id))
