"""The chain of a household over HTTP."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request

from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from monitoring.chain import service
from monitoring.chain.api.schemas import ChainRead, StepRead
from monitoring.domain.errors import HouseholdNotInRegister

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"])

RegisterReader = Annotated[Principal, requires("monitoring:households:read")]


@router.get(
    "/households/{household_id}/chain",
    summary="一户一条救助链: the household's categories now and every step of its assistance",
    responses=refusals(*PROTECTED, RegionNotAllowed, HouseholdNotInRegister, RequestInvalid),
)
async def get_chain(household_id: UUID, caller: RegisterReader, session: ReadSessionDep, request: Request) -> ChainRead:
    categories, steps = await service.household_chain(
        session, RegionScope.for_principal(caller), household_id, request.app.state.runtime.now()
    )
    return ChainRead(household_id=household_id, categories=categories, steps=[StepRead.of(s) for s in steps])
