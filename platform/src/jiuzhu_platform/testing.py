"""Test helpers for services: a migrated SQLite database, the app on the in-process bus, an
async HTTP client, and a way to drain the outbox into the bus. For unit and API tests; the
integration and e2e tiers use the real PostgreSQL and Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from jiuzhu_platform.bus import InProcessBus
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.runtime import Runtime


@dataclass
class ServiceHarness:
    definition: ServiceDefinition
    app: FastAPI
    client: httpx.AsyncClient
    bus: InProcessBus

    @property
    def runtime(self) -> Runtime:
        runtime = self.app.state.runtime
        assert isinstance(runtime, Runtime)
        return runtime

    async def relay(self) -> int:
        """Publish everything in the outbox to the in-process bus; returns how many."""
        components = self.definition.worker_components(self.runtime)
        total = 0
        while published := await components.relay.run_once():
            total += published
        return total


@asynccontextmanager
async def service_harness(
    definition: ServiceDefinition, directory: Path, *, bus: InProcessBus | None = None
) -> AsyncIterator[ServiceHarness]:
    """The service's app on a freshly migrated SQLite file in `directory`."""
    url = f"sqlite+aiosqlite:///{directory / f'{definition.name}.db'}"
    await definition.migrate(url)
    bus = bus or InProcessBus()
    settings = definition.settings_class(env="test", database_url=url, bus="inprocess")
    app = definition.create_app(settings, bus=bus)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{definition.name}.test") as client:
            yield ServiceHarness(definition, app, client, bus)
