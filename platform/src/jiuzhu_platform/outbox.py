"""The transactional outbox: write the event with the state change, relay it to the bus later.

Guarantees:
- `add_event` only inserts a row in the caller's session: the event exists if and only if the
  state change commits (no dual write).
- `OutboxRelay.run_once` takes unpublished rows in `seq` order, publishes them and waits for
  the broker's acknowledgement, then marks them published in the same transaction.
  - On PostgreSQL the relay first takes a transaction-level advisory lock for its table, and
    locks the rows `FOR UPDATE SKIP LOCKED`: of several relay replicas one works at a time, so
    rows are not published twice and order per key is kept; another replica takes over at
    once if the active one dies (the lock dies with its connection). SQLite (embedded mode)
    has a single process and serialises writers itself.
  - A crash after publishing but before the commit leaves the rows unpublished: they are sent
    again, so consumers see a duplicate (their inbox absorbs it), never a loss.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.bus import Bus, BusUnavailable, OutgoingMessage
from jiuzhu_platform.db import Database
from jiuzhu_platform.faults import NO_FAULTS, RELAY_AFTER_PUBLISH, Faults
from jiuzhu_platform.metrics import Metrics
from jiuzhu_platform.stopping import sleep_unless_stopped
from jiuzhu_platform.tracing import stamp
from shared.events import Event
from shared.topics import events_topic

logger = logging.getLogger(__name__)

CORRELATION_HEADER = "correlation_id"
LAG_INTERVAL_SECONDS = 1.0
TYPE_HEADER = "event_type"


async def add_event(session: AsyncSession, outbox: Table, event: Event, *, now: datetime) -> None:
    """Stage `event` for publication in the caller's transaction (no commit, no flush)."""
    await add_events(session, outbox, [event], now=now)


async def add_events(session: AsyncSession, outbox: Table, events: Sequence[Event], *, now: datetime) -> None:
    """Stage `events` for publication, in this order, in the caller's transaction (one
    statement for all of them)."""
    if not events:
        return
    events = stamp(events)
    rows = [
        {
            "event_id": event.id,
            "event_type": event.type,
            "topic": events_topic(event.source),
            "key": event.subject,
            "payload": event.to_json_bytes(),
            "correlation_id": event.correlation_id,
            "created_at": now,
        }
        for event in events
    ]
    await session.execute(insert(outbox), rows)


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        bus: Bus,
        outbox: Table,
        *,
        now: Callable[[], datetime],
        batch_size: int = 200,
        idle_seconds: float = 0.2,
        metrics: Metrics | None = None,
        faults: Faults = NO_FAULTS,
    ) -> None:
        self._db = database
        self._bus = bus
        self._outbox = outbox
        self._now = now
        self._batch_size = batch_size
        self._idle = idle_seconds
        self._metrics = metrics
        self._faults = faults
        self._lock_key = zlib.crc32(f"outbox:{outbox.name}".encode()) & 0x7FFFFFFF
        self.on_turn: Callable[[], None] = _no_turn_hook
        """Called on every turn of `run` (the worker's heartbeat, `jiuzhu_platform.heartbeat`)."""

    async def run_once(self) -> int:
        """Publish one batch; returns how many rows were published (0: nothing to do or busy)."""
        async with self._db.transaction() as session:
            if self._db.dialect == "postgresql":
                got = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock_key})
                if not got:
                    return 0  # another replica is relaying
            query = (
                select(self._outbox)
                .where(self._outbox.c.published_at.is_(None))
                .order_by(self._outbox.c.seq)
                .limit(self._batch_size)
            )
            if self._db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).mappings().all()
            if not rows:
                return 0
            messages = [_to_message(row) for row in rows]
            await self._bus.publish(messages)
            self._faults.check(RELAY_AFTER_PUBLISH)
            await session.execute(
                update(self._outbox)
                .where(self._outbox.c.seq.in_([row["seq"] for row in rows]))
                .values(published_at=self._now(), attempts=self._outbox.c.attempts + 1)
            )
        if self._metrics is not None:
            self._metrics.outbox_published.inc(len(rows))
        return len(rows)

    async def measure_lag(self) -> tuple[int, float]:
        return await measure_outbox_lag(self._db, self._outbox, now=self._now, metrics=self._metrics)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set. Broker or database outages are waited out with backoff.
        The lag gauges are refreshed at most once per `LAG_INTERVAL_SECONDS` (an extra query on
        every poll would double the relay's load on an idle database)."""
        backoff = self._idle
        lag_measured = -LAG_INTERVAL_SECONDS
        while not stop.is_set():
            self.on_turn()
            try:
                published = await self.run_once()
                if self._metrics is not None and time.monotonic() - lag_measured >= LAG_INTERVAL_SECONDS:
                    await self.measure_lag()
                    lag_measured = time.monotonic()
                backoff = self._idle
            except BusUnavailable as exc:
                logger.warning("outbox relay: bus unavailable, will retry", extra={"error": str(exc)})
                published = 0
                backoff = min(backoff * 2, 5.0)
            except Exception:
                logger.exception("outbox relay: unexpected error, will retry")
                published = 0
                backoff = min(backoff * 2, 5.0)
            if published == 0:
                await sleep_unless_stopped(stop, backoff)


async def measure_outbox_lag(
    database: Database, outbox: Table, *, now: Callable[[], datetime], metrics: Metrics | None = None
) -> tuple[int, float]:
    """(unpublished rows, age in seconds of the oldest one); updates the gauges if given."""
    async with database.transaction() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
            )
        ).one()
    age = 0.0
    if oldest is not None:
        age = max(0.0, (now() - oldest).total_seconds())
    if metrics is not None:
        metrics.outbox_pending.set(count)
        metrics.outbox_lag_seconds.set(age)
    return int(count), age


def _no_turn_hook() -> None:
    return None


def _to_message(row: Any) -> OutgoingMessage:
    headers: list[tuple[str, bytes]] = [(TYPE_HEADER, row["event_type"].encode())]
    if row["correlation_id"]:
        headers.append((CORRELATION_HEADER, row["correlation_id"].encode()))
    return OutgoingMessage(row["topic"], row["key"].encode(), bytes(row["payload"]), tuple(headers))
