"""The worker's liveness heartbeat (`jiuzhu_platform.heartbeat`): the file stays fresh while the
relay and the consumers turn, and goes stale when one of them hangs."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from jiuzhu_platform.heartbeat import Heartbeat, is_fresh, main
from jiuzhu_platform.testing import service_harness
from jiuzhu_platform.worker import run_components
from tests.access.support import DEFINITIONS


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_file_is_touched_while_every_loop_ticks(tmp_path: Path) -> None:
    clock = FakeClock()
    heartbeat = Heartbeat(tmp_path / "beat", max_silence_seconds=60, clock=clock)
    relay = heartbeat.ticker("outbox-relay")
    consumer = heartbeat.ticker("consumer-register")

    clock.now += 50
    relay()
    consumer()
    assert heartbeat.beat()
    assert (tmp_path / "beat").exists()
    assert (tmp_path / "beat").stat().st_mode & 0o777 == 0o600

    clock.now += 50
    relay()  # the consumer is stuck in an await and no longer turns
    clock.now += 20
    relay()
    assert heartbeat.silent() == ["consumer-register"]
    os.utime(tmp_path / "beat", (time.time() - 3600, time.time() - 3600))
    assert not heartbeat.beat()
    assert not is_fresh(tmp_path / "beat", 90)


def test_the_probe_exits_0_for_a_fresh_file_and_1_for_a_stale_or_missing_one(tmp_path: Path) -> None:
    beat = tmp_path / "beat"
    assert main([str(beat)]) == 1
    beat.touch()
    assert main([str(beat), "--max-age", "90"]) == 0
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert main([str(beat), "--max-age", "90"]) == 1
    assert main([str(beat), "--max-age", "180"]) == 0


async def test_a_running_worker_keeps_its_heartbeat_fresh(tmp_path: Path) -> None:
    (definition,) = [d for d in DEFINITIONS if d.name == "monitoring"]
    beat = tmp_path / "worker.heartbeat"
    async with service_harness(definition, tmp_path) as h:
        stop = asyncio.Event()
        heartbeat = Heartbeat(beat, max_silence_seconds=60)
        components = definition.worker_components(h.runtime)
        worker = asyncio.create_task(run_components(components, stop, heartbeat=heartbeat))
        try:

            async def first_beat() -> None:
                while not beat.exists():
                    assert not worker.done(), worker
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(first_beat(), 60)  # a generous bound: the first beat comes at once
            assert is_fresh(beat, 90)
            assert heartbeat.silent() == []
            assert components.consumers, "monitoring has consumers"
            assert heartbeat.loops() == sorted(
                ["outbox-relay", *(f"consumer-{consumer.name}" for consumer in components.consumers)]
            )
        finally:
            stop.set()
            await asyncio.wait_for(worker, 60)
