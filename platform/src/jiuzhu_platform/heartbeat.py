"""The worker's liveness: its loops (the outbox relay, every consumer) tick on each turn, and a
heartbeat task touches a file while all of them have ticked recently. The kubelet's exec probe
(`python -m jiuzhu_platform.heartbeat FILE --max-age SECONDS`) restarts a worker whose file went
stale: a loop that hangs (a wedged await, a deadlock) stops the heartbeat even though the process
is alive. Waiting out a broker or database outage is not a hang: those loops keep ticking while
they back off, so an outage does not turn into a restart storm.

Only standard-library imports here: the probe runs this module in a fresh interpreter every time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path


class Heartbeat:
    """Ticks of named loops, and the file that says they are all alive."""

    def __init__(self, path: Path, *, max_silence_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.path = path
        self.max_silence_seconds = max_silence_seconds
        self._clock = clock
        self._ticks: dict[str, float] = {}

    def ticker(self, loop: str) -> Callable[[], None]:
        """A function the loop `loop` calls on each turn (registered as alive now)."""
        self._ticks[loop] = self._clock()

        def tick() -> None:
            self._ticks[loop] = self._clock()

        return tick

    def loops(self) -> list[str]:
        """The loops that tick this heartbeat."""
        return sorted(self._ticks)

    def silent(self) -> list[str]:
        """The loops that have not ticked within `max_silence_seconds`."""
        now = self._clock()
        return sorted(name for name, at in self._ticks.items() if now - at > self.max_silence_seconds)

    def beat(self) -> bool:
        """Touch the file if every loop is alive; returns whether it did."""
        if self.silent():
            return False
        self.path.touch(mode=0o600, exist_ok=True)
        os.utime(self.path)
        return True

    async def run(self, stop: asyncio.Event, *, interval_seconds: float = 5.0) -> None:
        while not stop.is_set():
            self.beat()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)


def is_fresh(path: Path, max_age_seconds: float, *, now: float | None = None) -> bool:
    """Whether `path` exists and was touched within `max_age_seconds` (wall clock: the probe is
    another process)."""
    try:
        modified = path.stat().st_mtime
    except OSError:
        return False
    return (time.time() if now is None else now) - modified <= max_age_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Exit 0 if the worker's heartbeat file is fresh, 1 otherwise.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--max-age", type=float, default=90.0, help="seconds (default 90)")
    args = parser.parse_args(argv)
    if is_fresh(args.path, args.max_age):
        return 0
    print(f"heartbeat {args.path} missing or older than {args.max_age:g}s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
