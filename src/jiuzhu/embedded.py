"""The embedded mode: every service and the gateway in one process, SQLite files, and the
in-process bus. It runs the same code as the distributed mode: the gateway proxies over HTTP
semantics (ASGI transports instead of sockets), services write state and outbox rows in one
transaction, relays publish to the bus, consumers apply events through their inbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from eligibility.main import DEFINITION as ELIGIBILITY
from gateway.main import create_app as create_gateway_app
from gateway.settings import Settings as GatewaySettings
from jiuzhu.demo import load_demo_households
from jiuzhu_platform.bus import InProcessBus
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.settings import ServiceSettings
from jiuzhu_platform.worker import run_components
from monitoring.main import DEFINITION as MONITORING
from payment.main import DEFINITION as PAYMENT
from procurement.main import DEFINITION as PROCUREMENT
from verification.main import DEFINITION as VERIFICATION

logger = logging.getLogger(__name__)

DEFINITIONS: tuple[ServiceDefinition, ...] = (ELIGIBILITY, VERIFICATION, PAYMENT, MONITORING, PROCUREMENT)


def embedded_settings(definition: ServiceDefinition, data_dir: Path) -> ServiceSettings:
    return definition.settings_class(
        env="dev",
        database_url=f"sqlite+aiosqlite:///{data_dir / f'{definition.name}.db'}",
        bus="inprocess",
        relay_idle_seconds=0.05,
    )


def create_embedded_app(
    data_dir: Path, *, demo: bool = True, definitions: Sequence[ServiceDefinition] = DEFINITIONS
) -> FastAPI:
    """The gateway app, whose lifespan also migrates and starts every service and its worker."""
    bus = InProcessBus()
    first_run = not (data_dir / f"{ELIGIBILITY.name}.db").exists()
    settings = {d.name: embedded_settings(d, data_dir) for d in definitions}
    service_apps = {d.name: d.create_app(settings[d.name], bus=bus) for d in definitions}
    gateway = create_gateway_app(
        GatewaySettings(env="dev", upstreams={name: f"http://{name}.embedded" for name in service_apps}),
        transports={name: httpx.ASGITransport(app=app) for name, app in service_apps.items()},
    )
    gateway_lifespan = gateway.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for definition in definitions:
                await definition.migrate(settings[definition.name].database_url.get_secret_value())
            for service_app in service_apps.values():
                await stack.enter_async_context(service_app.router.lifespan_context(service_app))
            stop = asyncio.Event()
            workers = [
                asyncio.create_task(run_components(d.worker_components(_runtime(service_apps[d.name])), stop))
                for d in definitions
            ]
            try:
                async with gateway_lifespan(app):
                    if demo and first_run:
                        await load_demo_households(gateway)
                    yield
            finally:
                stop.set()
                await asyncio.gather(*workers, return_exceptions=True)

    gateway.router.lifespan_context = lifespan
    gateway.state.bus = bus
    gateway.state.service_apps = service_apps
    return gateway


def _runtime(app: FastAPI) -> Runtime:
    runtime = app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime
