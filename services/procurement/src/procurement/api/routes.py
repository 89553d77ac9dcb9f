"""Procurement HTTP endpoints."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from procurement import service as procurement_service
from procurement.api.deps import CorrelationIdDep, RuntimeDep, SessionDep
from procurement.api.schemas import ProviderCreate, ProviderRead
from shared.errors import ErrorBody

router = APIRouter(prefix="/v1/procurement", tags=["procurement"])


@router.post(
    "/providers",
    status_code=status.HTTP_201_CREATED,
    summary="Register a service provider (承接主体登记)",
    responses={409: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def create_provider(
    body: ProviderCreate, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> ProviderRead:
    provider = await procurement_service.register_provider(
        session, credit_code=body.credit_code, name=body.name, correlation_id=correlation_id, now=runtime.now
    )
    return ProviderRead.model_validate(provider, from_attributes=True)


@router.get("/providers/{provider_id}", summary="Read a provider", responses={404: {"model": ErrorBody}})
async def get_provider(provider_id: UUID, session: SessionDep) -> ProviderRead:
    provider = await procurement_service.get_provider(session, provider_id)
    return ProviderRead.model_validate(provider, from_attributes=True)
