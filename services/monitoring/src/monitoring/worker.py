"""The monitoring worker: its outbox relay (and its consumers)."""

from __future__ import annotations

import asyncio

from monitoring.main import DEFINITION


def run() -> None:
    asyncio.run(DEFINITION.run_worker())
