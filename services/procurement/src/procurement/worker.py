"""The procurement worker: its outbox relay (it consumes no events yet)."""

from __future__ import annotations

import asyncio

from procurement.main import DEFINITION


def run() -> None:
    asyncio.run(DEFINITION.run_worker())
