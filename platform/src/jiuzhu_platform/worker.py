"""Running a service's background work: its outbox relay and its event consumers, until a
stop signal. Used by `python -m <service> worker` (`ServiceDefinition.run_worker`, its own
process) and by the embedded mode."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field

from jiuzhu_platform.consumer import EventConsumer
from jiuzhu_platform.outbox import OutboxRelay

logger = logging.getLogger(__name__)


@dataclass
class WorkerComponents:
    relay: OutboxRelay
    consumers: Sequence[EventConsumer] = field(default_factory=tuple)


async def run_components(components: WorkerComponents, stop: asyncio.Event) -> None:
    tasks = [asyncio.create_task(components.relay.run(stop), name="outbox-relay")]
    tasks += [asyncio.create_task(c.run(stop), name=f"consumer-{c.name}") for c in components.consumers]
    logger.info("worker started: relay + %d consumer(s)", len(components.consumers))
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
