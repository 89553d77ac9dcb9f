"""Procurement HTTP endpoints. Providers (承接主体) form one city-wide registry: any holder of
the scope sees all of them, whatever their area."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from procurement import service as procurement_service
from procurement.adapters.repository import SqlProviderRepository
from procurement.api.schemas import ProviderCreate, ProviderRead
from procurement.domain.commands import RegisterProvider
from procurement.domain.errors import ProviderExists, ProviderNotFound

router = APIRouter(prefix="/v1/procurement", tags=["procurement"])

ProviderWriter = Annotated[Principal, requires("procurement:providers:write")]
ProviderReader = Annotated[Principal, requires("procurement:providers:read")]


@router.post(
    "/providers",
    status_code=status.HTTP_201_CREATED,
    summary="Register a service provider (承接主体登记)",
    responses=refusals(*PROTECTED, ProviderExists, RequestInvalid),
)
async def create_provider(
    body: ProviderCreate,
    _caller: ProviderWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> ProviderRead:
    command = RegisterProvider(credit_code=body.credit_code, name=body.name, correlation_id=correlation_id)
    provider = await procurement_service.register_provider(SqlProviderRepository(session), command, now=runtime.now)
    await audit.state_change(session, target_id=provider.id)
    return ProviderRead.model_validate(provider, from_attributes=True)


@router.get(
    "/providers/{provider_id}",
    summary="Read a provider",
    responses=refusals(*PROTECTED, ProviderNotFound, RequestInvalid),
)
async def get_provider(provider_id: UUID, _caller: ProviderReader, session: ReadSessionDep) -> ProviderRead:
    provider = await procurement_service.get_provider(SqlProviderRepository(session), provider_id)
    return ProviderRead.model_validate(provider, from_attributes=True)
