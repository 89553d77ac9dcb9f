"""Procurement use cases: look up through the repository, decide with the domain rules, store
the result with its event. No SQL and no commit here (the caller's transaction commits), so
the use cases run on `FakeProviderRepository` without a database (services/procurement/tests/test_service.py); the
routes hand them a `SqlProviderRepository` on the request's session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from procurement.adapters.repository import ProviderRepository
from procurement.domain import rules
from procurement.domain.commands import RegisterProvider
from procurement.domain.errors import ProviderExists, ProviderNotFound
from procurement.domain.model import Provider


async def register_provider(
    providers: ProviderRepository, cmd: RegisterProvider, *, now: Callable[[], datetime]
) -> Provider:
    existing = await providers.find_by_credit_code(cmd.credit_code)
    if existing is not None:
        raise ProviderExists(cmd.credit_code, existing.id)
    provider, event = rules.register_provider(cmd, now=now())
    await providers.add(provider, event)  # ProviderExists too if a concurrent registration won the code
    return provider


async def get_provider(providers: ProviderRepository, provider_id: UUID) -> Provider:
    provider = await providers.get(provider_id)
    if provider is None:
        raise ProviderNotFound(provider_id)
    return provider
