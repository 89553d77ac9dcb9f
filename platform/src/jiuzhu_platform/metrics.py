"""Prometheus metrics, one registry per service instance (no global state, so the embedded
mode can host every service in one process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


@dataclass
class Metrics:
    service: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        labels = {"service": self.service}
        self.request_latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.outbox_pending = Gauge("outbox_pending_messages", "Outbox rows not yet published", registry=self.registry)
        self.outbox_lag_seconds = Gauge(
            "outbox_lag_seconds", "Age of the oldest unpublished outbox row", registry=self.registry
        )
        self.outbox_published = Counter("outbox_published", "Outbox rows published", registry=self.registry)
        self.events_consumed = Counter(
            "events_consumed", "Events consumed by outcome", ["consumer", "outcome"], registry=self.registry
        )
        self.bus_up = Gauge(
            "bus_up", "1 when the message bus answered the last readiness check, else 0", registry=self.registry
        )
        self.info = Gauge("service_info", "Constant 1, labelled with the service", ["service"], registry=self.registry)
        self.info.labels(**labels).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
