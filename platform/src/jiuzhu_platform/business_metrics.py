"""Business metrics next to the technical ones: figures a manager or an on-call engineer watches
(applications by stage, overdue work, payroll totals, open alerts), exported as Prometheus gauges
on `/metrics` and computed from the service's own database when scraped.

A service declares them on its definition (`ServiceDefinition.business_metrics`); the queries run
in one read-only session at most every `refresh_seconds` (a scrape in between gets the last
values), so a fast scrape interval cannot load the database. Every refresh replaces all label
sets of a gauge: a stage that emptied disappears instead of keeping its last count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import Database

logger = logging.getLogger(__name__)

Sample = tuple[tuple[str, ...], float]
"""Label values (in the metric's label order) and the value."""


@dataclass(frozen=True)
class BusinessMetric:
    name: str
    documentation: str
    labels: tuple[str, ...]
    query: Callable[[AsyncSession, datetime], Awaitable[Iterable[Sample]]]
    """The samples now (`now`: the runtime's clock), read in the given session."""


@dataclass
class BusinessMetrics:
    """The gauges of a service's business metrics and when they were last computed."""

    definitions: Sequence[BusinessMetric]
    registry: CollectorRegistry
    refresh_seconds: float = 30.0
    _gauges: dict[str, Gauge] = field(default_factory=dict)
    _refreshed_at: float | None = None

    def __post_init__(self) -> None:
        for metric in self.definitions:
            self._gauges[metric.name] = Gauge(
                metric.name, metric.documentation, list(metric.labels), registry=self.registry
            )

    async def refresh(self, database: Database, now: datetime, *, clock: Callable[[], float] = time.monotonic) -> bool:
        """Recompute unless done less than `refresh_seconds` ago; returns whether it did. A failing
        query is logged and leaves that gauge as it was (a scrape never fails for it)."""
        if not self.definitions:
            return False
        moment = clock()
        if self._refreshed_at is not None and moment - self._refreshed_at < self.refresh_seconds:
            return False
        self._refreshed_at = moment
        async with database.read() as session:
            for metric in self.definitions:
                try:
                    samples = list(await metric.query(session, now))
                except Exception:
                    logger.exception("business metric %s failed", metric.name)
                    continue
                gauge = self._gauges[metric.name]
                gauge.clear()
                for labels, value in samples:
                    if metric.labels:
                        gauge.labels(*labels).set(value)
                    else:
                        gauge.set(value)
        return True
