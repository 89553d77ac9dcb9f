"""Running a service's background work: its outbox relay, its event consumers and its periodic
jobs, until a stop signal. Used by `python -m <service> worker` (`ServiceDefinition.run_worker`, its own
process) and by the embedded mode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from jiuzhu_platform.consumer import EventConsumer
from jiuzhu_platform.heartbeat import Heartbeat
from jiuzhu_platform.outbox import OutboxRelay

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    """Work the worker does every `interval_seconds` (first run at start): `run()` returns how
    many things it changed. A failed run is logged and retried at the next interval. Jobs must
    be idempotent and safe with several worker replicas (optimistic concurrency, not locks)."""

    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[int]]

    async def loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                changed = await self.run()
            except Exception:
                logger.exception("job %s failed; next run in %ss", self.name, self.interval_seconds)
            else:
                if changed:
                    logger.info("job %s changed %d record(s)", self.name, changed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_seconds)


@dataclass
class WorkerComponents:
    relay: OutboxRelay
    consumers: Sequence[EventConsumer] = field(default_factory=tuple)
    jobs: Sequence[ScheduledJob] = field(default_factory=tuple)


async def run_components(
    components: WorkerComponents, stop: asyncio.Event, *, heartbeat: Heartbeat | None = None
) -> None:
    """Run everything until `stop`. With a `heartbeat`, the relay and every consumer tick it on
    each turn and its file is kept fresh while they all do (the worker's liveness probe); the
    scheduled jobs do not tick (a long payroll run is not a hang)."""
    tasks = [asyncio.create_task(components.relay.run(stop), name="outbox-relay")]
    if heartbeat is not None:
        components.relay.on_turn = heartbeat.ticker("outbox-relay")
        for consumer in components.consumers:
            consumer.on_turn = heartbeat.ticker(f"consumer-{consumer.name}")
        tasks.append(asyncio.create_task(heartbeat.run(stop), name="heartbeat"))
    tasks += [asyncio.create_task(c.run(stop), name=f"consumer-{c.name}") for c in components.consumers]
    tasks += [asyncio.create_task(j.loop(stop), name=f"job-{j.name}") for j in components.jobs]
    logger.info("worker started: relay + %d consumer(s) + %d job(s)", len(components.consumers), len(components.jobs))
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("worker stopped")


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
