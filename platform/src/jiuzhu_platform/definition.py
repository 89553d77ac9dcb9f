"""A service described once (`ServiceDefinition`), and everything built from that description:
the API app, the worker (outbox relay + consumers) and the command line
(`python -m <service> api|worker|migrate`).

Each service's `main.py` holds its definition, so the five services are wired identically.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData, Table

from jiuzhu_platform.app import create_service_app
from jiuzhu_platform.bus import Bus
from jiuzhu_platform.consumer import EventConsumer, Handler
from jiuzhu_platform.faults import NO_FAULTS, Faults
from jiuzhu_platform.logging import configure_logging
from jiuzhu_platform.migrations import upgrade
from jiuzhu_platform.outbox import OutboxRelay
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.settings import ServiceSettings
from jiuzhu_platform.worker import WorkerComponents, run_components, stop_on_signals

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerDefinition:
    """One consumer group: the topics it reads and a handler per event type it applies."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    settings_class: type[ServiceSettings]
    metadata: MetaData
    outbox: Table
    inbox: Table
    routers: Callable[[], Sequence[APIRouter]]
    alembic_ini: Path
    consumers: Sequence[ConsumerDefinition] = field(default_factory=tuple)
    on_startup: Callable[[Runtime], Awaitable[None]] | None = None
    """Runs in the API's lifespan after the runtime opens (e.g. load reference data)."""

    def load_settings(self) -> ServiceSettings:
        return self.settings_class()  # pydantic-settings reads the prefixed environment

    def open_runtime(
        self, settings: ServiceSettings | None = None, *, bus: Bus | None = None, faults: Faults = NO_FAULTS
    ) -> Runtime:
        return Runtime.open(self.name, settings or self.load_settings(), bus=bus, faults=faults, outbox=self.outbox)

    def create_app(self, settings: ServiceSettings | None = None, *, bus: Bus | None = None) -> FastAPI:
        return create_service_app(
            self.name,
            title=self.title,
            open_runtime=lambda: self.open_runtime(settings, bus=bus),
            routers=self.routers(),
            on_startup=self.on_startup,
        )

    def worker_components(self, runtime: Runtime) -> WorkerComponents:
        settings = runtime.settings
        relay = OutboxRelay(
            runtime.database,
            runtime.bus,
            self.outbox,
            now=runtime.now,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
            metrics=runtime.metrics,
            faults=runtime.faults,
        )
        consumers = [
            EventConsumer(
                f"{self.name}.{c.name}",
                c.topics,
                dict(c.handlers),
                database=runtime.database,
                bus=runtime.bus,
                inbox=self.inbox,
                now=runtime.now,
                max_attempts=settings.consumer_max_attempts,
                backoff_seconds=settings.consumer_backoff_seconds,
                metrics=runtime.metrics,
                faults=runtime.faults,
            )
            for c in self.consumers
        ]
        return WorkerComponents(relay, consumers)

    async def migrate(self, database_url: str) -> None:
        await asyncio.to_thread(upgrade, self.alembic_ini, database_url)

    async def run_worker(self, settings: ServiceSettings | None = None) -> None:
        runtime = self.open_runtime(settings)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await runtime.bus.start()
        try:
            await run_components(self.worker_components(runtime), stop)
        finally:
            await runtime.close()

    def cli(self) -> typer.Typer:
        return build_cli(self)


def build_cli(definition: ServiceDefinition) -> typer.Typer:
    app = typer.Typer(help=f"Jiuzhu {definition.name} service", no_args_is_help=True, add_completion=False)

    def _settings() -> ServiceSettings:
        settings = definition.load_settings()
        configure_logging(definition.name, settings.log_level)
        return settings

    @app.command()
    def api(
        host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to bind")] = 8000,
    ) -> None:
        """Serve the HTTP API."""
        settings = _settings()
        uvicorn.run(definition.create_app(settings), host=host, port=port, log_config=None, access_log=False)

    @app.command()
    def worker() -> None:
        """Run the outbox relay and the event consumers."""
        asyncio.run(definition.run_worker(_settings()))

    @app.command()
    def migrate() -> None:
        """Upgrade the database to the latest migration."""
        settings = _settings()
        asyncio.run(definition.migrate(settings.database_url.get_secret_value()))
        logger.info("migrated %s to head", definition.name)

    return app
