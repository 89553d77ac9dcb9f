"""Hand-written fakes of procurement's ports, for use-case tests without a database (as
cosmicpython's `FakeRepository`): state in plain collections, what they were asked recorded for
the test to read; no mocks, no patching."""

from __future__ import annotations

from uuid import UUID

from procurement.domain.errors import ProviderExists
from procurement.domain.model import Provider
from shared.events import ProviderRegistered


class FakeProviderRepository:
    """`ProviderRepository` in memory.

    `providers`: the stored providers by id; `events`: the events `add` staged, in order.
    `commit_elsewhere(provider)` plays a registration that another transaction commits after
    this one's look-up: the look-ups do not see it, but its credit code is taken when `add`
    runs, as the unique key decides on PostgreSQL."""

    def __init__(self, *providers: Provider) -> None:
        self.providers: dict[UUID, Provider] = {p.id: p for p in providers}
        self.events: list[ProviderRegistered] = []
        self._committed_elsewhere: list[Provider] = []

    def commit_elsewhere(self, provider: Provider) -> None:
        self._committed_elsewhere.append(provider)

    async def get(self, provider_id: UUID) -> Provider | None:
        return self.providers.get(provider_id)

    async def find_by_credit_code(self, credit_code: str) -> Provider | None:
        return next((p for p in self.providers.values() if p.credit_code == credit_code), None)

    async def add(self, provider: Provider, event: ProviderRegistered) -> None:
        for holder in [*self.providers.values(), *self._committed_elsewhere]:
            if holder.credit_code == provider.credit_code:
                raise ProviderExists(provider.credit_code, holder.id)
        self.providers[provider.id] = provider
        self.events.append(event)

    async def save(self, provider: Provider) -> None:
        self.providers[provider.id] = provider
