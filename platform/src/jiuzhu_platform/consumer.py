"""The idempotent consumer: inbox rows and effects in one transaction, offsets after commit.

Messages come in batches (what one `fetch` returns, up to a few hundred). For a batch:
1. parse every message with `shared.events.parse_event`; bytes that are not a known, valid event
   go to `<topic>.dlq` at once (retrying cannot fix them);
2. in ONE transaction: insert `processed_event(consumer, event_id)` for every event of the
   batch in one statement (`ON CONFLICT DO NOTHING RETURNING`: the ids that come back are new,
   the others were already applied and are skipped), run the handlers over the new events in
   their order, commit;
3. only then commit the Kafka offsets (the highest per partition).

Handlers come in two kinds, both given the consumer's session (flush, never commit):
- `Handler(session, event, now)`: one event; the default, simplest to write;
- `BatchHandler(session, events, now)`: a run of consecutive events of one type, for hot paths
  that can load and write many rows in a few statements. It must have the same effect as
  applying the events one by one in order (a run may hold several events of one aggregate).
Order is kept: the batch is cut into runs of consecutive events of one type, in offset order.

If anything fails in the batch transaction it is rolled back and the batch is processed again
one message at a time, on the careful path (`process`): a handler error is retried with
exponential backoff (tenacity) `max_attempts` times; a message that keeps failing is parked on
the DLQ with the error and the original bytes, and consumption goes on. So one poison message
costs its batch a slower pass, never a block or a loss. An outage is not the message's fault:
when the last error is an infrastructure one (database or bus unreachable) nothing is parked;
the error leaves `process`, the loop drops its subscription and resumes from the last
committed offset after a backoff. Likewise if the DLQ cannot be written no offset is committed
and the messages come again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, RetryError, stop_after_attempt, wait_exponential

from jiuzhu_platform.bus import Bus, BusUnavailable, Message, OutgoingMessage, Subscription
from jiuzhu_platform.context import correlation_scope, service_scope
from jiuzhu_platform.db import Database
from jiuzhu_platform.faults import CONSUMER_AFTER_DB_COMMIT, NO_FAULTS, Faults
from jiuzhu_platform.metrics import Metrics
from jiuzhu_platform.stopping import sleep_unless_stopped
from jiuzhu_platform.tracing import consuming
from shared.events import Event, EventParseError, parse_event
from shared.topics import dlq_topic

logger = logging.getLogger(__name__)

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, BusUnavailable, OSError)
"""Errors that say "the database or the bus is unreachable", not "this message is bad"."""

Handler = Callable[[AsyncSession, Event, datetime], Awaitable[None]]
"""A consumer handler: apply `event` using `session` (flush, never commit); the third argument
is the processing time from the worker's clock."""

BatchHandler = Callable[[AsyncSession, Sequence[Event], datetime], Awaitable[None]]
"""A handler for a run of consecutive events of one type, in order: same effect as applying
them one by one, in fewer statements."""

APPLIED, DUPLICATE, IGNORED, DEAD_LETTERED = "applied", "duplicate", "ignored", "dead-lettered"


class EventConsumer:
    def __init__(
        self,
        name: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        *,
        database: Database,
        bus: Bus,
        inbox: Table,
        now: Callable[[], datetime],
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        metrics: Metrics | None = None,
        faults: Faults = NO_FAULTS,
    ) -> None:
        """`handlers` maps event types to handlers; other event types on the topics are
        recorded in the inbox and skipped (a consumer only cares about some types).
        `batch_handlers` (optional) take runs of their type in the batched path; a type with a
        batch handler still needs its one-event handler for the careful path."""
        missing = set(batch_handlers or {}) - set(handlers)
        if missing:
            raise ValueError(f"batch handlers without a one-event handler: {', '.join(sorted(missing))}")
        self.name = name
        self._topics = tuple(topics)
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        self._db = database
        self._bus = bus
        self._inbox = inbox
        self._now = now
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._metrics = metrics
        self._faults = faults
        self._service = name.split(".")[0]
        self.on_turn: Callable[[], None] = _no_turn_hook
        """Called on every turn of `run` (the worker's heartbeat, `jiuzhu_platform.heartbeat`)."""
        insert = postgresql.insert if database.dialect == "postgresql" else sqlite.insert
        # Built once: the statement (and so its compiled form) is the same for every batch.
        self._record_statement = insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id)

    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 0.5) -> None:
        """Consume until `stop` is set. If anything fails outside a handler (bus or database
        down), the subscription is dropped and re-created: it resumes from the last committed
        offset, so nothing is skipped."""
        backoff = self._backoff
        while not stop.is_set():
            subscription: Subscription | None = None
            self.on_turn()
            try:
                subscription = await self._bus.subscribe(self.name, self._topics)
                while not stop.is_set():
                    self.on_turn()
                    messages = await subscription.fetch(poll_seconds)
                    if messages:
                        await self.process_batch(messages)
                        await subscription.commit(messages)
                    backoff = self._backoff
            except Exception:
                logger.warning("consumer %s: restarting after an error", self.name, exc_info=True)
                await sleep_unless_stopped(stop, backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if subscription is not None:
                    await subscription.close()

    async def process_batch(self, messages: Sequence[Message]) -> list[str]:
        """Apply a batch in one transaction (see the module docstring); the outcome of each
        message, in order. Returns only once every outcome is durable, so the caller may
        commit the offsets."""
        outcomes: list[str] = [""] * len(messages)
        events: list[tuple[int, Event]] = []
        for index, message in enumerate(messages):
            try:
                events.append((index, parse_event(message.value)))
            except EventParseError as exc:
                await self._dead_letter(message, exc, attempts=0)
                outcomes[index] = DEAD_LETTERED
        if not events:
            return outcomes
        with service_scope(self._service):
            try:
                applied = await self._apply_batch([event for _, event in events])
            except Exception as exc:
                logger.warning(
                    "consumer %s: a batch of %d failed (%s); processing it one message at a time",
                    self.name,
                    len(events),
                    type(exc).__name__,
                )
                for index, event in events:
                    outcomes[index] = await self._process_event(messages[index], event)
                return outcomes
        self._faults.check(CONSUMER_AFTER_DB_COMMIT)
        for (index, _), outcome in zip(events, applied, strict=True):
            outcomes[index] = outcome
        self._count(applied)
        if logger.isEnabledFor(logging.DEBUG):
            for (_, event), outcome in zip(events, applied, strict=True):
                logger.debug(
                    "consumer %s: %s %s",
                    self.name,
                    outcome,
                    event.type,
                    extra={"event_id": str(event.id), "correlation_id": event.correlation_id},
                )
        return outcomes

    async def process(self, message: Message) -> str:
        """Apply one message on the careful path (retries, then the DLQ); returns `applied`,
        `duplicate`, `ignored` or `dead-lettered`. Returns only once the outcome is durable,
        so the caller may commit the offset."""
        try:
            event = parse_event(message.value)
        except EventParseError as exc:
            await self._dead_letter(message, exc, attempts=0)
            return DEAD_LETTERED
        with service_scope(self._service):
            return await self._process_event(message, event)

    async def _process_event(self, message: Message, event: Event) -> str:
        with correlation_scope(event.correlation_id):
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self._max_attempts),
                    wait=wait_exponential(multiplier=self._backoff, max=10),
                    reraise=False,
                ):
                    with attempt:
                        [outcome] = await self._apply_batch([event], batched=False)
            except RetryError as exc:
                error = exc.last_attempt.exception()
                assert error is not None
                if isinstance(error, INFRASTRUCTURE_ERRORS):
                    raise error from exc
                logger.error(
                    "consumer %s: %s failed %d times, dead-lettering", self.name, event.type, self._max_attempts
                )
                await self._dead_letter(message, error, attempts=self._max_attempts)
                return DEAD_LETTERED
            self._faults.check(CONSUMER_AFTER_DB_COMMIT)
            self._count([outcome])
            logger.debug("consumer %s: %s %s", self.name, outcome, event.type, extra={"event_id": str(event.id)})
            return outcome

    async def _apply_batch(self, events: Sequence[Event], *, batched: bool = True) -> list[str]:
        """One transaction: record the inbox rows, apply the new events in order, commit.
        `batched=False` uses the one-event handlers only (the careful path)."""
        now = self._now()
        async with self._db.transaction() as session:
            new = await self._record(session, events, now)
            outcomes: list[str] = []
            fresh: list[Event] = []
            for event in events:
                if event.id not in new:
                    outcomes.append(DUPLICATE)
                    continue
                new.discard(event.id)  # a second copy in the same batch is a duplicate
                fresh.append(event)
                outcomes.append(APPLIED if event.type in self._handlers else IGNORED)
            for event_type, run in _runs(fresh):
                handler = self._handlers.get(event_type)
                if handler is None:
                    continue
                batch_handler = self._batch_handlers.get(event_type) if batched else None
                if batch_handler is not None:
                    with consuming(self.name, run):
                        await batch_handler(session, run, now)
                    continue
                for event in run:
                    with correlation_scope(event.correlation_id), consuming(self.name, [event]):
                        await handler(session, event, now)
        return outcomes

    async def _record(self, session: AsyncSession, events: Sequence[Event], now: datetime) -> set[UUID]:
        """Insert the inbox rows; the ids that were new (the others were processed before)."""
        rows: dict[UUID, dict[str, Any]] = {}
        for event in events:
            rows.setdefault(
                event.id, {"consumer": self.name, "event_id": event.id, "event_type": event.type, "processed_at": now}
            )
        # Parameters, not .values(rows): one compiled statement for every batch size, sent as
        # multi-row VALUES by SQLAlchemy's insertmanyvalues.
        result = await session.execute(self._record_statement, list(rows.values()))
        return set(result.scalars().all())

    def _count(self, outcomes: Sequence[str]) -> None:
        if self._metrics is None:
            return
        for outcome in set(outcomes):
            self._metrics.events_consumed.labels(self.name, outcome).inc(outcomes.count(outcome))

    async def _dead_letter(self, message: Message, error: BaseException, *, attempts: int) -> None:
        headers = (
            *message.headers,
            ("dlq_error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_source_topic", message.topic.encode()),
            ("dlq_source_partition", str(message.partition).encode()),
            ("dlq_source_offset", str(message.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
        )
        try:
            await self._bus.publish([OutgoingMessage(dlq_topic(message.topic), message.key, message.value, headers)])
        except BusUnavailable:
            logger.error("consumer %s: cannot write the DLQ; the message will be redelivered", self.name)
            raise
        if self._metrics is not None:
            self._metrics.events_consumed.labels(self.name, DEAD_LETTERED).inc()
        logger.warning(
            "consumer %s: parked %s[%d]@%d on %s: %s",
            self.name,
            message.topic,
            message.partition,
            message.offset,
            dlq_topic(message.topic),
            error,
        )


def _no_turn_hook() -> None:
    return None


def _runs(events: Sequence[Event]) -> Iterator[tuple[str, list[Event]]]:
    """Consecutive events of one type, in order."""
    for event_type, run in groupby(events, key=lambda event: event.type):
        yield event_type, list(run)
