"""Monitoring HTTP endpoints."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from monitoring import service as monitoring_service
from monitoring.api.deps import SessionDep
from monitoring.api.schemas import HouseholdPage, HouseholdRead
from monitoring.domain.model import RegisterEntry
from shared.errors import ErrorBody
from shared.types import RegionCode

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"])


def _read(entry: RegisterEntry) -> HouseholdRead:
    return HouseholdRead(
        household_id=entry.household_id,
        region_code=entry.region_code,
        reason=entry.reason,
        assistance_types=list(entry.assistance_types),
        registered_at=entry.registered_at,
        updated_at=entry.updated_at,
    )


@router.get("/households", summary="The monitoring register (低收入人口监测名册), paged")
async def list_households(
    session: SessionDep,
    region_code: Annotated[RegionCode | None, Query(description="Filter by county-level area")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HouseholdPage:
    entries, total = await monitoring_service.list_households(
        session, region_code=region_code, limit=limit, offset=offset
    )
    return HouseholdPage(items=[_read(e) for e in entries], total=total, limit=limit, offset=offset)


@router.get(
    "/households/{household_id}",
    summary="One household in the monitoring register",
    responses={404: {"model": ErrorBody}},
)
async def get_household(household_id: UUID, session: SessionDep) -> HouseholdRead:
    return _read(await monitoring_service.get_household(session, household_id))
