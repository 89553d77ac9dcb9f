"""What a running service instance holds: settings, database, bus, metrics, clock.

Built by the API's lifespan or the worker's bootstrap (never at import). The embedded mode and
tests pass a shared in-process bus or fault points explicitly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table

from jiuzhu_platform.bus import Bus, InProcessBus, KafkaBus
from jiuzhu_platform.db import Database
from jiuzhu_platform.faults import NO_FAULTS, Faults
from jiuzhu_platform.metrics import Metrics
from jiuzhu_platform.settings import ServiceSettings
from jiuzhu_platform.tracing import configure_tracing, flush_tracing


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_bus(settings: ServiceSettings, *, client_id: str) -> Bus:
    if settings.bus == "inprocess":
        return InProcessBus()
    assert settings.kafka_bootstrap_servers is not None  # checked by the settings validator
    return KafkaBus(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        topic_prefix=settings.kafka_topic_prefix,
        security=settings.kafka_security(),
    )


@dataclass
class Runtime:
    name: str
    settings: ServiceSettings
    database: Database
    bus: Bus
    metrics: Metrics
    now: Callable[[], datetime] = utc_now
    faults: Faults = field(default_factory=lambda: NO_FAULTS)
    owns_bus: bool = True
    outbox: Table | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    """What a service builds once per runtime and shares between its API, consumers and jobs
    (verification's department connectors); `close_with` registers how to release one."""
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def close_with(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Run `closer` when the runtime closes (before the bus and the database)."""
        self.closers.append(closer)

    @classmethod
    def open(
        cls,
        name: str,
        settings: ServiceSettings,
        *,
        bus: Bus | None = None,
        metrics: Metrics | None = None,
        faults: Faults = NO_FAULTS,
        outbox: Table | None = None,
    ) -> Runtime:
        configure_tracing(name, settings.tracing, otlp_endpoint=settings.otlp_endpoint)
        return cls(
            name=name,
            settings=settings,
            database=Database.from_url(settings.database_url.get_secret_value()),
            bus=bus or build_bus(settings, client_id=name),
            metrics=metrics or Metrics(name),
            faults=faults,
            owns_bus=bus is None,
            outbox=outbox,
        )

    async def close(self) -> None:
        for closer in reversed(self.closers):
            await closer()
        self.closers.clear()
        if self.owns_bus:
            await self.bus.stop()
        await self.database.dispose()
        flush_tracing()
