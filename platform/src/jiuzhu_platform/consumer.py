"""The idempotent consumer: inbox row and effects in one transaction, offset after commit.

For every message:
1. parse it with `shared.events.parse_event`; bytes that are not a known, valid event go to
   `<topic>.dlq` at once (retrying cannot fix them);
2. in one transaction: insert `processed_event(consumer, event_id)` (a conflict means the event
   was already applied: skip), run the handler, commit;
3. only then commit the Kafka offset.

A handler error is retried with exponential backoff (tenacity) `max_attempts` times; a message
that keeps failing is parked on the DLQ with the error and the original bytes, and consumption
goes on. An outage is not the message's fault: when the last error is an infrastructure one
(database or bus unreachable) nothing is parked; the error leaves `process`, the loop drops its
subscription and resumes from the last committed offset after a backoff. Likewise if the DLQ
cannot be written the offset is not committed and the message comes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

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
from shared.events import Event, EventParseError, parse_event
from shared.topics import dlq_topic

logger = logging.getLogger(__name__)

INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, BusUnavailable, OSError)
"""Errors that say "the database or the bus is unreachable", not "this message is bad"."""

Handler = Callable[[AsyncSession, Event, datetime], Awaitable[None]]
"""A consumer handler: apply `event` using `session` (flush, never commit); the third argument
is the processing time from the worker's clock."""


class EventConsumer:
    def __init__(
        self,
        name: str,
        topics: Sequence[str],
        handlers: dict[str, Handler],
        *,
        database: Database,
        bus: Bus,
        inbox: Table,
        now: Callable[[], datetime],
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
        metrics: Metrics | None = None,
        faults: Faults = NO_FAULTS,
    ) -> None:
        """`handlers` maps event types to handlers; other event types on the topics are
        recorded in the inbox and skipped (a consumer only cares about some types)."""
        self.name = name
        self._topics = tuple(topics)
        self._handlers = handlers
        self._db = database
        self._bus = bus
        self._inbox = inbox
        self._now = now
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._metrics = metrics
        self._faults = faults

    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 0.5) -> None:
        """Consume until `stop` is set. If anything fails outside a handler (bus or database
        down), the subscription is dropped and re-created: it resumes from the last committed
        offset, so nothing is skipped."""
        backoff = self._backoff
        while not stop.is_set():
            subscription: Subscription | None = None
            try:
                subscription = await self._bus.subscribe(self.name, self._topics)
                while not stop.is_set():
                    for message in await subscription.fetch(poll_seconds):
                        await self.process(message)
                        await subscription.commit(message)
                    backoff = self._backoff
            except Exception:
                logger.warning("consumer %s: restarting after an error", self.name, exc_info=True)
                await sleep_unless_stopped(stop, backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if subscription is not None:
                    await subscription.close()

    async def process(self, message: Message) -> str:
        """Apply one message; returns `applied`, `duplicate`, `ignored` or `dead-lettered`.
        Returns only once the outcome is durable, so the caller may commit the offset."""
        try:
            event = parse_event(message.value)
        except EventParseError as exc:
            await self._dead_letter(message, exc, attempts=0)
            return "dead-lettered"
        with correlation_scope(event.correlation_id), service_scope(self.name.split(".")[0]):
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self._max_attempts),
                    wait=wait_exponential(multiplier=self._backoff, max=10),
                    reraise=False,
                ):
                    with attempt:
                        outcome = await self._apply(event)
            except RetryError as exc:
                error = exc.last_attempt.exception()
                assert error is not None
                if isinstance(error, INFRASTRUCTURE_ERRORS):
                    raise error from exc
                logger.error(
                    "consumer %s: %s failed %d times, dead-lettering", self.name, event.type, self._max_attempts
                )
                await self._dead_letter(message, error, attempts=self._max_attempts)
                return "dead-lettered"
            self._faults.check(CONSUMER_AFTER_DB_COMMIT)
            if self._metrics is not None:
                self._metrics.events_consumed.labels(self.name, outcome).inc()
            logger.info("consumer %s: %s %s", self.name, outcome, event.type, extra={"event_id": str(event.id)})
            return outcome

    async def _apply(self, event: Event) -> str:
        async with self._db.transaction() as session:
            if not await self._record(session, event):
                return "duplicate"
            handler = self._handlers.get(event.type)
            if handler is None:
                return "ignored"
            await handler(session, event, self._now())
            return "applied"

    async def _record(self, session: AsyncSession, event: Event) -> bool:
        """Insert the inbox row; False when this consumer already processed the event."""
        values: dict[str, Any] = {
            "consumer": self.name,
            "event_id": event.id,
            "event_type": event.type,
            "processed_at": self._now(),
        }
        dialect = postgresql if self._db.dialect == "postgresql" else sqlite
        statement = dialect.insert(self._inbox).values(**values).on_conflict_do_nothing()
        result = await session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

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
            self._metrics.events_consumed.labels(self.name, "dead-lettered").inc()
        logger.warning(
            "consumer %s: parked %s[%d]@%d on %s: %s",
            self.name,
            message.topic,
            message.partition,
            message.offset,
            dlq_topic(message.topic),
            error,
        )
