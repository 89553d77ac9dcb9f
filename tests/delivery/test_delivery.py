"""Delivery guarantees, end to end through the platform: eligibility writes applications and
outbox rows, its relay publishes, monitoring's consumer applies them through its inbox.

Every scenario runs on both buses:
- `embedded`: SQLite files and the in-process bus (fast, no servers);
- `distributed` (marker `integration`): real PostgreSQL databases and the real Kafka broker
  started by `deploy/local/*.sh`, with a topic prefix unique to the test.
A few scenarios only make sense on the real servers (broker restart, competing relays).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from eligibility.applications import service as eligibility_service
from eligibility.applications.domain.commands import SubmitApplication
from eligibility.main import DEFINITION as ELIGIBILITY
from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.bus import Bus, InProcessBus, Message, OutgoingMessage
from jiuzhu_platform.consumer import EventConsumer, Handler
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.faults import CONSUMER_AFTER_DB_COMMIT, RELAY_AFTER_PUBLISH, Faults, SimulatedCrash
from jiuzhu_platform.outbox import OutboxRelay
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.testing import test_pii_settings
from monitoring.adapters.orm import register_entry
from monitoring.consumers import REGISTER
from monitoring.main import DEFINITION as MONITORING
from shared.events import ApplicationSubmitted, AssistanceType, Event
from shared.topics import ELIGIBILITY_EVENTS, dlq_topic
from shared.types import ResidentId, resident_id_check_digit
from tests.conftest import ThrowawayDatabases, server_setting

REPO = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def resident_id(n: int) -> ResidentId:
    body = f"520102198001{n % 28 + 1:02d}{n % 1000:03d}"
    return ResidentId(body + resident_id_check_digit(body))


@dataclass
class Backend:
    kind: str
    eligibility: Runtime
    monitoring: Runtime
    monitoring_faults: Faults
    eligibility_faults: Faults
    extra_runtimes: list[Runtime] = field(default_factory=list)
    applicants: int = 0
    """Applicants so far: each submission is a new person (one household per resident ID)."""

    def relay(self, runtime: Runtime | None = None) -> OutboxRelay:
        return ELIGIBILITY.worker_components(runtime or self.eligibility).relay

    def consumer(self, handlers: dict[str, Handler] | None = None) -> EventConsumer:
        """Monitoring's register consumer as the worker builds it, or with other handlers."""
        consumer = MONITORING.worker_components(self.monitoring).consumers[0]
        if handlers is None:
            return consumer
        return EventConsumer(
            consumer.name,
            [ELIGIBILITY_EVENTS],
            handlers,
            database=self.monitoring.database,
            bus=self.monitoring.bus,
            inbox=MONITORING.inbox,
            now=self.monitoring.now,
            max_attempts=3,
            backoff_seconds=0.01,
            metrics=self.monitoring.metrics,
        )

    async def submit(self, count: int, *, correlation_id: str = "delivery-test") -> list[uuid.UUID]:
        households = []
        for _ in range(count):
            n = self.applicants
            self.applicants += 1
            async with self.eligibility.database.transaction() as session:
                command = SubmitApplication(
                    assistance_type=AssistanceType.DIBAO,
                    region_code="520102",
                    member_count=2,
                    applicant_name=f"测试{n}",
                    applicant_resident_id=resident_id(n),
                    correlation_id=f"{correlation_id}-{n}",
                )
                application = await eligibility_service.submit_application(
                    session, RegionScope(AccessLevel.CITY), command, now=self.eligibility.now
                )
            households.append(application.household_id)
        return households

    async def register_rows(self) -> list[dict[str, Any]]:
        async with self.monitoring.database.transaction() as session:
            rows = (await session.execute(select(register_entry))).mappings().all()
        return [dict(r) for r in rows]

    async def wait_for_register(self, count: int) -> list[dict[str, Any]]:
        async def poll() -> list[dict[str, Any]]:
            while len(rows := await self.register_rows()) < count:
                await asyncio.sleep(0.05)
            return rows

        return await asyncio.wait_for(poll(), WAIT_SECONDS)

    async def read_topic(self, topic: str, expected: int, group: str | None = None) -> list[Message]:
        """Read `expected` messages from `topic` with a fresh consumer group (no commits)."""
        subscription = await self.eligibility.bus.subscribe(group or f"reader-{uuid.uuid4().hex}", [topic])
        messages: list[Message] = []
        try:

            async def poll() -> None:
                while len(messages) < expected:
                    messages.extend(await subscription.fetch(0.5))

            await asyncio.wait_for(poll(), WAIT_SECONDS)
            await asyncio.sleep(0.5)  # anything beyond `expected` would show up now
            messages.extend(await subscription.fetch(0.5))
        finally:
            await subscription.close()
        return messages


def open_runtime(
    definition: ServiceDefinition, url: str, shared_bus: Bus | None, faults: Faults, **settings: Any
) -> Runtime:
    keys = test_pii_settings() if definition.keeps_pii else {}
    config = definition.settings_class(
        env="test", database_url=url, consumer_backoff_seconds=0.01, consumer_max_attempts=3, **settings, **keys
    )
    return definition.open_runtime(config, bus=shared_bus, faults=faults)


@pytest.fixture(params=["embedded", pytest.param("distributed", marks=pytest.mark.integration)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    eligibility_faults, monitoring_faults = Faults(), Faults()
    databases: ThrowawayDatabases | None = None
    if request.param == "embedded":
        bus = InProcessBus()
        urls = {d.name: f"sqlite+aiosqlite:///{tmp_path / d.name}.db" for d in (ELIGIBILITY, MONITORING)}
        settings: dict[str, Any] = {"bus": "inprocess"}

        shared_bus: Bus | None = bus
    else:
        bootstrap = server_setting("JIUZHU_KAFKA_BOOTSTRAP")
        databases = ThrowawayDatabases(server_setting("JIUZHU_PG_ADMIN_URL"))
        urls = {d.name: await databases.create(d.name) for d in (ELIGIBILITY, MONITORING)}
        prefix = f"t{uuid.uuid4().hex[:8]}."
        settings = {"bus": "kafka", "kafka_bootstrap_servers": bootstrap, "kafka_topic_prefix": prefix}

        shared_bus = None
    for definition in (ELIGIBILITY, MONITORING):
        await definition.migrate(urls[definition.name])
    result = Backend(
        kind=request.param,
        eligibility=open_runtime(ELIGIBILITY, urls["eligibility"], shared_bus, eligibility_faults, **settings),
        monitoring=open_runtime(MONITORING, urls["monitoring"], shared_bus, monitoring_faults, **settings),
        monitoring_faults=monitoring_faults,
        eligibility_faults=eligibility_faults,
    )
    try:
        yield result
    finally:
        for runtime in (result.eligibility, result.monitoring, *result.extra_runtimes):
            await runtime.close()
        if databases is not None:
            await databases.drop_all()


async def run_consumer_until(consumer: EventConsumer, condition: Callable[[], Awaitable[bool]]) -> None:
    """Run the consumer's real loop until `condition` holds, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop, poll_seconds=0.2))
    try:

        async def poll() -> None:
            while not await condition():
                if task.done():
                    task.result()  # surface a crash
                    raise AssertionError("consumer stopped early")
                await asyncio.sleep(0.05)

        await asyncio.wait_for(poll(), WAIT_SECONDS)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_SECONDS)


def consumed(runtime: Runtime, outcome: str) -> float:
    value = runtime.metrics.registry.get_sample_value(
        "events_consumed_total", {"consumer": "monitoring.register", "outcome": outcome}
    )
    return value or 0.0


class TestOutboxRelay:
    async def test_publishes_in_order_and_marks_rows(self, backend: Backend) -> None:
        households = await backend.submit(5)
        assert await backend.relay().run_once() == 5
        assert await backend.relay().run_once() == 0
        pending, _ = await backend.relay().measure_lag()
        assert pending == 0
        messages = await backend.read_topic(ELIGIBILITY_EVENTS, 5)
        submitted = [str(h).encode() for h in households]
        for partition in {m.partition for m in messages}:  # Kafka orders per partition (per key)
            keys = [m.key for m in sorted(messages, key=lambda m: m.offset) if m.partition == partition]
            assert keys == [k for k in submitted if k in keys]
        assert sorted(m.key for m in messages) == sorted(str(h).encode() for h in households)
        assert {m.header("event_type") for m in messages} == {b"eligibility.application_submitted.v2"}
        assert {m.header("correlation_id") for m in messages} == {f"delivery-test-{n}".encode() for n in range(5)}

    async def test_crash_after_publish_means_a_duplicate_applied_once(self, backend: Backend) -> None:
        [household] = await backend.submit(1)
        backend.eligibility_faults.arm(RELAY_AFTER_PUBLISH)
        with pytest.raises(SimulatedCrash):
            await backend.relay().run_once()
        assert await backend.relay().run_once() == 1  # the row was not marked: sent again

        messages = await backend.read_topic(ELIGIBILITY_EVENTS, 2)
        assert len(messages) == 2
        assert messages[0].value == messages[1].value

        consumer = backend.consumer()
        outcomes = [await consumer.process(m) for m in messages]
        assert outcomes == ["applied", "duplicate"]
        rows = await backend.register_rows()
        assert [(r["household_id"], r["version"]) for r in rows] == [(household, 1)]


class TestIdempotentConsumer:
    async def test_crash_after_db_commit_redelivers_and_applies_once(self, backend: Backend) -> None:
        [household] = await backend.submit(1)
        await backend.relay().run_once()
        backend.monitoring_faults.arm(CONSUMER_AFTER_DB_COMMIT)
        consumer = backend.consumer()

        stop = asyncio.Event()
        with pytest.raises(SimulatedCrash):
            await asyncio.wait_for(consumer.run(stop, poll_seconds=0.2), WAIT_SECONDS)
        assert len(await backend.register_rows()) == 1  # the effect was committed, the offset was not

        restarted = backend.consumer()

        async def redelivered() -> bool:
            return consumed(backend.monitoring, "duplicate") >= 1

        await run_consumer_until(restarted, redelivered)
        rows = await backend.register_rows()
        assert [(r["household_id"], r["version"]) for r in rows] == [(household, 1)]
        assert consumed(backend.monitoring, "duplicate") == 1
        async with backend.monitoring.database.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(MONITORING.inbox)) == 1

    async def test_poison_message_is_parked_and_the_next_one_processed(self, backend: Backend) -> None:
        poison = b'{"type": "eligibility.application_submitted.v1", "data": "garbage"}'
        await backend.eligibility.bus.publish([OutgoingMessage(ELIGIBILITY_EVENTS, b"poison", poison)])
        [household] = await backend.submit(1)
        await backend.relay().run_once()

        async def registered() -> bool:
            return len(await backend.register_rows()) == 1

        await run_consumer_until(backend.consumer(), registered)
        assert (await backend.register_rows())[0]["household_id"] == household

        [parked] = await backend.read_topic(dlq_topic(ELIGIBILITY_EVENTS), 1)
        assert parked.value == poison
        assert parked.key == b"poison"
        assert b"invalid_payload" in (parked.header("dlq_error") or b"")
        assert parked.header("dlq_source_topic") == ELIGIBILITY_EVENTS.encode()

    async def test_transient_failures_are_retried(self, backend: Backend) -> None:
        await backend.submit(1)
        await backend.relay().run_once()
        [message] = await backend.read_topic(ELIGIBILITY_EVENTS, 1)
        real = REGISTER.handlers[ApplicationSubmitted.event_type]
        failures = {"left": 2}

        async def flaky(session: Any, event: Event, now: Any) -> None:
            if failures["left"]:
                failures["left"] -= 1
                raise ValueError("a bug that goes away on retry")
            await real(session, event, now)

        consumer = backend.consumer({ApplicationSubmitted.event_type: flaky})
        assert await consumer.process(message) == "applied"
        assert failures["left"] == 0
        assert len(await backend.register_rows()) == 1

    async def test_an_outage_is_not_dead_lettered(self, backend: Backend) -> None:
        """A handler that keeps failing because the database is unreachable must not park the
        message: `process` raises and the loop will resume from the committed offset."""
        await backend.submit(1)
        await backend.relay().run_once()
        [message] = await backend.read_topic(ELIGIBILITY_EVENTS, 1)

        async def unreachable(session: Any, event: Event, now: Any) -> None:
            raise ConnectionRefusedError("database is down")

        with pytest.raises(ConnectionRefusedError):
            await backend.consumer({ApplicationSubmitted.event_type: unreachable}).process(message)
        assert consumed(backend.monitoring, "dead-lettered") == 0  # counted at the moment of parking
        assert await backend.read_topic(dlq_topic(ELIGIBILITY_EVENTS), 0) == []
        assert await backend.consumer().process(message) == "applied"  # once the outage ends

    async def test_a_message_that_keeps_failing_goes_to_the_dlq(self, backend: Backend) -> None:
        await backend.submit(1)
        await backend.relay().run_once()
        [message] = await backend.read_topic(ELIGIBILITY_EVENTS, 1)

        async def broken(session: Any, event: Event, now: Any) -> None:
            raise RuntimeError("handler bug")

        consumer = backend.consumer({ApplicationSubmitted.event_type: broken})
        assert await consumer.process(message) == "dead-lettered"
        assert consumed(backend.monitoring, "dead-lettered") == 1  # the counter the outage test relies on
        assert await backend.register_rows() == []
        [parked] = await backend.read_topic(dlq_topic(ELIGIBILITY_EVENTS), 1)
        assert parked.value == message.value
        assert parked.header("dlq_attempts") == b"3"
        assert b"handler bug" in (parked.header("dlq_error") or b"")
        # the failed attempt left no inbox row: a fixed handler could still apply a replay
        async with backend.monitoring.database.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(MONITORING.inbox)) == 0


class TestBatches:
    """The consumer applies what one fetch returns in one transaction (`process_batch`); the
    guarantees are the same as one message at a time."""

    async def test_a_batch_is_applied_once_with_duplicates_and_poison_in_it(self, backend: Backend) -> None:
        households = await backend.submit(4)
        await backend.relay().run_once()
        messages = await backend.read_topic(ELIGIBILITY_EVENTS, 4)
        poison = Message(ELIGIBILITY_EVENTS, 0, 10_000, b"poison", b"{not json", ())
        batch = [messages[0], poison, *messages[1:], messages[0]]  # the first one twice
        consumer = backend.consumer()

        assert await consumer.process_batch(batch) == [
            "applied",
            "dead-lettered",
            "applied",
            "applied",
            "applied",
            "duplicate",
        ]
        assert await consumer.process_batch(messages) == ["duplicate"] * 4  # redelivered: nothing new
        rows = await backend.register_rows()
        assert sorted((r["household_id"], r["version"]) for r in rows) == sorted((h, 1) for h in households)
        assert consumed(backend.monitoring, "applied") == 4
        assert consumed(backend.monitoring, "duplicate") == 5
        [parked] = await backend.read_topic(dlq_topic(ELIGIBILITY_EVENTS), 1)
        assert parked.value == b"{not json"

    async def test_a_failing_event_costs_its_batch_a_slower_pass_not_the_others(self, backend: Backend) -> None:
        households = await backend.submit(5)
        await backend.relay().run_once()
        messages = await backend.read_topic(ELIGIBILITY_EVENTS, 5)
        real = REGISTER.handlers[ApplicationSubmitted.event_type]
        bad = households[2]

        async def fails_for_one(session: Any, event: Event, now: Any) -> None:
            assert isinstance(event, ApplicationSubmitted)
            if event.data.household_id == bad:
                raise RuntimeError("handler bug for one household")
            await real(session, event, now)

        outcomes = await backend.consumer({ApplicationSubmitted.event_type: fails_for_one}).process_batch(messages)
        expected = ["dead-lettered" if m.key == str(bad).encode() else "applied" for m in messages]
        assert outcomes == expected
        rows = await backend.register_rows()
        assert sorted(r["household_id"] for r in rows) == sorted(h for h in households if h != bad)
        [parked] = await backend.read_topic(dlq_topic(ELIGIBILITY_EVENTS), 1)
        assert parked.key == str(bad).encode()
        assert b"handler bug for one household" in (parked.header("dlq_error") or b"")

    async def test_crash_after_a_batch_commit_redelivers_the_batch_as_duplicates(self, backend: Backend) -> None:
        households = await backend.submit(6)
        await backend.relay().run_once()
        backend.monitoring_faults.arm(CONSUMER_AFTER_DB_COMMIT)
        with pytest.raises(SimulatedCrash):
            await asyncio.wait_for(backend.consumer().run(asyncio.Event(), poll_seconds=0.2), WAIT_SECONDS)
        applied_before_crash = len(await backend.register_rows())
        assert applied_before_crash >= 1  # the effects were committed, the offsets were not

        async def all_seen() -> bool:
            return consumed(backend.monitoring, "duplicate") >= applied_before_crash and len(
                await backend.register_rows()
            ) == len(households)

        await run_consumer_until(backend.consumer(), all_seen)
        rows = await backend.register_rows()
        assert sorted((r["household_id"], r["version"]) for r in rows) == sorted((h, 1) for h in households)
        assert consumed(backend.monitoring, "duplicate") == applied_before_crash
        async with backend.monitoring.database.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(MONITORING.inbox)) == len(households)


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["distributed"], indirect=True)
class TestOnTheRealServers:
    async def test_competing_relays_do_not_double_publish(self, backend: Backend) -> None:
        await backend.submit(60)
        second = open_runtime(
            ELIGIBILITY,
            backend.eligibility.settings.database_url.get_secret_value(),
            None,
            Faults(),
            bus="kafka",
            kafka_bootstrap_servers=backend.eligibility.settings.kafka_bootstrap_servers,
            kafka_topic_prefix=backend.eligibility.settings.kafka_topic_prefix,
            relay_batch_size=7,
        )
        backend.extra_runtimes.append(second)
        relays = [backend.relay(), ELIGIBILITY.worker_components(second).relay]

        async def drain(relay: OutboxRelay) -> int:
            total = 0
            for _ in range(200):
                total += await relay.run_once()
                pending, _ = await relay.measure_lag()
                if pending == 0:
                    break
                await asyncio.sleep(0.01)
            return total

        published = await asyncio.gather(*(drain(r) for r in relays))
        assert sum(published) == 60
        messages = await backend.read_topic(ELIGIBILITY_EVENTS, 60)
        assert len(messages) == 60
        assert len({m.value for m in messages}) == 60

    async def test_broker_restart_while_producing_loses_nothing(self, backend: Backend) -> None:
        stop = asyncio.Event()
        relay_task = asyncio.create_task(backend.relay().run(stop))
        consumer_task = asyncio.create_task(backend.consumer().run(stop, poll_seconds=0.2))
        try:
            produced: list[uuid.UUID] = []

            async def produce() -> None:
                for _ in range(40):
                    produced.extend(await backend.submit(1))
                    await asyncio.sleep(0.1)

            producer = asyncio.create_task(produce())
            await asyncio.sleep(1.0)
            restart = await asyncio.create_subprocess_exec(
                "bash",
                str(REPO / "deploy/local/kafka.sh"),
                "restart",
                env=os.environ.copy(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            output, _ = await asyncio.wait_for(restart.communicate(), 180)
            assert restart.returncode == 0, output.decode(errors="replace")[-2000:]
            await producer
            rows = await backend.wait_for_register(len(produced))
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(relay_task, consumer_task, return_exceptions=True), WAIT_SECONDS)
        assert len(produced) == 40
        assert sorted(r["household_id"] for r in rows) == sorted(produced)
        assert {r["version"] for r in rows} == {1}
        pending, _ = await backend.relay().measure_lag()
        assert pending == 0
