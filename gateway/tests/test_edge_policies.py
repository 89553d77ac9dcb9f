"""Rate limits, security headers and CORS at the gateway."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

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
        issuer="https://jiuzhu.example.org",
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


# ----------------------------------------------------------------------------- body limits, slashes, /metrics

SMALL_LIMIT = 64 * 1024
ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}


def assert_common_error(response: httpx.Response, status: int, reason: str) -> dict[str, object]:
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, object] = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["reason"] == reason, body
    assert body["message_zh"], body
    assert body["correlation_id"] == response.headers["x-request-id"]
    return body


def in_process_upstream() -> FastAPI:
    """A service reached through an ASGI transport (the embedded mode): FastAPI parses the body."""
    upstream = FastAPI()

    @upstream.post("/v1/svc/things")
    async def create_thing(body: dict[str, object]) -> dict[str, int]:
        return {"keys": len(body)}

    @upstream.get("/v1/svc/things")
    async def list_things() -> list[str]:
        return []

    return upstream


async def oversized_chunks(total: int, piece: int = 16 * 1024) -> AsyncIterator[bytes]:
    """A JSON-looking body of `total` bytes with no Content-Length (httpx sends it chunked)."""
    yield b'{"k": "'
    sent = 0
    while sent < total:
        yield b"x" * piece
        sent += piece
    yield b'"}'


@asynccontextmanager
async def open_gateway(tmp_path: Path, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for_tests(
        await migrated_sqlite(tmp_path),
        upstreams={"svc": "http://svc.embedded"},
        max_body_bytes=SMALL_LIMIT,
        **overrides,
    )
    transports = {"svc": httpx.ASGITransport(app=in_process_upstream())}
    app = create_app(settings, transports=transports, authenticator=AnonymousAuthenticator())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as client:
            yield client


class TestBodiesSlashesAndMetrics:
    async def test_a_chunked_body_over_the_limit_is_413_from_an_in_process_upstream(self, tmp_path: Path) -> None:
        async with open_gateway(tmp_path) as gateway:
            response = await gateway.post(
                "/v1/svc/things",
                content=oversized_chunks(2 * SMALL_LIMIT),
                headers={"content-type": "application/json"},
            )
            small = await gateway.post("/v1/svc/things", json={"a": 1, "b": 2})
        assert "content-length" not in response.request.headers
        body = assert_common_error(response, 413, "payload_too_large")
        assert str(SMALL_LIMIT) in str(body["detail"])
        assert small.status_code == 200
        assert small.json() == {"keys": 2}

    async def test_a_wrong_trailing_slash_is_404_at_the_gateway_not_a_redirect(self, tmp_path: Path) -> None:
        async with open_gateway(tmp_path) as gateway:
            own = [await gateway.get(path) for path in ("/healthz/", "/readyz/", "/docs/", "/metrics/")]
            auth = await gateway.get("/v1/auth/audit/")
        for response in own:
            assert "location" not in response.headers
            assert_common_error(response, 404, "not_found")
        assert "location" not in auth.headers
        assert auth.status_code == 404

    async def test_metrics_are_open_in_test_without_a_token(self, tmp_path: Path) -> None:
        async with open_gateway(tmp_path) as gateway:
            assert (await gateway.get("/metrics")).status_code == 200

    async def test_metrics_need_the_token_when_one_is_set(self, tmp_path: Path) -> None:
        async with open_gateway(tmp_path, metrics_token="scrape-token-0123") as gateway:
            missing = await gateway.get("/metrics")
            wrong = await gateway.get("/metrics", headers={"Authorization": "Bearer nope"})
            right = await gateway.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123"})
            probes = [(await gateway.get(path)).status_code for path in ("/healthz", "/readyz")]
        assert_common_error(missing, 401, "token_missing")
        assert wrong.status_code == 401
        assert right.status_code == 200
        assert probes == [200, 200]

    async def test_metrics_are_hidden_in_prod_without_a_token(self, gateway: httpx.AsyncClient) -> None:
        assert_common_error(await gateway.get("/metrics"), 404, "not_found")
        assert (await gateway.get("/healthz")).status_code == 200
        assert (await gateway.get("/readyz")).status_code == 200


async def test_in_prod_the_docs_are_off_unless_the_operator_turns_them_on(tmp_path: Path) -> None:
    """Issue 16: `/docs` and the merged `/openapi.json` are public only where the operator says so."""
    url = await migrated_sqlite(tmp_path)
    for docs, expected in ((None, 404), (True, 200)):
        settings = settings_for_tests(url, env="prod", issuer="https://jiuzhu.example.org", docs=docs)
        app = create_app(settings, authenticator=AnonymousAuthenticator())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as client:
                page = await client.get("/docs")
                assert page.status_code == expected, (docs, page.text)
                if expected == 404:
                    assert page.json()["reason"]  # the common error shape, nothing about docs
                else:
                    assert "swagger-ui-bundle.js" in page.text
    assert settings_for_tests(url).docs_enabled, "on in test (and dev) by default"
