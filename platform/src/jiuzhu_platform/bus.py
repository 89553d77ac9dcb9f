"""Two message buses behind one interface.

- `KafkaBus` (distributed mode): aiokafka, an idempotent producer (`acks=all`,
  `enable_idempotence=True`), consumers in groups with manual offset commits.
- `InProcessBus` (embedded mode): an in-memory log per topic with committed offsets per
  consumer group. It keeps Kafka's at-least-once shape (a subscription that goes away without
  committing is redelivered from the last committed offset), so the outbox and inbox code is
  exercised the same way in both modes.

Only the outbox relay publishes events and only `EventConsumer` subscribes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context

logger = logging.getLogger(__name__)

Headers = tuple[tuple[str, bytes], ...]

FETCH_MAX_RECORDS = 500
"""The most messages one `fetch` returns (a consumer's batch)."""


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers = ()

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


def next_offsets(messages: Sequence[Message]) -> dict[tuple[str, int], int]:
    """The offset to commit per (topic, partition) once `messages` are done: one past the highest."""
    offsets: dict[tuple[str, int], int] = {}
    for message in messages:
        key = (message.topic, message.partition)
        offsets[key] = max(offsets.get(key, 0), message.offset + 1)
    return offsets


class BusUnavailable(Exception):
    """The bus could not take or deliver messages now; the caller retries later."""


class Subscription(Protocol):
    async def fetch(self, timeout: float) -> Sequence[Message]:
        """Next messages after the current position (waits up to `timeout` seconds)."""
        ...

    async def commit(self, messages: Sequence[Message]) -> None:
        """Record that `messages` and everything before each in its partition are done (one
        offset commit for a whole batch: the highest offset per partition)."""
        ...

    async def close(self) -> None: ...


class Bus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Publish and wait until every message is acknowledged (or raise `BusUnavailable`)."""
        ...

    async def subscribe(self, group: str, topics: Sequence[str]) -> Subscription: ...

    async def ping(self) -> None:
        """Raise if the bus is unreachable (for `/readyz`)."""
        ...


# ---------------------------------------------------------------------------- in-process


@dataclass
class _Log:
    messages: list[Message] = field(default_factory=list)


class InProcessBus:
    """One partition per topic; offsets committed per (group, topic)."""

    def __init__(self) -> None:
        self._logs: dict[str, _Log] = defaultdict(_Log)
        self._committed: dict[tuple[str, str], int] = {}
        self._changed = asyncio.Condition()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        async with self._changed:
            for out in messages:
                log = self._logs[out.topic]
                log.messages.append(Message(out.topic, 0, len(log.messages), out.key, out.value, out.headers))
            self._changed.notify_all()

    async def subscribe(self, group: str, topics: Sequence[str]) -> Subscription:
        return _InProcessSubscription(self, group, tuple(topics))

    def messages(self, topic: str) -> list[Message]:
        """Everything ever published to `topic` (for tests and diagnostics)."""
        return list(self._logs[topic].messages)

    def committed(self, group: str, topic: str) -> int:
        return self._committed.get((group, topic), 0)


class _InProcessSubscription:
    def __init__(self, bus: InProcessBus, group: str, topics: tuple[str, ...]) -> None:
        self._bus = bus
        self._group = group
        self._topics = topics
        self._position = {t: bus.committed(group, t) for t in topics}

    def _pending(self) -> list[Message]:
        out: list[Message] = []
        for topic in self._topics:
            out.extend(self._bus._logs[topic].messages[self._position[topic] :])
        return out

    async def fetch(self, timeout: float) -> Sequence[Message]:
        async with self._bus._changed:
            pending = self._pending()
            if not pending:
                try:
                    await asyncio.wait_for(self._bus._changed.wait_for(lambda: bool(self._pending())), timeout)
                except TimeoutError:
                    return []
                pending = self._pending()
        pending = pending[:FETCH_MAX_RECORDS]
        for message in pending:
            self._position[message.topic] = max(self._position[message.topic], message.offset + 1)
        return pending

    async def commit(self, messages: Sequence[Message]) -> None:
        for (topic, _partition), offset in next_offsets(messages).items():
            key = (self._group, topic)
            self._bus._committed[key] = max(self._bus._committed.get(key, 0), offset)

    async def close(self) -> None:
        return None


# ---------------------------------------------------------------------------------- Kafka


@dataclass(frozen=True)
class KafkaSecurity:
    """How the clients authenticate to the brokers: PLAINTEXT (a loopback or a private test
    broker), SSL, or SASL (SCRAM-SHA-512 as Strimzi's KafkaUser issues, over SSL in production).
    `ssl_cafile` is the cluster CA (Strimzi: `<cluster>-cluster-ca-cert`); without it the
    system trust store is used."""

    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for every aiokafka client (producer, consumer, admin)."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.protocol in ("SSL", "SASL_SSL"):
            options["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile)
        if self.protocol.startswith("SASL"):
            options["sasl_mechanism"] = self.sasl_mechanism or "SCRAM-SHA-512"
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password
        return options


class KafkaBus:
    """aiokafka producer (idempotent, acks=all) and consumers with manual commits."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str,
        topic_prefix: str = "",
        request_timeout_ms: int = 15_000,
        security: KafkaSecurity | None = None,
    ) -> None:
        """`topic_prefix` namespaces every topic on a shared cluster (a staging copy, or one
        test's topics); code above the bus always sees the plain names."""
        self._security = (security or KafkaSecurity()).client_options()
        self._bootstrap = bootstrap_servers
        self._prefix = topic_prefix
        self._client_id = client_id
        self._request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        return None  # the producer starts on first publish, so a broker outage at boot is survivable

    async def _ensure_producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    request_timeout_ms=self._request_timeout_ms,
                    linger_ms=5,
                    # the relay hands over hundreds of events at once: fewer, larger produce
                    # requests (the default batch of 16 KiB holds ~25 events)
                    max_batch_size=256 * 1024,
                    **self._security,
                )
                try:
                    await producer.start()
                except (KafkaError, OSError) as exc:
                    await producer.stop()
                    raise BusUnavailable(f"cannot connect to Kafka at {self._bootstrap}: {exc}") from exc
                self._producer = producer
            return self._producer

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if not messages:
            return
        producer = await self._ensure_producer()
        try:
            futures = [
                await producer.send(self._prefix + m.topic, m.value, key=m.key, headers=list(m.headers))
                for m in messages
            ]
            await asyncio.gather(*futures)
        except (KafkaError, OSError) as exc:
            # After a broker outage the producer may be wedged: drop it, rebuild on next publish.
            async with self._lock:
                if self._producer is producer:
                    self._producer = None
            await producer.stop()
            raise BusUnavailable(f"publish failed: {exc!r}") from exc

    async def subscribe(self, group: str, topics: Sequence[str]) -> Subscription:
        consumer = AIOKafkaConsumer(
            *(self._prefix + t for t in topics),
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            metadata_max_age_ms=5_000,
            **self._security,
        )
        try:
            await consumer.start()
        except (KafkaError, OSError) as exc:
            await consumer.stop()
            raise BusUnavailable(f"cannot subscribe at {self._bootstrap}: {exc}") from exc
        return _KafkaSubscription(consumer, self._prefix)

    async def ping(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=3_000, **self._security)
        try:
            await admin.start()
            await admin.list_topics()
        except (KafkaError, OSError) as exc:
            raise BusUnavailable(str(exc)) from exc
        finally:
            await admin.close()

    async def stop(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()


class _KafkaSubscription:
    def __init__(self, consumer: AIOKafkaConsumer, prefix: str) -> None:
        self._consumer = consumer
        self._prefix = prefix

    async def fetch(self, timeout: float) -> Sequence[Message]:
        batches = await self._consumer.getmany(timeout_ms=int(timeout * 1000), max_records=FETCH_MAX_RECORDS)
        return [
            Message(r.topic.removeprefix(self._prefix), r.partition, r.offset, r.key, r.value or b"", tuple(r.headers))
            for records in batches.values()
            for r in records
        ]

    async def commit(self, messages: Sequence[Message]) -> None:
        offsets = next_offsets(messages)
        if offsets:
            await self._consumer.commit(
                {
                    TopicPartition(self._prefix + topic, partition): offset
                    for (topic, partition), offset in offsets.items()
                }
            )

    async def close(self) -> None:
        await self._consumer.stop()
