"""Tracing is off unless configured (the default, and embedded mode's): nothing is created, events
carry no `traceparent`, requests pass the middleware untouched. The trace across processes is
checked end to end in tests/e2e/test_tracing_flow.py (tracing is on in the e2e tier)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from jiuzhu_platform import tracing
from shared.events import HouseholdRegistered, parse_event
from shared.events.monitoring import HouseholdRegisteredData


def registered(traceparent: str | None = None) -> HouseholdRegistered:
    event = HouseholdRegistered.create(
        HouseholdRegisteredData(
            household_id=uuid4(), region_code="520102", reason="application", source_event_id=uuid4()
        ),
        subject="h-1",
        correlation_id="req-1",
        now=datetime.now(UTC),
    )
    return event.model_copy(update={"traceparent": traceparent}) if traceparent else event


@pytest.fixture(autouse=True)
def tracing_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracing, "_provider", None)


def test_off_by_default_nothing_is_stamped() -> None:
    assert not tracing.configure_tracing("eligibility", "off")
    assert tracing.current_traceparent() is None
    events = [registered()]
    assert tracing.stamp(events) is events
    with tracing.consuming("monitoring.register", events):
        pass


def test_an_event_carries_its_traceparent_through_json_and_older_events_still_parse() -> None:
    traceparent = f"00-{'a' * 32}-{'b' * 16}-01"
    event = registered(traceparent)
    assert parse_event(event.to_json_bytes()).traceparent == traceparent
    assert parse_event(registered().to_json_bytes()).traceparent is None


async def test_the_middleware_passes_requests_through_while_off() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(str(scope["path"]))

    middleware = tracing.TracingMiddleware(app)  # type: ignore[arg-type]
    await middleware({"type": "http", "path": "/v1/x"}, None, None)  # type: ignore[arg-type]
    assert seen == ["/v1/x"]
    assert middleware._traced is None, "no OpenTelemetry middleware was built"
