"""Procurement use cases. Never commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.outbox import add_event
from procurement.adapters.orm import outbox
from procurement.adapters.repository import ProviderRepository
from procurement.domain import rules
from procurement.domain.errors import ProviderExists, ProviderNotFound
from procurement.domain.model import Provider


async def register_provider(
    session: AsyncSession, *, credit_code: str, name: str, correlation_id: str, now: Callable[[], datetime]
) -> Provider:
    repository = ProviderRepository(session)
    existing = await repository.find_by_credit_code(credit_code)
    if existing is not None:
        raise ProviderExists(credit_code, existing.id)
    provider, event = rules.register_provider(
        credit_code=credit_code, name=name, correlation_id=correlation_id, now=now()
    )
    await repository.add(provider)  # ProviderExists too if a concurrent registration won the unique key
    await add_event(session, outbox, event, now=provider.registered_at)
    return provider


async def get_provider(session: AsyncSession, provider_id: UUID) -> Provider:
    provider = await ProviderRepository(session).get(provider_id)
    if provider is None:
        raise ProviderNotFound(provider_id)
    return provider
