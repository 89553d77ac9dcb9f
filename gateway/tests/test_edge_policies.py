"""Rate limits, security headers and CORS at the gateway."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.limits import RateLimited, TokenBucketLimiter
from gateway.main import create_app
from gateway.testing import AnonymousAuthenticator, migrated_sqlite, settings_for_tests


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestTokenBucket:
    def test_a_burst_then_refusal_then_refill(self) -> None:
        clock = FakeClock()
        limiter = TokenBucketLimiter(rate=2, burst=3, clock=clock)
        for _ in range(3):
            limiter.check("ip")
        with pytest.raises(RateLimited) as refused:
            limiter.check("ip")
        assert refused.value.headers == {"Retry-After": "1"}
        limiter.check("other-ip")  # buckets are per key
        clock.now += 0.5  # one token back at 2/s
        limiter.check("ip")
        with pytest.raises(RateLimited):
            limiter.check("ip")

    def test_retry_after_is_whole_seconds_until_a_token(self) -> None:
        clock = FakeClock()
        limiter = TokenBucketLimiter(rate=0.1, burst=1, clock=clock)
        limiter.check("ip")
        with pytest.raises(RateLimited) as refused:
            limiter.check("ip")
        assert refused.value.headers == {"Retry-After": "10"}

    def test_memory_is_bounded(self) -> None:
        limiter = TokenBucketLimiter(rate=1, burst=1, max_keys=10, clock=FakeClock())
        for n in range(100):
            limiter.check(f"ip-{n}")
        assert len(limiter._buckets) == 10


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for_tests(
        await migrated_sqlite(tmp_path),
        env="prod",
        upstreams={"echo": f"http://127.0.0.1:{closed_port()}"},
        rate_limit_per_second=0.01,
        rate_limit_burst=2,
        cors_origins=["https://console.example"],
    )
    app = create_app(settings, authenticator=AnonymousAuthenticator())  # limits and headers only
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as client:
            yield client


class TestGatewayEdge:
    async def test_a_caller_over_the_limit_gets_429_with_retry_after(self, gateway: httpx.AsyncClient) -> None:
        statuses = [(await gateway.get("/v1/echo/x")).status_code for _ in range(3)]
        assert statuses == [502, 502, 429]  # the upstream is down; the third is refused before it
        refused = await gateway.get("/v1/echo/x")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        body = refused.json()
        assert body["error"] == "RateLimited"
        assert body["correlation_id"] == refused.headers["x-request-id"]
        assert (await gateway.get("/healthz")).status_code == 200  # health is never limited

    async def test_security_headers_on_every_response(self, gateway: httpx.AsyncClient) -> None:
        for response in (await gateway.get("/healthz"), await gateway.get("/v1/nope/x")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["strict-transport-security"].startswith("max-age=")

    async def test_cors_allows_only_the_console_origin(self, gateway: httpx.AsyncClient) -> None:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        allowed = await gateway.options("/v1/echo/x", headers={"Origin": "https://console.example", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://console.example"
        refused = await gateway.options("/v1/echo/x", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in refused.headers
