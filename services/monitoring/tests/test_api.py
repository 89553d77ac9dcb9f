"""The monitoring register over HTTP, fed through its real consumer from the in-process bus.

Events are published to the harness bus as raw bytes and handed to the consumer's `process`,
the same code the worker loop runs for every fetched message.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import select

from jiuzhu_platform.bus import Message, OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness, tier_harness
from monitoring.adapters.orm import register_entry
from monitoring.main import DEFINITION
from shared.events import (
    ApplicationSubmitted,
    ApplicationSubmittedData,
    AssistanceType,
    Event,
    HouseholdRegistered,
    ProviderRegistered,
    ProviderRegisteredData,
    parse_event,
)

SOURCE = "eligibility.events"
DLQ = "eligibility.events.dlq"
TOPIC = "monitoring.events"
HOUSEHOLDS = "/v1/monitoring/households"


def application_event(
    household_id: UUID,
    *,
    assistance_type: AssistanceType = AssistanceType.DIBAO,
    region_code: str = "520102",
    correlation_id: str = "c-1",
) -> ApplicationSubmitted:
    return ApplicationSubmitted.create(
        ApplicationSubmittedData(
            application_id=uuid4(),
            household_id=household_id,
            assistance_type=assistance_type,
            region_code=region_code,
            member_count=3,
            applicant_masked_id="1101**********002X",
        ),
        subject=str(household_id),
        correlation_id=correlation_id,
        now=datetime.now(UTC),
    )


async def publish(h: ServiceHarness, value: bytes, *, key: bytes | None = None) -> Message:
    """Put raw bytes on the source topic; returns the message as a consumer will fetch it."""
    await h.bus.publish([OutgoingMessage(SOURCE, key, value)])
    return h.bus.messages(SOURCE)[-1]


async def process(h: ServiceHarness, message: Message) -> str:
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("register"))
    return await consumer.process(message)


async def deliver(h: ServiceHarness, event: Event) -> str:
    return await process(h, await publish(h, event.to_json_bytes(), key=event.subject.encode()))


def parse_instant(text: str) -> datetime:
    return TypeAdapter(AwareDatetime).validate_python(text)


class TestEmptyRegister:
    async def test_register_is_empty_at_start(self, h: ServiceHarness) -> None:
        response = await h.client.get(HOUSEHOLDS)

        assert response.status_code == 200
        assert response.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}

    async def test_unknown_household_is_404_household_not_in_register(self, h: ServiceHarness) -> None:
        unknown = uuid4()

        response = await h.client.get(f"{HOUSEHOLDS}/{unknown}", headers={"X-Request-ID": "req-404"})

        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "HouseholdNotInRegister"
        assert body["detail"] == f"household {unknown} is not in the monitoring register"
        assert body["message_zh"] == f"家庭 {unknown} 不在监测名册中"
        assert body["correlation_id"] == "req-404"


class TestRegisterApplicantHousehold:
    async def test_submitted_application_puts_the_household_in_the_register(self, h: ServiceHarness) -> None:
        household_id = uuid4()

        outcome = await deliver(h, application_event(household_id, region_code="520113"))

        assert outcome == "applied"
        listing = (await h.client.get(HOUSEHOLDS)).json()
        assert listing["total"] == 1
        assert [item["household_id"] for item in listing["items"]] == [str(household_id)]
        response = await h.client.get(f"{HOUSEHOLDS}/{household_id}")
        assert response.status_code == 200
        entry = response.json()
        assert entry["household_id"] == str(household_id)
        assert entry["region_code"] == "520113"
        assert entry["reason"] == "application_submitted"
        assert entry["assistance_types"] == ["dibao"]
        assert parse_instant(entry["registered_at"]).utcoffset() == timedelta(0)
        assert entry["registered_at"] == entry["updated_at"]
        assert listing["items"][0] == entry

    async def test_registration_is_announced_once_with_causation_and_correlation(self, h: ServiceHarness) -> None:
        household_id = uuid4()
        first = application_event(household_id, correlation_id="c-1")
        await deliver(h, first)

        assert await h.relay() == 1

        (message,) = h.bus.messages(TOPIC)
        assert message.key == str(household_id).encode()
        event = parse_event(message.value)
        assert isinstance(event, HouseholdRegistered)
        assert event.type == "monitoring.household_registered.v1"
        assert event.subject == str(household_id)
        assert event.causation_id == str(first.id)
        assert event.correlation_id == "c-1"
        assert event.data.household_id == household_id
        assert event.data.region_code == "520102"
        assert event.data.reason == "application_submitted"
        assert event.data.source_event_id == first.id

    async def test_another_application_of_the_household_adds_its_type_without_a_new_registration(
        self, h: ServiceHarness
    ) -> None:
        household_id = uuid4()
        first = application_event(household_id, assistance_type=AssistanceType.DIBAO, correlation_id="c-1")
        second = application_event(household_id, assistance_type=AssistanceType.TEKUN, correlation_id="c-2")
        assert await deliver(h, first) == "applied"
        registered_at = (await h.client.get(f"{HOUSEHOLDS}/{household_id}")).json()["registered_at"]

        assert await deliver(h, second) == "applied"

        entry = (await h.client.get(f"{HOUSEHOLDS}/{household_id}")).json()
        assert entry["assistance_types"] == ["dibao", "tekun"]
        assert entry["registered_at"] == registered_at
        assert parse_instant(entry["updated_at"]) >= parse_instant(registered_at)
        assert (await h.client.get(HOUSEHOLDS)).json()["total"] == 1
        assert len(await h.outbox_rows()) == 1
        assert await h.relay() == 1
        (message,) = h.bus.messages(TOPIC)
        event = parse_event(message.value)
        assert event.causation_id == str(first.id)
        assert event.correlation_id == "c-1"

    async def test_repeated_assistance_type_is_listed_once(self, h: ServiceHarness) -> None:
        household_id = uuid4()
        await deliver(h, application_event(household_id, assistance_type=AssistanceType.TEMPORARY))
        await deliver(h, application_event(household_id, assistance_type=AssistanceType.TEMPORARY))

        entry = (await h.client.get(f"{HOUSEHOLDS}/{household_id}")).json()
        assert entry["assistance_types"] == ["temporary"]


class TestIdempotentConsumption:
    async def test_same_message_twice_is_a_duplicate_the_second_time(self, h: ServiceHarness) -> None:
        household_id = uuid4()
        message = await publish(h, application_event(household_id).to_json_bytes(), key=str(household_id).encode())

        first = await process(h, message)
        second = await process(h, message)

        assert (first, second) == ("applied", "duplicate")
        listing = (await h.client.get(HOUSEHOLDS)).json()
        assert listing["total"] == 1
        assert len(listing["items"]) == 1
        assert len(await h.outbox_rows()) == 1

    async def test_redelivered_copy_of_an_event_does_not_change_the_entry(self, h: ServiceHarness) -> None:
        household_id = uuid4()
        event = application_event(household_id)
        await deliver(h, event)
        before = (await h.client.get(f"{HOUSEHOLDS}/{household_id}")).json()

        assert await deliver(h, event) == "duplicate"

        assert (await h.client.get(f"{HOUSEHOLDS}/{household_id}")).json() == before


class TestUnprocessableMessages:
    async def test_poison_message_is_dead_lettered_with_the_error_and_original_bytes(self, h: ServiceHarness) -> None:
        message = await publish(h, b"not json", key=b"k-1")

        outcome = await process(h, message)

        assert outcome == "dead-lettered"
        (parked,) = h.bus.messages(DLQ)
        assert parked.value == b"not json"
        assert parked.key == b"k-1"
        error = parked.header("dlq_error")
        assert error is not None
        assert error.startswith(b"EventParseError: malformed_json")
        assert parked.header("dlq_source_topic") == SOURCE.encode()
        assert parked.header("dlq_source_offset") == str(message.offset).encode()
        assert parked.header("dlq_consumer") == b"monitoring.register"
        assert (await h.client.get(HOUSEHOLDS)).json()["total"] == 0

    async def test_event_with_an_invalid_payload_is_dead_lettered(self, h: ServiceHarness) -> None:
        envelope = json.loads(application_event(uuid4()).to_json_bytes())
        envelope["data"]["region_code"] = "999999"
        raw = json.dumps(envelope).encode()

        outcome = await process(h, await publish(h, raw))

        assert outcome == "dead-lettered"
        (parked,) = h.bus.messages(DLQ)
        assert parked.value == raw
        error = parked.header("dlq_error")
        assert error is not None
        assert error.startswith(b"EventParseError: invalid_payload")
        assert (await h.client.get(HOUSEHOLDS)).json()["total"] == 0

    async def test_event_of_an_unrelated_type_is_ignored(self, h: ServiceHarness) -> None:
        provider_event = ProviderRegistered.create(
            ProviderRegisteredData(provider_id=uuid4(), credit_code="91512081MA62K0260E", name="某公司"),
            subject="p-1",
            correlation_id="c-9",
            now=datetime.now(UTC),
        )

        outcome = await deliver(h, provider_event)

        assert outcome == "ignored"
        assert h.bus.messages(DLQ) == []
        assert (await h.client.get(HOUSEHOLDS)).json()["total"] == 0
        assert await h.outbox_rows() == []

    async def test_ignored_event_is_recorded_so_a_redelivery_is_a_duplicate(self, h: ServiceHarness) -> None:
        provider_event = ProviderRegistered.create(
            ProviderRegisteredData(provider_id=uuid4(), credit_code="91110000600037341L", name="某公司"),
            subject="p-2",
            correlation_id="c-9",
            now=datetime.now(UTC),
        )
        message = await publish(h, provider_event.to_json_bytes())

        assert [await process(h, message), await process(h, message)] == ["ignored", "duplicate"]


class TestListHouseholds:
    async def test_filter_by_region_returns_only_that_region(self, h: ServiceHarness) -> None:
        nanming = [uuid4(), uuid4()]
        yunyan = uuid4()
        for household_id in nanming:
            await deliver(h, application_event(household_id, region_code="520102"))
        await deliver(h, application_event(yunyan, region_code="520103"))

        in_nanming = (await h.client.get(HOUSEHOLDS, params={"region_code": "520102"})).json()
        in_yunyan = (await h.client.get(HOUSEHOLDS, params={"region_code": "520103"})).json()
        in_qingzhen = (await h.client.get(HOUSEHOLDS, params={"region_code": "520181"})).json()

        assert in_nanming["total"] == 2
        assert {item["household_id"] for item in in_nanming["items"]} == {str(x) for x in nanming}
        assert all(item["region_code"] == "520102" for item in in_nanming["items"])
        assert in_yunyan["total"] == 1
        assert [item["household_id"] for item in in_yunyan["items"]] == [str(yunyan)]
        assert in_qingzhen == {"items": [], "total": 0, "limit": 50, "offset": 0}

    async def test_pages_follow_registration_order_and_report_the_total(self, h: ServiceHarness) -> None:
        households = [uuid4() for _ in range(5)]
        for household_id in households:
            await deliver(h, application_event(household_id))

        pages = [(await h.client.get(HOUSEHOLDS, params={"limit": 2, "offset": o})).json() for o in (0, 2, 4, 6)]

        assert [page["total"] for page in pages] == [5, 5, 5, 5]
        assert [(page["limit"], page["offset"]) for page in pages] == [(2, 0), (2, 2), (2, 4), (2, 6)]
        assert [len(page["items"]) for page in pages] == [2, 2, 1, 0]
        listed = [item["household_id"] for page in pages for item in page["items"]]
        assert listed == [str(x) for x in households]

    async def test_filter_and_paging_combine(self, h: ServiceHarness) -> None:
        wanted = [uuid4() for _ in range(3)]
        for household_id in wanted:
            await deliver(h, application_event(household_id, region_code="520111"))
            await deliver(h, application_event(uuid4(), region_code="520112"))

        page = (await h.client.get(HOUSEHOLDS, params={"region_code": "520111", "limit": 2, "offset": 1})).json()

        assert page["total"] == 3
        assert [item["household_id"] for item in page["items"]] == [str(x) for x in wanted[1:]]

    @pytest.mark.parametrize(
        ("params", "loc", "error_type"),
        [
            pytest.param(
                {"region_code": "999999"}, ["query", "region_code"], "region_code_unknown", id="unknown-region"
            ),
            pytest.param({"region_code": "52"}, ["query", "region_code"], "region_code_format", id="short-region"),
            pytest.param({"limit": 0}, ["query", "limit"], "greater_than_equal", id="limit-0"),
            pytest.param({"limit": 501}, ["query", "limit"], "less_than_equal", id="limit-501"),
            pytest.param({"offset": -1}, ["query", "offset"], "greater_than_equal", id="negative-offset"),
            pytest.param({"limit": "many"}, ["query", "limit"], "int_parsing", id="limit-not-a-number"),
        ],
    )
    async def test_invalid_query_is_a_422_naming_the_parameter(
        self, h: ServiceHarness, params: dict[str, Any], loc: list[str], error_type: str
    ) -> None:
        response = await h.client.get(HOUSEHOLDS, params=params)

        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "RequestValidationError"
        assert [(e["loc"], e["type"]) for e in body["detail"]] == [(loc, error_type)]

    async def test_malformed_household_id_is_a_422(self, h: ServiceHarness) -> None:
        response = await h.client.get(f"{HOUSEHOLDS}/not-a-uuid")

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["path", "household_id"]]


class TestConsumerMetrics:
    async def test_consumed_events_are_counted_by_outcome(self, h: ServiceHarness) -> None:
        await deliver(h, application_event(uuid4()))

        text = (await h.client.get("/metrics")).text

        assert 'events_consumed_total{consumer="monitoring.register",outcome="applied"} 1.0' in text


class TestBatchedConsumption:
    """The worker hands the consumer what one fetch returns; the register batch handler must
    leave the same register, versions and outbox as the events applied one by one."""

    async def register_state(self, h: ServiceHarness) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
        async with h.runtime.database.transaction() as session:
            rows = (await session.execute(select(register_entry).order_by(register_entry.c.household_id))).all()
        register = [(r.household_id, r.assistance_types, r.region_code, r.town_code, r.version) for r in rows]
        events = [(row["event_type"], row["key"]) for row in await h.outbox_rows()]
        return register, events

    @pytest.mark.parametrize("tier", ["embedded", pytest.param("distributed", marks=pytest.mark.integration)])
    async def test_a_batch_equals_the_events_one_by_one(self, tmp_path: Any, tier: str) -> None:
        known, fresh = uuid4(), uuid4()
        events = [
            application_event(fresh, assistance_type=AssistanceType.DIBAO),
            application_event(known, assistance_type=AssistanceType.TEKUN),
            application_event(fresh, assistance_type=AssistanceType.TEMPORARY, region_code="520103"),
            application_event(fresh, assistance_type=AssistanceType.TEMPORARY, region_code="520103"),
            application_event(uuid4()),
            application_event(known, assistance_type=AssistanceType.MARGINAL, region_code="520103"),
        ]
        states = []
        # Each run on a fresh database of the tier: on PostgreSQL the bulk statements really run there.
        for batched in (False, True):
            async with tier_harness(tier, DEFINITION, tmp_path / str(batched)) as harness:
                await deliver(harness, application_event(known))  # already in the register
                messages = [await publish(harness, e.to_json_bytes(), key=e.subject.encode()) for e in events]
                consumer = next(
                    c
                    for c in harness.definition.worker_components(harness.runtime).consumers
                    if c.name.endswith("register")
                )
                if batched:
                    assert await consumer.process_batch(messages) == ["applied"] * 6
                else:
                    assert [await consumer.process(m) for m in messages] == ["applied"] * 6
                states.append(await self.register_state(harness))
        one_by_one, batch = states
        assert batch == one_by_one
        register, outbox_events = batch
        assert {row[0]: row[4] for row in register}[fresh] == 3  # created, then changed twice
        assert {row[0]: row[4] for row in register}[known] == 3  # changed twice in the batch
        assert [key for _, key in outbox_events] == [str(known), str(fresh), str(events[4].subject)]
