"""The procurement API over HTTP: the real app on a migrated SQLite database and the in-process bus
(`h`); the concurrency tests also on a throwaway PostgreSQL database (`tier_h`, marker
`integration`), where writers really race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from jiuzhu_platform.testing import ServiceHarness, staged_unique_race
from procurement import service as procurement_service
from procurement.adapters.orm import provider
from procurement.adapters.repository import SqlProviderRepository
from procurement.domain.commands import RegisterProvider
from shared.events import ProviderRegistered, parse_event
from shared.types import credit_code_check_char, org_code_check_char

TOPIC = "procurement.events"
PROVIDERS = "/v1/procurement/providers"
VALID_CODES = ["91512081MA62K0260E", "91110000600037341L", "91350200MA2YJ1XR9G"]
INVALID_CODE = "91350203M0001QAY9B"


def make_credit_code(prefix: str, division: str = "520102", org_body: str = "12345678") -> str:
    """A code whose embedded organisation code and final check character are both right."""
    body = prefix + division + org_body + org_code_check_char(org_body)
    return body + credit_code_check_char(body)


def provider_body(credit_code: str = VALID_CODES[0], name: str = "贵阳市南明区阳光社会工作服务中心") -> dict[str, Any]:
    return {"credit_code": credit_code, "name": name}


def assert_one_registered_and_the_rest_name_it(responses: list[httpx.Response]) -> None:
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    (registered,) = [r.json()["id"] for r in responses if r.status_code == 201]
    for refused in (r.json() for r in responses if r.status_code == 409):
        assert (refused["error"], refused["reason"]) == ("ProviderExists", "provider_exists")
        assert refused["detail"] == f"a provider with credit code {VALID_CODES[0]} is already registered: {registered}"


class TestRegisterProvider:
    @pytest.mark.parametrize("credit_code", VALID_CODES)
    async def test_valid_enterprise_code_is_registered_in_category_91(
        self, h: ServiceHarness, credit_code: str
    ) -> None:
        response = await h.client.post(PROVIDERS, json=provider_body(credit_code, name="某某服务有限公司"))

        assert response.status_code == 201
        body = response.json()
        UUID(body["id"])
        assert body["credit_code"] == credit_code
        assert body["name"] == "某某服务有限公司"
        assert body["registration_category"] == "91"
        assert body["registered_at"].endswith(("Z", "+00:00"))

    @pytest.mark.parametrize(
        ("prefix", "category"),
        [
            pytest.param("51", "51", id="social-association"),
            pytest.param("52", "52", id="social-service-organisation"),
            pytest.param("53", "53", id="foundation"),
            pytest.param("Y1", "Y1", id="other"),
            pytest.param("A1", None, id="unknown-prefix"),
        ],
    )
    async def test_category_follows_the_code_prefix(self, h: ServiceHarness, prefix: str, category: str | None) -> None:
        response = await h.client.post(PROVIDERS, json=provider_body(make_credit_code(prefix)))

        assert response.status_code == 201
        assert response.json()["registration_category"] == category

    async def test_lowercase_code_is_upper_cased_before_storing(self, h: ServiceHarness) -> None:
        response = await h.client.post(PROVIDERS, json=provider_body("91512081ma62k0260e"))

        assert response.status_code == 201
        assert response.json()["credit_code"] == "91512081MA62K0260E"
        assert response.json()["registration_category"] == "91"

    async def test_full_width_and_padded_code_is_normalised(self, h: ServiceHarness) -> None:
        full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in "91110000600037341L")

        response = await h.client.post(PROVIDERS, json=provider_body(f"  {full_width} "))

        assert response.status_code == 201
        assert response.json()["credit_code"] == "91110000600037341L"

    async def test_name_is_stripped(self, h: ServiceHarness) -> None:
        response = await h.client.post(PROVIDERS, json=provider_body(name="  阳光社工  "))

        assert response.json()["name"] == "阳光社工"


class TestRejectDuplicateProvider:
    async def test_same_code_again_is_409_provider_exists(self, h: ServiceHarness) -> None:
        first = await h.client.post(PROVIDERS, json=provider_body())

        second = await h.client.post(PROVIDERS, json=provider_body(name="另一个名称"))

        assert second.status_code == 409
        body = second.json()
        existing = first.json()["id"]
        assert body["error"] == "ProviderExists"
        assert body["detail"] == f"a provider with credit code {VALID_CODES[0]} is already registered: {existing}"
        assert body["message_zh"] == f"统一社会信用代码 {VALID_CODES[0]} 已登记: {existing}"

    async def test_lowercase_spelling_of_a_registered_code_is_the_same_provider(self, h: ServiceHarness) -> None:
        await h.client.post(PROVIDERS, json=provider_body("91512081MA62K0260E"))

        response = await h.client.post(PROVIDERS, json=provider_body("91512081ma62k0260e"))

        assert response.status_code == 409
        assert response.json()["error"] == "ProviderExists"

    async def test_refused_duplicate_announces_nothing_more(self, h: ServiceHarness) -> None:
        await h.client.post(PROVIDERS, json=provider_body())
        await h.client.post(PROVIDERS, json=provider_body())

        assert len(await h.outbox_rows()) == 1


class TestConcurrentRegistration:
    """One provider per credit code under concurrent requests, on SQLite and on PostgreSQL.

    On SQLite `BEGIN IMMEDIATE` queues the writers before the service looks the code up, so the
    look-up refuses every duplicate and the unique key is never reached. On PostgreSQL requests
    really race: a duplicate that passed the look-up is refused by the unique key
    (`insert_unique` in the repository), which only this tier exercises."""

    async def test_concurrent_identical_registrations_register_exactly_one(self, tier_h: ServiceHarness) -> None:
        responses = await asyncio.gather(*(tier_h.client.post(PROVIDERS, json=provider_body()) for _ in range(5)))

        assert_one_registered_and_the_rest_name_it(responses)
        assert await tier_h.relay() == 1

    async def test_registrations_past_the_look_up_together_are_decided_by_the_unique_key(
        self, tier_h: ServiceHarness
    ) -> None:
        """The race staged: a transaction of the test holds the same credit code uncommitted,
        so every request finds nothing and queues; its rollback releases them together. On
        PostgreSQL all five wait inside their INSERT (seen in pg_stat_activity) and four are
        refused by the database; on SQLite they queued before the look-up."""
        held = {
            "id": uuid4(),
            "credit_code": VALID_CODES[0],
            "name": "held by the test",
            "registration_category": "91",
            "registered_at": datetime.now(UTC),
            "correlation_id": "held-by-the-test",
        }

        race = await staged_unique_race(
            tier_h, provider, held, lambda: tier_h.client.post(PROVIDERS, json=provider_body())
        )

        assert_one_registered_and_the_rest_name_it(race.responses)
        assert await tier_h.relay() == 1
        assert len(race.unique_violations) == (4 if tier_h.runtime.database.dialect == "postgresql" else 0)


class TestRejectInvalidProvider:
    async def test_wrong_check_character_is_a_422_on_credit_code(self, h: ServiceHarness) -> None:
        response = await h.client.post(PROVIDERS, json=provider_body(INVALID_CODE))

        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "RequestValidationError"
        assert [(e["loc"], e["type"]) for e in body["detail"]] == [(["body", "credit_code"], "credit_code_check_char")]
        assert await h.outbox_rows() == []

    @pytest.mark.parametrize(
        ("field", "value", "error_type"),
        [
            pytest.param("credit_code", VALID_CODES[0][:17], "credit_code_length", id="17-chars"),
            pytest.param("credit_code", "91512081MA62K0260O", "credit_code_chars", id="letter-O"),
            pytest.param("credit_code", "91350200MA2YJ1XR9F", "credit_code_check_char", id="wrong-last-char"),
            pytest.param("credit_code", 915120810, "string_type", id="number"),
            pytest.param("name", "", "text_empty", id="empty-name"),
            pytest.param("name", "n" * 201, "string_too_long", id="name-201-chars"),
            pytest.param("website", "https://example.org", "extra_forbidden", id="unknown-field"),
        ],
    )
    async def test_invalid_field_is_a_422_naming_the_field(
        self, h: ServiceHarness, field: str, value: Any, error_type: str
    ) -> None:
        response = await h.client.post(PROVIDERS, json={**provider_body(), field: value})

        assert response.status_code == 422
        assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["body", field], error_type)]


class TestReadProvider:
    async def test_stored_provider_round_trips(self, h: ServiceHarness) -> None:
        created = await h.client.post(PROVIDERS, json=provider_body(VALID_CODES[1]))

        response = await h.client.get(f"{PROVIDERS}/{created.json()['id']}")

        assert response.status_code == 200
        assert response.json() == created.json()

    async def test_unknown_id_is_404_provider_not_found(self, h: ServiceHarness) -> None:
        unknown = uuid4()

        response = await h.client.get(f"{PROVIDERS}/{unknown}")

        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "ProviderNotFound"
        assert body["detail"] == f"provider {unknown} not found"
        assert body["message_zh"] == f"未找到承接主体 {unknown}"


class TestProviderRegisteredEvent:
    async def test_relay_publishes_one_event_keyed_by_provider(self, h: ServiceHarness) -> None:
        created = await h.client.post(
            PROVIDERS, json=provider_body("91350200ma2yj1xr9g", name="厦门某公司"), headers={"X-Request-ID": "req-p"}
        )
        provider_id = created.json()["id"]

        assert await h.relay() == 1

        (message,) = h.bus.messages(TOPIC)
        assert message.key == provider_id.encode()
        event = parse_event(message.value)
        assert isinstance(event, ProviderRegistered)
        assert event.type == "procurement.provider_registered.v1"
        assert event.subject == provider_id
        assert event.correlation_id == "req-p"
        assert event.data.provider_id == UUID(provider_id)
        assert event.data.credit_code == "91350200MA2YJ1XR9G"
        assert event.data.name == "厦门某公司"

    async def test_second_relay_publishes_nothing(self, h: ServiceHarness) -> None:
        await h.client.post(PROVIDERS, json=provider_body())
        await h.relay()

        assert await h.relay() == 0
        assert len(h.bus.messages(TOPIC)) == 1


class TestFailedUnitOfWork:
    async def test_rolled_back_registration_leaves_no_provider_behind(self, h: ServiceHarness) -> None:
        async def register_then_crash() -> None:
            async with h.runtime.database.transaction() as session:
                await procurement_service.register_provider(
                    SqlProviderRepository(session), RegisterProvider(VALID_CODES[0], "x", "c-crash"), now=h.runtime.now
                )
                raise RuntimeError("crash before commit")

        with pytest.raises(RuntimeError, match="crash before commit"):
            await register_then_crash()

        assert await h.outbox_rows() == []
        response = await h.client.post(PROVIDERS, json=provider_body(VALID_CODES[0]))
        assert response.status_code == 201
