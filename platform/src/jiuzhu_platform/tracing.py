"""Distributed tracing with OpenTelemetry: one trace from the gateway's request through the
service, its outbox, Kafka and every consumer that applies the events (and the events those
consumers emit in turn).

- HTTP: the gateway and every service serve through `TracingMiddleware` (OpenTelemetry's ASGI
  middleware: server spans, W3C `traceparent` read from the request); the gateway's proxy sends
  its span's `traceparent` on to the service (`gateway.proxy.forwarded_headers`).
- Events: `outbox.add_events` stamps each event's envelope with the current span's
  `traceparent` (the envelope field `Event.traceparent`, so it survives the outbox, Kafka and a
  DLQ replay unchanged), and the consumer applies each event inside a span whose parent is that
  context (`consuming`). A batch handler gets one span whose parent is the first event's
  context and which links the others.
- Export: `<SVC>_TRACING=otlp` sends spans with OTLP/HTTP to `<SVC>_OTLP_ENDPOINT` (an OpenTelemetry
  Collector, Jaeger, Tempo…); `console` prints them (debugging); `off` (the default, and embedded
  mode's) instruments nothing: no span is created and events carry no `traceparent`.

The tracer provider is process-wide: the first service to configure it in a process names the
resource (`service.name`); embedded mode, one process for all, is `jiuzhu`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from shared.events import Event

logger = logging.getLogger(__name__)

TracingMode = Literal["off", "otlp", "console"]
TRACEPARENT = "traceparent"
TRACER_NAME = "jiuzhu"

_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def configure_tracing(
    service_name: str,
    mode: TracingMode,
    *,
    otlp_endpoint: str | None = None,
    exporter: SpanExporter | None = None,
) -> bool:
    """Set up the process's tracer provider (once: a later call with another mode keeps the first
    one; one with an `exporter` adds it, so a test can collect spans). Returns whether tracing is
    on in this process."""
    global _provider
    if mode == "off" and exporter is None:
        return _provider is not None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    if _provider is None:
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        if mode == "console":
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        elif mode == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            endpoint = (otlp_endpoint or "http://localhost:4318").rstrip("/")
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        # The global one too, so that the W3C propagation of the instrumentations sees it.
        trace.set_tracer_provider(provider)
        _provider = provider
        logger.info("tracing on (%s) for %s", mode, service_name)
    if exporter is not None:
        _provider.add_span_processor(SimpleSpanProcessor(exporter))
    return True


def tracing_enabled() -> bool:
    return _provider is not None


def flush_tracing(timeout_millis: int = 5_000) -> None:
    """Export what is buffered (at shutdown; a batch processor would lose its last spans)."""
    if _provider is not None:
        _provider.force_flush(timeout_millis)


class TracingMiddleware:
    """Server spans (OpenTelemetry's ASGI middleware, W3C `traceparent` read from the request) once
    tracing is on; while it is off, requests go straight through (nothing is created)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._traced: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _provider is None or scope["type"] != "http" or scope["path"] in UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        if self._traced is None:
            from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

            self._traced = OpenTelemetryMiddleware(self.app, tracer_provider=_provider)
        await self._traced(scope, receive, send)


UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, or None (no span, or tracing off)."""
    if _provider is None:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def stamp(events: Sequence[Event]) -> Sequence[Event]:
    """The events with the current `traceparent` in their envelopes (those without one)."""
    traceparent = current_traceparent()
    if traceparent is None:
        return events
    return [event if event.traceparent else event.model_copy(update={"traceparent": traceparent}) for event in events]


@contextmanager
def consuming(consumer: str, events: Sequence[Event]) -> Iterator[None]:
    """A consumer span around applying `events` (one event, or a batch handler's run): child of
    the first event's trace, linked to the others'."""
    if _provider is None or not events:
        yield
        return
    contexts = [_propagator.extract({TRACEPARENT: e.traceparent}) if e.traceparent else None for e in events]
    links = [
        Link(trace.get_current_span(context).get_span_context()) for context in contexts[1:] if context is not None
    ]
    tracer = trace.get_tracer(TRACER_NAME, tracer_provider=_provider)
    first = events[0]
    name = f"{consumer} {first.type}" if len(events) == 1 else f"{consumer} {first.type} ×{len(events)}"
    with tracer.start_as_current_span(
        name,
        context=contexts[0],
        kind=SpanKind.CONSUMER,
        links=links,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.consumer.group.name": consumer,
            "messaging.message.id": str(first.id),
            "messaging.batch.message_count": len(events),
            "jiuzhu.event.type": first.type,
        },
    ):
        yield
