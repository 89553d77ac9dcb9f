"""Procurement's use cases (`procurement.service`) on hand-written fakes: no database, no app,
no network; the module runs in milliseconds. The pattern of the use-case tier: give the fake
the state the scenario needs, call the use case, then assert on its result and on what the
fake recorded. The SQL adapter's side of the same contract (the unique key, the outbox row in
the same transaction) is tested on SQLite and PostgreSQL in test_api.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from procurement import service as procurement_service
from procurement.domain.commands import RegisterProvider
from procurement.domain.errors import ProviderExists, ProviderNotFound
from procurement.domain.model import Provider
from services.procurement.tests.fakes import FakeProviderRepository
from shared.events import ProviderRegistered

NOW = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)
CODE = "91512081MA62K0260E"


def clock() -> datetime:
    return NOW


def registered_provider(credit_code: str = CODE) -> Provider:
    return Provider(
        id=uuid4(),
        credit_code=credit_code,
        name="先登记的机构",
        registration_category="91",
        registered_at=NOW - timedelta(days=30),
        correlation_id="earlier",
    )


async def register(providers: FakeProviderRepository, credit_code: str = CODE) -> Provider:
    return await procurement_service.register_provider(
        providers, RegisterProvider(credit_code, "阳光社工", "c-1"), now=clock
    )


class TestRegisterProvider:
    async def test_a_new_code_is_stored_with_its_event(self) -> None:
        providers = FakeProviderRepository()

        provider = await register(providers)

        assert providers.providers == {provider.id: provider}
        assert (provider.credit_code, provider.name, provider.registration_category) == (CODE, "阳光社工", "91")
        assert (provider.registered_at, provider.correlation_id) == (NOW, "c-1")
        (event,) = providers.events
        assert isinstance(event, ProviderRegistered)
        assert event.subject == str(provider.id)
        assert event.correlation_id == "c-1"
        assert (event.data.provider_id, event.data.credit_code, event.data.name) == (provider.id, CODE, "阳光社工")

    async def test_another_code_is_another_provider(self) -> None:
        earlier = registered_provider("91110000600037341L")
        providers = FakeProviderRepository(earlier)

        provider = await register(providers)

        assert set(providers.providers) == {earlier.id, provider.id}
        assert len(providers.events) == 1

    async def test_a_registered_code_is_refused_naming_the_registered_provider(self) -> None:
        earlier = registered_provider()
        providers = FakeProviderRepository(earlier)

        with pytest.raises(ProviderExists, match=f"already registered: {earlier.id}$"):
            await register(providers)

        assert providers.providers == {earlier.id: earlier}
        assert providers.events == []

    async def test_a_code_taken_after_the_look_up_is_refused_naming_the_winner(self) -> None:
        winner = registered_provider()
        providers = FakeProviderRepository()
        providers.commit_elsewhere(winner)

        with pytest.raises(ProviderExists, match=f"already registered: {winner.id}$"):
            await register(providers)

        assert providers.providers == {}
        assert providers.events == []


class TestGetProvider:
    async def test_a_stored_provider_is_returned(self) -> None:
        stored = registered_provider()

        assert await procurement_service.get_provider(FakeProviderRepository(stored), stored.id) == stored

    async def test_an_unknown_id_is_provider_not_found(self) -> None:
        unknown = uuid4()

        with pytest.raises(ProviderNotFound, match=str(unknown)):
            await procurement_service.get_provider(FakeProviderRepository(registered_provider()), unknown)
