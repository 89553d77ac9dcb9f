"""What the platform gives every service, tested once over the five service definitions (each
on its own migrated SQLite file and the in-process bus): request ids, the operational endpoints
(/healthz, /readyz, /metrics), the common error shape of unknown routes, wrong methods and
malformed bodies, and the request id becoming the correlation id of the events a request
stages. A new service gets these tests by being listed in `tests.access.support.DEFINITIONS`;
its own tests keep to its routes and rules.

`CHANGES` holds the one thing per service that changes state and stages an event: a POST for
four of them, an event through the register consumer for monitoring (which takes no writes
over HTTP), then a read of its register.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from jiuzhu_platform.bus import BusUnavailable
from jiuzhu_platform.testing import ServiceHarness, service_harness
from shared.events import parse_event
from shared.topics import events_topic
from tests.access.support import COUNTY, DEFINITIONS, RESIDENT_ID, feed_register

ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}


@dataclass(frozen=True)
class Change:
    """A request that changes the service's state and stages one event; for a service without
    writes over HTTP, `feed` first puts one event through its consumer, and the request reads."""

    method: str
    path: str
    status: int
    body: dict[str, Any] | None = None
    feed: bool = False

    async def make(self, h: ServiceHarness, **headers: str) -> httpx.Response:
        if self.feed:
            await feed_register(h, uuid4(), COUNTY)
        response = await h.client.request(self.method, self.path, json=self.body, headers=headers)
        assert response.status_code == self.status, response.text
        return response

    def latency_sample(self) -> str:
        return (
            f'http_request_duration_seconds_count{{method="{self.method}",route="{self.path}",'
            f'status="{self.status}"}} 1.0'
        )


CHANGES: dict[str, Change] = {
    "eligibility": Change(
        "POST",
        "/v1/eligibility/applications",
        201,
        {
            "assistance_type": "dibao",
            "region_code": COUNTY,
            "member_count": 3,
            "applicant": {"name": "张三", "resident_id": RESIDENT_ID},
        },
    ),
    "verification": Change(
        "POST",
        "/v1/verification/consents",
        201,
        {
            "household_id": str(uuid4()),
            "region_code": COUNTY,
            "subject_name": "李四",
            "subject_resident_id": RESIDENT_ID,
            "purpose": "低保申请核对",
            "signed_on": "2026-01-05",
        },
    ),
    "payment": Change("POST", "/v1/payment/payroll-runs", 201, {"period": "2026-01", "county_code": COUNTY}),
    "procurement": Change(
        "POST", "/v1/procurement/providers", 201, {"credit_code": "91512081MA62K0260E", "name": "阳光社工"}
    ),
    "monitoring": Change("GET", "/v1/monitoring/households", 200, feed=True),
}
HTTP_WRITERS = [name for name, change in CHANGES.items() if change.method == "POST"]


def test_every_service_has_a_change() -> None:
    assert set(CHANGES) == {d.name for d in DEFINITIONS}


@pytest.fixture(params=DEFINITIONS, ids=[d.name for d in DEFINITIONS])
async def h(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    async with service_harness(request.param, tmp_path) as harness:
        yield harness


@pytest.fixture(params=HTTP_WRITERS)
async def writer(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    """The services that take writes over HTTP."""
    (definition,) = [d for d in DEFINITIONS if d.name == request.param]
    async with service_harness(definition, tmp_path) as harness:
        yield harness


def assert_common_error(response: httpx.Response, status: int, error: str, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= ERROR_KEYS, body
    assert (body["error"], body["reason"]) == (error, reason)
    assert body["correlation_id"] == response.headers["X-Request-ID"]
    return dict(body)


class TestRequestIds:
    async def test_a_sent_request_id_is_echoed(self, h: ServiceHarness) -> None:
        health = await h.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        api = await CHANGES[h.definition.name].make(h, **{"X-Request-ID": "abc-124"})

        assert health.headers["X-Request-ID"] == "abc-123"
        assert api.headers["X-Request-ID"] == "abc-124"

    async def test_a_missing_request_id_is_generated_fresh_each_time(self, h: ServiceHarness) -> None:
        first = await h.client.get("/healthz")
        second = await h.client.get("/healthz")

        generated = first.headers["X-Request-ID"]
        assert len(generated) == 32
        int(generated, 16)
        assert second.headers["X-Request-ID"] != generated

    async def test_an_overlong_request_id_is_replaced(self, h: ServiceHarness) -> None:
        sent = "x" * 200

        response = await h.client.get("/healthz", headers={"X-Request-ID": sent})

        assert response.headers["X-Request-ID"] != sent
        assert len(response.headers["X-Request-ID"]) == 32

    async def test_a_generated_request_id_becomes_the_events_correlation_id(self, writer: ServiceHarness) -> None:
        response = await CHANGES[writer.definition.name].make(writer)
        await writer.relay()

        (message,) = writer.bus.messages(events_topic(writer.definition.name))
        assert parse_event(message.value).correlation_id == response.headers["X-Request-ID"]


class TestOperationalEndpoints:
    async def test_healthz_answers_ok(self, h: ServiceHarness) -> None:
        response = await h.client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_readyz_reports_database_and_bus_ok(self, h: ServiceHarness) -> None:
        response = await h.client.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok"}}

    async def test_readyz_stays_ready_while_the_bus_is_down(
        self, h: ServiceHarness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The outbox absorbs a broker outage: readiness follows the database only, and the bus
        state is reported and exported (`bus_up`)."""

        async def broker_gone() -> None:
            raise BusUnavailable("connection refused")

        monkeypatch.setattr(h.runtime.bus, "ping", broker_gone)
        response = await h.client.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "bus": "unavailable: BusUnavailable"}}
        assert "bus_up 0.0" in (await h.client.get("/metrics")).text

    async def test_readyz_is_unready_without_the_database(
        self, h: ServiceHarness, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def database_gone() -> None:
            raise OSError("connection refused")

        monkeypatch.setattr(h.runtime.database, "ping", database_gone)
        response = await h.client.get("/readyz")

        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "unavailable: OSError", "bus": "ok"}

    async def test_metrics_expose_latency_by_route_and_the_outbox_backlog(self, h: ServiceHarness) -> None:
        change = CHANGES[h.definition.name]
        await h.client.get("/readyz")
        before = (await h.client.get("/metrics")).text
        await change.make(h)
        pending = (await h.client.get("/metrics")).text
        await h.relay()
        drained = (await h.client.get("/metrics")).text

        assert 'http_request_duration_seconds_count{method="GET",route="/readyz",status="200"} 1.0' in before
        assert "outbox_pending_messages 0.0" in before
        assert change.latency_sample() in pending
        assert "outbox_pending_messages 1.0" in pending
        assert "outbox_pending_messages 0.0" in drained


class TestErrorShape:
    @pytest.mark.parametrize("path", ["/nope", "/v1/{service}/nope"])
    async def test_an_unknown_route_is_404_in_the_common_shape(self, h: ServiceHarness, path: str) -> None:
        response = await h.client.get(path.format(service=h.definition.name), headers={"X-Request-ID": "rid-404"})

        body = assert_common_error(response, 404, "NotFound", "not_found")
        assert body["correlation_id"] == "rid-404"
        metrics = (await h.client.get("/metrics")).text
        assert 'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1.0' in metrics

    async def test_a_wrong_method_is_405_in_the_common_shape(self, h: ServiceHarness) -> None:
        response = await h.client.delete(CHANGES[h.definition.name].path)

        assert_common_error(response, 405, "MethodNotAllowed", "method_not_allowed")

    async def test_a_malformed_json_body_is_a_422_in_the_common_shape(self, writer: ServiceHarness) -> None:
        path = CHANGES[writer.definition.name].path

        response = await writer.client.post(path, content=b"{", headers={"Content-Type": "application/json"})

        body = assert_common_error(response, 422, "RequestValidationError", "request_invalid")
        assert body["message_zh"] == "请求参数校验失败"
        assert [e["type"] for e in body["detail"]] == ["json_invalid"]
