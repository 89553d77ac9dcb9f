"""Loading and storing providers: the port the use cases need (`ProviderRepository`) and its
SQL adapter (`SqlProviderRepository`). Tests use `FakeProviderRepository` (services/procurement/tests/fakes.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import insert_unique
from jiuzhu_platform.outbox import add_event
from procurement.adapters.orm import outbox
from procurement.adapters.orm import provider as table
from procurement.domain.errors import ProviderExists
from procurement.domain.model import Provider
from shared.events import ProviderRegistered


class ProviderRepository(Protocol):
    """The registry of providers, as `procurement.service` uses it."""

    async def get(self, provider_id: UUID) -> Provider | None: ...

    async def find_by_credit_code(self, credit_code: str) -> Provider | None: ...

    async def add(self, provider: Provider, event: ProviderRegistered) -> None:
        """Store a new provider and stage its event, in one transaction. `ProviderExists`,
        naming the provider that won, when a concurrent registration stored the same credit
        code first (after this one looked it up)."""
        ...


class SqlProviderRepository:
    """`ProviderRepository` in the service's database, in the caller's transaction (it never
    commits): the `provider` table, its unique credit code, and the outbox."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, provider: Provider, event: ProviderRegistered) -> None:
        await insert_unique(self.session, insert(table), asdict(provider), conflict=lambda: self._taken(provider))
        await add_event(self.session, outbox, event, now=provider.registered_at)

    async def _taken(self, provider: Provider) -> ProviderExists:
        winner = await self.find_by_credit_code(provider.credit_code)
        return ProviderExists(provider.credit_code, winner.id if winner else provider.id)

    async def get(self, provider_id: UUID) -> Provider | None:
        return await self._one(table.c.id == provider_id)

    async def find_by_credit_code(self, credit_code: str) -> Provider | None:
        return await self._one(table.c.credit_code == credit_code)

    async def _one(self, where: Any) -> Provider | None:
        row = (await self.session.execute(select(table).where(where))).mappings().first()
        return None if row is None else Provider(**{k: v for k, v in row.items() if k != "version"})
