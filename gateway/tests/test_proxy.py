"""The gateway's proxy over real HTTP on 127.0.0.1.

An upstream "echo" service (FastAPI, defined here) runs under uvicorn on a port the OS picks; it
reports exactly what reached it (method, raw path, query, headers, body length and sha256) and
records every request it sees, so "the upstream never saw it" is checked, not assumed. The
gateway runs in-process (`httpx.ASGITransport`, inside its lifespan) or, where the transport must
not buffer (streaming, client aborts, real peer addresses), under uvicorn as well.

Every network wait is bounded by `WAIT` seconds, so a regression fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import Authenticator, Principal
from gateway.main import create_app
from gateway.settings import Settings
from gateway.testing import AnonymousAuthenticator, migrated_sqlite, settings_for_tests
from jiuzhu_platform.auth import PrincipalKind
from jiuzhu_platform.errors import Forbidden

T = TypeVar("T")

pytestmark = pytest.mark.timeout(120)  # a backstop: every wait below is bounded far tighter

WAIT = 15.0  # seconds: the bound on every network wait (generous: a busy machine is slow, a hang is not)
MAX_BODY = 1024 * 1024  # the gateway's default body limit in these tests
STREAM_CHUNK = 64 * 1024
STREAM_CHUNKS = 5
SLOW_SECONDS = 4.0  # the 504 test allows the gateway all but 0.5 s of it (room for a busy machine)
UPSTREAM_404 = {"message": "no such widget", "code": "W404"}
GZIP_PAYLOAD = b"compressed upstream payload " * 200
GATEWAY_HOST = "gateway.test"  # Host header the in-process client sends
CLIENT_IP = "203.0.113.7"  # peer address the in-process client appears to come from


async def bounded(awaitable: Awaitable[T], seconds: float = WAIT) -> T:
    """Await with a deadline: nothing in these tests may hang."""
    return await asyncio.wait_for(awaitable, seconds)


# ----------------------------------------------------------------------------- the upstream


@dataclass
class UpstreamState:
    """What the echo upstream saw; reset before every test."""

    hits: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every HTTP request
    completed: list[str] = field(default_factory=list)  # paths whose request body was read to the end
    release: asyncio.Event = field(default_factory=asyncio.Event)  # lets `/_stream` go past chunk 1
    stream_finished: bool = False
    endless_closed: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        self.hits.clear()
        self.completed.clear()
        self.release = asyncio.Event()
        self.stream_finished = False
        self.endless_closed = asyncio.Event()

    def paths(self) -> list[str]:
        return [path for _, path in self.hits]

    def proxied_hits(self) -> list[tuple[str, str]]:
        """Hits other than the gateway's own `/openapi.json` fetches."""
        return [(m, p) for m, p in self.hits if p != "/openapi.json"]


class HitRecorder:
    """Pure ASGI wrapper: records every HTTP request before the app sees it."""

    def __init__(self, app: ASGIApp, state: UpstreamState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.hits.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


class Item(BaseModel):
    item_id: int
    name: str


ECHO_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def build_upstream(state: UpstreamState) -> ASGIApp:
    app = FastAPI(title="echo upstream")

    @app.get("/v1/echo/_items/{item_id}", response_model=Item)
    async def get_item(item_id: int) -> Item:
        return Item(item_id=item_id, name="widget")

    @app.get("/v1/echo/_slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(SLOW_SECONDS)
        return {"slow": True}

    @app.get("/v1/echo/_stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield bytes([ord("A")]) * STREAM_CHUNK
            try:
                await asyncio.wait_for(state.release.wait(), 2 * WAIT)
            except TimeoutError:
                return  # the test never released us: end short, the test fails on its own
            for i in range(1, STREAM_CHUNKS):
                await asyncio.sleep(0.01)
                yield bytes([ord("A") + i]) * STREAM_CHUNK
            state.stream_finished = True

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    @app.get("/v1/echo/_endless")
    async def endless() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                for _ in range(2000):  # ~100 s at most, far longer than any test waits
                    yield b"x" * 1024
                    await asyncio.sleep(0.05)
            finally:
                state.endless_closed.set()

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    @app.get("/v1/echo/_cookies")
    async def cookies() -> Response:
        response = Response(b"cookies", media_type="text/plain")
        response.raw_headers += [
            (b"set-cookie", b"a=1; Path=/; HttpOnly"),
            (b"set-cookie", b"b=2; Path=/; Secure"),
            (b"connection", b"X-Custom"),
            (b"x-custom", b"secret"),
            (b"keep-alive", b"timeout=5, max=100"),
            (b"proxy-authenticate", b"Basic realm=upstream"),
            (b"x-custom-end", b"kept"),
            (b"x-request-id", b"made-by-upstream"),
        ]
        return response

    @app.get("/v1/echo/_missing")
    async def missing() -> JSONResponse:
        return JSONResponse(UPSTREAM_404, status_code=404, headers={"x-upstream": "yes"})

    @app.get("/v1/echo/_redirect")
    async def redirect() -> Response:
        return Response(status_code=307, headers={"location": "/v1/echo/elsewhere"})

    @app.get("/v1/echo/_gzip")
    async def gzipped() -> Response:
        return Response(
            gzip.compress(GZIP_PAYLOAD),
            media_type="text/plain",
            headers={"content-encoding": "gzip"},
        )

    @app.api_route("/v1/echo/{rest:path}", methods=ECHO_METHODS, include_in_schema=False)
    async def echo(rest: str, request: Request) -> JSONResponse:
        digest = hashlib.sha256()
        length = 0
        async for chunk in request.stream():
            digest.update(chunk)
            length += len(chunk)
        state.completed.append(request.scope["path"])
        body = {
            "method": request.method,
            "path": request.scope["path"],
            "raw_path": request.scope["raw_path"].decode("latin-1"),
            "query": request.scope["query_string"].decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.scope["headers"]],
            "body_length": length,
            "body_sha256": digest.hexdigest(),
        }
        return JSONResponse(body, headers={"x-echo-method": request.method})

    @app.get("/internal")
    async def internal() -> dict[str, str]:
        return {"secret": "internal endpoint, never public"}

    return HitRecorder(app, state)


def echo_headers(echo: dict[str, Any], name: str) -> list[str]:
    """Every value of header `name` the upstream received."""
    return [v for k, v in echo["headers"] if k.lower() == name.lower()]


# ----------------------------------------------------------------------------- servers


@asynccontextmanager
async def serve(app: ASGIApp, *, lifespan: str = "auto") -> AsyncIterator[str]:
    """Run `app` under uvicorn on 127.0.0.1 (OS-picked port); yield its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        log_config=None,
        access_log=False,
        proxy_headers=False,  # X-Forwarded-* are data under test, not for uvicorn to consume
        lifespan=lifespan,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> None:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)

    try:
        await bounded(started())
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await bounded(task, 3 * WAIT)


@pytest.fixture(scope="session")
async def upstream_server() -> AsyncIterator[tuple[str, UpstreamState]]:
    state = UpstreamState()
    async with serve(build_upstream(state)) as url:
        yield url, state


@pytest.fixture
def upstream(upstream_server: tuple[str, UpstreamState]) -> UpstreamState:
    _, state = upstream_server
    state.reset()
    return state


@pytest.fixture
def upstream_url(upstream_server: tuple[str, UpstreamState]) -> str:
    return upstream_server[0]


@pytest.fixture(scope="session")
def down_url() -> Iterator[str]:
    """A loopback port that is bound (so nobody else gets it) but not listening: connections
    to it are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# ----------------------------------------------------------------------------- the gateway

OpenGateway = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def gateway_settings(database_url: str, upstreams: dict[str, str], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "upstreams": upstreams,
        "max_body_bytes": MAX_BODY,
        # No test here waits out a connect (the `down` upstream refuses at once): room for a
        # busy machine, where 30 concurrent connects to a local upstream once took over 1 s.
        "connect_timeout_seconds": 5.0,
        "upstream_timeout_seconds": WAIT,
    }
    values.update(overrides)
    return settings_for_tests(database_url, **values)


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    """A migrated gateway database (the gateway is the token issuer; these tests exercise the
    proxy with the anonymous authenticator, authentication is tested in test_identity_*)."""
    return await migrated_sqlite(tmp_path)


@pytest.fixture
def open_gateway(upstream_url: str, down_url: str, database_url: str) -> OpenGateway:
    """`async with open_gateway(max_body_bytes=..., authenticator=...) as client:` — the gateway
    in-process (its lifespan entered), upstreams `echo` (live) and `down` (refusing) unless
    `upstreams=` says otherwise."""

    @asynccontextmanager
    async def open_(
        *,
        upstreams: dict[str, str] | None = None,
        authenticator: Authenticator | None = None,
        **overrides: Any,
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = gateway_settings(database_url, upstreams or {"echo": upstream_url, "down": down_url}, **overrides)
        app = create_app(settings, authenticator=authenticator or AnonymousAuthenticator())
        transport = httpx.ASGITransport(app=app, client=(CLIENT_IP, 40000))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url=f"http://{GATEWAY_HOST}") as client,
        ):
            yield client

    return open_


@pytest.fixture
async def gateway(open_gateway: OpenGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with open_gateway() as client:
        yield client


@pytest.fixture
async def served_gateway(upstream_url: str, down_url: str, database_url: str) -> AsyncIterator[str]:
    """The gateway under uvicorn (real sockets on both sides); yields its base URL."""
    app = create_app(
        gateway_settings(database_url, {"echo": upstream_url, "down": down_url}),
        authenticator=AnonymousAuthenticator(),
    )
    async with serve(app, lifespan="on") as url:
        yield url


@pytest.fixture
async def served_client(served_gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served_gateway, timeout=WAIT, trust_env=False) as client:
        yield client


# ----------------------------------------------------------------------------- helpers

ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}


def assert_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """The common error shape, its correlation id equal to the response's X-Request-ID."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == error
    assert body["correlation_id"]
    assert body["correlation_id"] == response.headers["x-request-id"]
    return body


async def echo_of(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    response = await bounded(client.request(method, url, **kwargs))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sent_target(response: httpx.Response) -> tuple[str, str]:
    """The raw path and query the test client actually put on the wire."""
    raw_path, _, query = response.request.url.raw_path.decode("ascii").partition("?")
    return raw_path, query


async def chunked(total: int, piece: int = 50 * 1024) -> AsyncIterator[bytes]:
    """A request body of `total` bytes with no Content-Length (httpx sends it chunked)."""
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        yield bytes([sent // piece % 251]) * size
        sent += size
        await asyncio.sleep(0)


def chunked_bytes(total: int, piece: int = 50 * 1024) -> bytes:
    return b"".join(bytes([i // piece % 251]) * min(piece, total - i) for i in range(0, total, piece))


# ----------------------------------------------------------------------------- path, query, method


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_method_and_path_are_forwarded(gateway: httpx.AsyncClient, upstream: UpstreamState, method: str) -> None:
    echo = await echo_of(gateway, method, "/v1/echo/applications/42/decision")
    assert echo["method"] == method
    assert echo["path"] == "/v1/echo/applications/42/decision"
    assert upstream.proxied_hits() == [(method, "/v1/echo/applications/42/decision")]


async def test_head_is_forwarded(gateway: httpx.AsyncClient, upstream: UpstreamState) -> None:
    response = await bounded(gateway.head("/v1/echo/thing"))
    assert response.status_code == 200
    assert response.headers["x-echo-method"] == "HEAD"
    assert response.content == b""
    assert upstream.proxied_hits() == [("HEAD", "/v1/echo/thing")]


@pytest.mark.parametrize(
    "target",
    [
        "/v1/echo/plain/path",
        "/v1/echo/",
        "/v1/echo/with%20space",
        "/v1/echo/%E4%B8%AD%E6%96%87",  # 中文
        "/v1/echo/question%3Fmark",
        "/v1/echo/hash%23tag",
        "/v1/echo/sub-delims;a=1,b+c!$&'()*",
        "/v1/echo/colon:at@tilde~",
        "/v1/echo/double//slash",
        "/v1/echo/x?a=1&a=2&a=3",
        "/v1/echo/x?b=%2B+%26&c=%E4%B8%AD&empty=&flag",
        "/v1/echo/x?eq=%3D%3D&pct=%25&hash=%23&slash=%2F",
        "/v1/echo/%E4%B8%AD?q=%E6%96%87&q=2",
    ],
)
async def test_path_and_query_are_forwarded_unchanged(
    gateway: httpx.AsyncClient, upstream: UpstreamState, target: str
) -> None:
    response = await bounded(gateway.get(target))
    assert response.status_code == 200, response.text
    echo = response.json()
    raw_path, query = sent_target(response)
    assert echo["raw_path"] == raw_path
    assert echo["query"] == query
    assert len(upstream.proxied_hits()) == 1


# Regression (path encoding), fixed in gateway/proxy.py upstream_url: gateway/src/gateway/proxy.py
# Proxy.forward builds the upstream URL from `request.url.path`, which  is the percent-DECODED
# scope['path']: %2F reaches the upstream as '/', %25 is decoded once too  often (%2541 -> %41 -> 'A';
# 100%25 -> an invalid bare '100%'). Forward scope['raw_path'] instead.


@pytest.mark.parametrize(
    "target",
    [
        "/v1/echo/files/a%2Fb",  # an id that contains a slash
        "/v1/echo/literally%2541",  # the text '%41', not 'A'
        "/v1/echo/100%25",  # '100%'
    ],
)
async def test_reserved_percent_escapes_in_the_path_are_forwarded_unchanged(
    gateway: httpx.AsyncClient, upstream: UpstreamState, target: str
) -> None:
    response = await bounded(gateway.get(target))
    assert response.status_code == 200, response.text
    raw_path, _ = sent_target(response)
    assert response.json()["raw_path"] == raw_path


# Regression (path traversal), fixed in gateway/proxy.py upstream_url: gateway/src/gateway/proxy.py
# Proxy.forward: '/v1/echo/%2E%2E/%2E%2E/internal' is routed to the  echo service (the route matches
# the decoded path), then httpx.URL(path=...) removes the dot  segments, so the upstream receives GET
# /internal: any non-public path of any upstream (its  /metrics, /readyz, admin routes) is reachable
# through the public gateway, and an authenticator  that checks the path sees a different one. Reject
# '.'/'..' segments of the decoded path with  400 (or forward raw_path and check the upstream URL
# still starts with /v1/<service>/).


@pytest.mark.parametrize(
    "target",
    ["/v1/echo/%2E%2E/%2E%2E/internal", "/v1/echo/%2e%2e/%2e%2e/internal", "/v1/echo/x/%2E%2E/%2E%2E/%2E%2E/internal"],
)
async def test_dot_segments_cannot_escape_the_service_prefix(
    gateway: httpx.AsyncClient, upstream: UpstreamState, target: str
) -> None:
    response = await bounded(gateway.get(target))
    assert "/internal" not in upstream.paths()
    assert all(path.startswith("/v1/echo/") for path in upstream.paths()), upstream.paths()
    assert "internal endpoint" not in response.text


async def test_dot_segments_cannot_escape_the_service_prefix_over_http(
    served_client: httpx.AsyncClient, upstream: UpstreamState
) -> None:
    """The same through the public entry as deployed (uvicorn decodes %2E%2E to '..')."""
    response = await bounded(served_client.get("/v1/echo/%2E%2E/%2E%2E/internal"))
    assert "/internal" not in upstream.paths()
    assert "internal endpoint" not in response.text


async def test_redirects_are_relayed_not_followed(gateway: httpx.AsyncClient, upstream: UpstreamState) -> None:
    response = await bounded(gateway.get("/v1/echo/_redirect"))
    assert response.status_code == 307
    assert response.headers["location"] == "/v1/echo/elsewhere"
    assert upstream.proxied_hits() == [("GET", "/v1/echo/_redirect")]


# ----------------------------------------------------------------------------- request bodies


async def test_a_900_kib_body_arrives_intact(gateway: httpx.AsyncClient, upstream: UpstreamState) -> None:
    body = os.urandom(900 * 1024)
    echo = await echo_of(gateway, "POST", "/v1/echo/upload", content=body)
    assert echo["body_length"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert echo_headers(echo, "content-length") == [str(len(body))]
    assert upstream.completed == ["/v1/echo/upload"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_body_of_exactly_the_limit_is_accepted(open_gateway: OpenGateway, method: str) -> None:
    body = b"z" * 1000
    async with open_gateway(max_body_bytes=1000) as client:
        echo = await echo_of(client, method, "/v1/echo/exact", content=body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()


async def test_a_chunked_body_arrives_intact(gateway: httpx.AsyncClient, upstream: UpstreamState) -> None:
    total = 700 * 1024 + 123
    response = await bounded(gateway.post("/v1/echo/stream-up", content=chunked(total)))
    assert response.status_code == 200, response.text
    assert "content-length" not in response.request.headers  # the client really sent it chunked
    echo = response.json()
    assert echo["body_length"] == total
    assert echo["body_sha256"] == hashlib.sha256(chunked_bytes(total)).hexdigest()
    assert echo_headers(echo, "content-length") == []


async def test_a_declared_length_over_the_limit_is_413_and_never_forwarded(
    gateway: httpx.AsyncClient, upstream: UpstreamState
) -> None:
    response = await bounded(gateway.post("/v1/echo/upload", content=b"x" * (MAX_BODY + 1)))
    body = assert_error(response, 413, "PayloadTooLarge")
    assert str(MAX_BODY) in body["detail"]
    assert body["message_zh"]
    assert upstream.hits == []


async def test_one_byte_over_a_small_limit_is_413(open_gateway: OpenGateway, upstream: UpstreamState) -> None:
    async with open_gateway(max_body_bytes=1000) as client:
        response = await bounded(client.put("/v1/echo/upload", content=b"x" * 1001))
    assert_error(response, 413, "PayloadTooLarge")
    assert upstream.hits == []


async def test_a_chunked_body_over_the_limit_is_413(gateway: httpx.AsyncClient, upstream: UpstreamState) -> None:
    response = await bounded(gateway.post("/v1/echo/stream-up", content=chunked(2 * MAX_BODY)))
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "PayloadTooLarge")
    # The request may have been started upstream (bodies stream), but never with a whole body.
    assert upstream.completed == []
    # The gateway still works afterwards (the cut-off upstream connection was not reused).
    echo = await echo_of(gateway, "POST", "/v1/echo/after", content=b"ok")
    assert echo["body_length"] == 2


# ----------------------------------------------------------------------------- headers


async def test_hop_by_hop_request_headers_are_stripped_end_to_end_ones_pass(
    gateway: httpx.AsyncClient, upstream: UpstreamState
) -> None:
    echo = await echo_of(
        gateway,
        "GET",
        "/v1/echo/headers",
        headers={
            "Connection": "X-Foo, Keep-Alive",
            "X-Foo": "1",
            "Keep-Alive": "5",
            "Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
            "Proxy-Connection": "keep-alive",
            "TE": "trailers",
            "Trailer": "X-Checksum",
            "Authorization": "Bearer end-to-end-token",
            "X-Custom-End": "kept",
            "Accept-Language": "zh-CN",
        },
    )
    received = {name.lower() for name, _ in echo["headers"]}
    for hop in ("x-foo", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer"):
        assert hop not in received, hop
    # The gateway's own HTTP client may open its hop with its own Connection header; the
    # client's must not leak through it.
    assert all("x-foo" not in value.lower() for value in echo_headers(echo, "connection"))
    assert echo_headers(echo, "authorization") == ["Bearer end-to-end-token"]
    assert echo_headers(echo, "x-custom-end") == ["kept"]
    assert echo_headers(echo, "accept-language") == ["zh-CN"]
    # The Host the upstream sees is its own, not the public one.
    assert echo_headers(echo, "host") == [upstream_host(echo)]


def upstream_host(echo: dict[str, Any]) -> str:
    (host,) = echo_headers(echo, "host")
    assert host.startswith("127.0.0.1:")
    return host


async def test_hop_by_hop_response_headers_are_stripped_and_both_cookies_reach_the_client(
    gateway: httpx.AsyncClient, upstream_url: str, upstream: UpstreamState
) -> None:
    # The upstream really sends them (so the assertions below are not vacuous) ...
    async with httpx.AsyncClient(base_url=upstream_url, timeout=WAIT, trust_env=False) as direct:
        raw = await bounded(direct.get("/v1/echo/_cookies"))
    assert raw.headers["x-custom"] == "secret"
    assert "keep-alive" in raw.headers
    assert "x-custom" in raw.headers["connection"].lower()
    # ... and the gateway does not relay them.
    response = await bounded(gateway.get("/v1/echo/_cookies"))
    assert response.status_code == 200
    assert response.content == b"cookies"
    for hop in ("x-custom", "keep-alive", "connection", "proxy-authenticate", "transfer-encoding"):
        assert hop not in response.headers, hop
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/; HttpOnly", "b=2; Path=/; Secure"]
    assert response.headers["x-custom-end"] == "kept"
    # The upstream's own request id is replaced by the gateway's (one header, the gateway's).
    assert len(response.headers.get_list("x-request-id")) == 1
    assert response.headers["x-request-id"] != "made-by-upstream"


async def test_a_proxied_response_has_one_date_and_one_server_header(served_client: httpx.AsyncClient) -> None:
    response = await bounded(served_client.get("/v1/echo/dates"))
    assert response.status_code == 200
    assert len(response.headers.get_list("date")) == 1
    assert len(response.headers.get_list("server")) <= 1


async def test_compressed_responses_are_relayed_as_sent(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.get("/v1/echo/_gzip", headers={"Accept-Encoding": "gzip"}))
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == GZIP_PAYLOAD  # decoded once, by the client: not double-decoded
    assert int(response.headers["content-length"]) == len(gzip.compress(GZIP_PAYLOAD))


async def test_a_callers_request_id_is_propagated(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.get("/v1/echo/rid", headers={"X-Request-ID": "req-abc-123"}))
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-abc-123"
    assert echo_headers(response.json(), "x-request-id") == ["req-abc-123"]


async def test_a_request_id_is_made_when_absent(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.get("/v1/echo/rid"))
    made = response.headers["x-request-id"]
    assert made.strip()
    assert echo_headers(response.json(), "x-request-id") == [made]
    again = await bounded(gateway.get("/v1/echo/rid"))
    assert again.headers["x-request-id"] != made


@pytest.mark.parametrize(
    "bad_id",
    [b"r" * 300, b"abc\x01def", b"tab\there", b"caf\xe9"],
    ids=["300-chars", "control-char", "tab", "non-ascii"],
)
async def test_an_absurd_request_id_is_replaced(gateway: httpx.AsyncClient, bad_id: bytes) -> None:
    response = await bounded(gateway.get("/v1/echo/rid", headers=[(b"X-Request-ID", bad_id)]))
    assert response.status_code == 200
    made = response.headers["x-request-id"]
    assert made.encode("latin-1") != bad_id
    assert made.isascii()
    assert made.isprintable()
    assert 0 < len(made) <= 128
    assert echo_headers(response.json(), "x-request-id") == [made]


async def test_forwarded_headers_are_set_and_spoofs_replaced(gateway: httpx.AsyncClient) -> None:
    echo = await echo_of(
        gateway,
        "GET",
        "/v1/echo/fwd",
        headers={
            "X-Forwarded-For": "198.51.100.1",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "gopher",
            "X-Forwarded-Prefix": "/admin",
        },
    )
    assert echo_headers(echo, "x-forwarded-for") == [f"198.51.100.1, {CLIENT_IP}"]
    assert echo_headers(echo, "x-forwarded-host") == [GATEWAY_HOST]
    assert echo_headers(echo, "x-forwarded-proto") == ["http"]
    assert echo_headers(echo, "x-forwarded-prefix") == []


async def test_a_forwarded_for_chain_split_over_several_lines_is_kept(gateway: httpx.AsyncClient) -> None:
    echo = await echo_of(
        gateway,
        "GET",
        "/v1/echo/fwd",
        headers=[("X-Forwarded-For", "198.51.100.1"), ("X-Forwarded-For", "198.51.100.2")],
    )
    assert echo_headers(echo, "x-forwarded-for") == [f"198.51.100.1, 198.51.100.2, {CLIENT_IP}"]


async def test_forwarded_for_is_the_client_when_there_is_no_chain(gateway: httpx.AsyncClient) -> None:
    echo = await echo_of(gateway, "GET", "/v1/echo/fwd")
    assert echo_headers(echo, "x-forwarded-for") == [CLIENT_IP]
    assert echo_headers(echo, "x-forwarded-host") == [GATEWAY_HOST]
    assert echo_headers(echo, "x-forwarded-proto") == ["http"]


async def test_forwarded_headers_over_real_sockets(served_gateway: str, served_client: httpx.AsyncClient) -> None:
    echo = await echo_of(served_client, "GET", "/v1/echo/fwd", headers={"X-Forwarded-For": "10.1.2.3"})
    assert echo_headers(echo, "x-forwarded-for") == ["10.1.2.3, 127.0.0.1"]
    assert echo_headers(echo, "x-forwarded-host") == [served_gateway.removeprefix("http://")]
    assert echo_headers(echo, "x-forwarded-proto") == ["http"]


# ----------------------------------------------------------------------------- streaming


async def test_response_chunks_are_relayed_as_they_come(
    served_client: httpx.AsyncClient, upstream: UpstreamState
) -> None:
    """The upstream sends chunk 1, then waits until the test has received it through the gateway:
    a gateway that buffered the response would never deliver it (and the wait would time out)."""
    received = b""
    async with served_client.stream("GET", "/v1/echo/_stream") as response:
        assert response.status_code == 200
        pieces = response.aiter_raw()

        async def first_chunk() -> None:
            nonlocal received
            while len(received) < STREAM_CHUNK:
                received += await anext(pieces)

        await bounded(first_chunk())
        assert not upstream.stream_finished  # chunk 1 arrived while the upstream was mid-stream
        assert received[:STREAM_CHUNK] == b"A" * STREAM_CHUNK
        upstream.release.set()

        async def the_rest() -> None:
            nonlocal received
            async for piece in pieces:
                received += piece

        await bounded(the_rest())
    assert upstream.stream_finished
    expected = b"".join(bytes([ord("A") + i]) * STREAM_CHUNK for i in range(STREAM_CHUNKS))
    assert received == expected


async def test_a_client_abort_mid_stream_closes_the_upstream_stream(
    served_client: httpx.AsyncClient, upstream: UpstreamState
) -> None:
    async with served_client.stream("GET", "/v1/echo/_endless") as response:
        assert response.status_code == 200
        await bounded(anext(response.aiter_raw()))
    # Leaving the block mid-body closes the client's connection; the gateway must close its
    # upstream response in turn (the endless generator is then cancelled).
    await bounded(upstream.endless_closed.wait())
    echo = await echo_of(served_client, "GET", "/v1/echo/after-abort")
    assert echo["path"] == "/v1/echo/after-abort"


async def test_concurrent_requests_keep_their_own_request_ids(served_client: httpx.AsyncClient) -> None:
    responses = await bounded(
        asyncio.gather(
            *(
                served_client.post(f"/v1/echo/c{i}", content=str(i).encode(), headers={"X-Request-ID": f"rid-{i}"})
                for i in range(30)
            )
        )
    )
    for i, response in enumerate(responses):
        assert response.status_code == 200
        echo = response.json()
        assert echo["path"] == f"/v1/echo/c{i}"
        assert response.headers["x-request-id"] == f"rid-{i}"
        assert echo_headers(echo, "x-request-id") == [f"rid-{i}"]
        assert echo["body_sha256"] == hashlib.sha256(str(i).encode()).hexdigest()


# ----------------------------------------------------------------------------- failures


async def test_an_upstream_that_is_down_is_502(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.post("/v1/down/anything", json={"a": 1}))
    body = assert_error(response, 502, "UpstreamUnavailable")
    assert "down" in body["detail"]
    assert body["message_zh"]


async def test_a_callers_request_id_is_the_correlation_id_of_an_error(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.get("/v1/down/anything", headers={"X-Request-ID": "trace-502"}))
    body = assert_error(response, 502, "UpstreamUnavailable")
    assert body["correlation_id"] == "trace-502"


async def test_a_slow_upstream_is_504(open_gateway: OpenGateway, upstream: UpstreamState) -> None:
    async with open_gateway(upstream_timeout_seconds=0.3) as client:
        started = time.perf_counter()
        response = await bounded(client.get("/v1/echo/_slow"))
        elapsed = time.perf_counter() - started
    body = assert_error(response, 504, "UpstreamTimeout")
    assert "echo" in body["detail"]
    assert body["message_zh"]
    assert elapsed < SLOW_SECONDS - 0.5  # the gateway gave up; it did not wait for the upstream
    assert upstream.proxied_hits() == [("GET", "/v1/echo/_slow")]


async def test_an_unknown_service_is_404(gateway: httpx.AsyncClient, upstream: UpstreamState) -> None:
    response = await bounded(gateway.get("/v1/nope/x"))
    body = assert_error(response, 404, "UnknownService")
    assert "nope" in body["detail"]
    assert body["message_zh"]
    assert upstream.hits == []


async def test_the_upstreams_own_404_passes_through_unchanged(gateway: httpx.AsyncClient, upstream_url: str) -> None:
    async with httpx.AsyncClient(base_url=upstream_url, timeout=WAIT, trust_env=False) as direct:
        raw = await bounded(direct.get("/v1/echo/_missing"))
    response = await bounded(gateway.get("/v1/echo/_missing"))
    assert response.status_code == 404
    assert response.content == raw.content
    assert response.json() == UPSTREAM_404
    assert response.headers["content-type"] == raw.headers["content-type"]
    assert response.headers["x-upstream"] == "yes"


# ----------------------------------------------------------------------------- gateway's own endpoints


async def test_healthz(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.get("/healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_metrics_observe_proxied_requests(gateway: httpx.AsyncClient) -> None:
    await bounded(gateway.get("/v1/echo/counted"))
    response = await bounded(gateway.get("/metrics"))
    assert response.status_code == 200
    assert "http_request_duration_seconds" in response.text
    assert 'route="/v1/{service}/{path:path}"' in response.text


async def test_openapi_merges_the_upstreams_and_reports_a_down_one(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.get("/openapi.json"))
    assert response.status_code == 200
    document = response.json()
    assert "/v1/echo/_items/{item_id}" in document["paths"]
    assert "get" in document["paths"]["/v1/echo/_items/{item_id}"]
    assert "Item" in document["components"]["schemas"]
    assert "/internal" not in document["paths"]  # only the service's public prefix is merged
    assert "down" in document["info"]["description"]
    assert "Not reachable" in document["info"]["description"]


async def test_docs_is_html(gateway: httpx.AsyncClient) -> None:
    response = await bounded(gateway.get("/docs"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
    assert "swagger" in response.text.lower()


async def test_the_dashboard_page_is_served_without_data_and_without_inline_script(gateway: httpx.AsyncClient) -> None:
    """The monitoring dashboard's shell: anyone may load it (it holds no figure: they come from
    the services with the reader's token), and its policy allows only the gateway's own script."""
    page = await bounded(gateway.get("/dashboard"))
    script = await bounded(gateway.get("/dashboard/app.js"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy
    assert '<script src="/dashboard/app.js"></script>' in page.text
    assert "<script>" not in page.text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "/v1/auth/login" in script.text
    assert "/v1/monitoring/statistics/charts" in script.text
    assert "/dashboard" not in (await bounded(gateway.get("/openapi.json"))).json()["paths"]


# ----------------------------------------------------------------------------- authentication seam


class ForbidService:
    """Refuses one service; records what it was asked."""

    def __init__(self, forbidden: str) -> None:
        self.forbidden = forbidden
        self.calls: list[tuple[str, str]] = []

    async def authenticate(self, request: Request, service: str) -> Principal:
        self.calls.append((service, request.url.path))
        if service == self.forbidden:
            raise Forbidden("no")
        return Principal(subject="tester", kind=PrincipalKind.STAFF)


async def test_an_authenticator_refusal_is_403_and_never_forwarded(
    open_gateway: OpenGateway, upstream_url: str, upstream: UpstreamState
) -> None:
    authenticator = ForbidService("private")
    async with open_gateway(
        upstreams={"echo": upstream_url, "private": upstream_url}, authenticator=authenticator
    ) as client:
        refused = await bounded(client.post("/v1/private/records", json={"x": 1}))
        allowed = await bounded(client.get("/v1/echo/open"))
        unknown = await bounded(client.get("/v1/nope/x"))
    body = assert_error(refused, 403, "Forbidden")
    assert body["detail"] == "no"
    assert allowed.status_code == 200
    assert_error(unknown, 404, "UnknownService")
    assert upstream.proxied_hits() == [("GET", "/v1/echo/open")]
    # Unknown services are refused before authentication is asked.
    assert authenticator.calls == [("private", "/v1/private/records"), ("echo", "/v1/echo/open")]


async def test_two_services_models_of_one_name_both_stay_in_the_merged_document() -> None:
    """eligibility's and monitoring's `HouseholdRead` differ: the second keeps its own under
    `monitoring.HouseholdRead` and its routes point there; an identical model is kept once."""
    from types import SimpleNamespace

    from gateway.main import merged_openapi

    def service(name: str, household: dict[str, Any]) -> dict[str, Any]:
        ref = {"$ref": "#/components/schemas/HouseholdRead"}
        error = {"$ref": "#/components/schemas/ErrorBody"}
        return {
            "paths": {
                f"/v1/{name}/households": {
                    "get": {"responses": {"200": {"content": {"application/json": {"schema": ref}}}, "404": error}}
                }
            },
            "components": {"schemas": {"HouseholdRead": household, "ErrorBody": {"type": "object"}}},
        }

    documents = {
        "eligibility": service("eligibility", {"type": "object", "properties": {"members": {"type": "array"}}}),
        "monitoring": service("monitoring", {"type": "object", "properties": {"reason": {"type": "string"}}}),
    }

    class Upstream:
        def __init__(self, name: str) -> None:
            self.name = name

        async def get_json(self, path: str, timeout: float) -> dict[str, Any]:
            return documents[self.name]

    proxy = SimpleNamespace(upstreams={name: Upstream(name) for name in documents})
    merged = await merged_openapi(proxy)  # type: ignore[arg-type]
    schemas = merged["components"]["schemas"]
    assert "members" in schemas["HouseholdRead"]["properties"]
    assert "reason" in schemas["monitoring.HouseholdRead"]["properties"]
    assert [key for key in schemas if key.endswith("ErrorBody")] == ["ErrorBody"]

    def body_ref(path: str) -> str:
        ok = merged["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        return str(ok["$ref"])

    assert body_ref("/v1/eligibility/households") == "#/components/schemas/HouseholdRead"
    assert body_ref("/v1/monitoring/households") == "#/components/schemas/monitoring.HouseholdRead"
