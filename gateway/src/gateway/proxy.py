"""Forwarding `/v1/<service>/...` to the service over HTTP.

- one `Upstream` per service, built in the lifespan, each with its own connection pool:
  `AiohttpUpstream` over the network (production, docker compose, the e2e tier), or
  `HttpxUpstream` over an httpx transport (the embedded mode reaches in-process services
  through ASGI transports; tests inject failing transports). The proxy code above them is one;
- bodies stream both ways (request chunks are forwarded as they arrive; a response is relayed
  as it arrives unless it is small and says its length, then it is read and sent in one piece),
  with a request-size limit enforced on `Content-Length` and while streaming; a body that had
  to be read first (a signed department push) is forwarded as read;
- hop-by-hop headers are stripped in both directions; `X-Request-ID` is propagated (or made)
  and `X-Forwarded-For/-Proto/-Host` are set; nothing is added (no client user agent, no
  accepted encodings, no cookies kept between callers), and response bodies pass through
  undecoded (a gzip body stays gzip, with its headers);
- connect errors become 502 `UpstreamUnavailable`, timeouts 504 `UpstreamTimeout`, both in
  the common error shape.

Why aiohttp over the network: per proxied request httpx/httpcore cost ~0.45 ms of the
gateway's CPU against ~0.15 ms for aiohttp, and httpcore's pool checks every pooled socket
for readability on every request (a third of the gateway's CPU at 16 concurrent callers).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

import aiohttp
import httpx
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse
from yarl import URL

from gateway.errors import InvalidPath, PayloadTooLarge, UnknownService, UpstreamTimeout, UpstreamUnavailable
from jiuzhu_platform.context import REQUEST_ID_HEADER, get_correlation_id
from jiuzhu_platform.tracing import TRACEPARENT, current_traceparent

logger = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
OWN_RESPONSE_HEADERS = frozenset({"x-request-id", "date", "server"})
"""Headers the gateway's own server sets on every response (passing the upstream's on too
would send them twice)."""
BUFFERED_RESPONSE_BYTES = 256 * 1024
"""A response that declares a length up to this is read whole and sent in one piece: no
streaming machinery (a task per response) for the common small JSON answer."""

Headers = list[tuple[str, str]]
Content = AsyncIterable[bytes] | bytes | None


def upstream_target(request: Request, service: str) -> str:
    """The upstream path and query exactly as the client sent them (`raw_path`: escapes such
    as `%2F` are not decoded, nor decoded twice), refusing dot segments that would leave
    `/v1/<service>/` once decoded or normalised."""
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    path = raw_path.decode("latin-1")
    if any(unquote(segment) in (".", "..") for segment in path.split("/")) or not path.startswith(f"/v1/{service}/"):
        raise InvalidPath()
    query: bytes = request.scope.get("query_string", b"")
    return path + ("?" + query.decode("latin-1") if query else "")


def strip_hop_by_hop(headers: Iterable[tuple[str, str]]) -> Headers:
    """Drop hop-by-hop headers, including any named in `Connection`."""
    items = list(headers)
    named = {
        token.strip().lower() for name, value in items if name.lower() == "connection" for token in value.split(",")
    }
    return [(k, v) for k, v in items if k.lower() not in HOP_BY_HOP and k.lower() not in named]


def forwarded_headers(request: Request) -> Headers:
    """The request's headers for the upstream: hop-by-hop, `Host`, `X-Request-ID` and the
    caller's `X-Forwarded-*` dropped; ours added (the caller's `X-Forwarded-For` chain kept)."""
    received = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
    previous = ", ".join(v for k, v in received if k.lower() == "x-forwarded-for")
    headers = [
        (k, v)
        for k, v in strip_hop_by_hop(received)
        if k.lower() not in ("host", "x-request-id") and not k.lower().startswith("x-forwarded-")
    ]
    client = request.client.host if request.client else "unknown"
    headers += [
        ("x-forwarded-for", f"{previous}, {client}" if previous else client),
        ("x-forwarded-proto", request.scope.get("scheme", "http")),
        ("x-forwarded-host", next((v for k, v in received if k.lower() == "host"), "")),
        (REQUEST_ID_HEADER.lower(), get_correlation_id() or ""),
    ]
    traceparent = current_traceparent()
    if traceparent is not None:  # tracing on: the service's span is a child of the gateway's
        headers = [(k, v) for k, v in headers if k.lower() not in ("traceparent", "tracestate")]
        headers.append((TRACEPARENT, traceparent))
    return headers


class LimitedBody:
    """The request body as it arrives, refusing more than `limit` bytes. Remembers that it
    refused, so the 413 survives whatever the HTTP client wraps the error in, and whatever an
    upstream that saw the body cut short answers (an in-process one says 400)."""

    def __init__(self, request: Request, limit: int) -> None:
        self.request = request
        self.limit = limit
        self.exceeded = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self.request.stream():
            received += len(chunk)
            if received > self.limit:
                self.exceeded = True
                raise PayloadTooLarge(self.limit)
            if chunk:
                yield chunk


@dataclass
class UpstreamResponse:
    status: int
    headers: Headers
    """As received, repeated names kept (Set-Cookie), hop-by-hop ones included."""
    body: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]
    """Release the connection: back to the pool when the body was read to the end, closed
    otherwise (a client that went away mid-stream)."""


class Upstream(Protocol):
    """One service as the gateway reaches it. `send` raises `UpstreamTimeout` or
    `UpstreamUnavailable` (and `PayloadTooLarge` when the streamed body passes its limit)."""

    async def send(self, method: str, target: str, headers: Headers, content: Content) -> UpstreamResponse: ...

    async def get_json(self, path: str, *, timeout: float) -> Any:
        """GET a JSON document (the service's OpenAPI); raises on any failure."""
        ...

    async def aclose(self) -> None: ...


class AiohttpUpstream:
    """A service over the network: one aiohttp session (connection pool) per service."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        max_connections: int = 200,
        keepalive_seconds: float = 15.0,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=max_connections, keepalive_timeout=keepalive_seconds, enable_cleanup_closed=True
            ),
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=connect_timeout_seconds,
                sock_connect=connect_timeout_seconds,
                sock_read=timeout_seconds,
            ),
            auto_decompress=False,  # relay the bytes the service sent, with their Content-Encoding
            cookie_jar=aiohttp.DummyCookieJar(),  # never carry one caller's cookies to another
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            trust_env=False,  # upstreams are internal: never via an environment proxy
            raise_for_status=False,
        )

    async def send(self, method: str, target: str, headers: Headers, content: Content) -> UpstreamResponse:
        url = URL(self.base_url + target, encoded=True)  # the raw path, not re-quoted
        try:
            response = await self._session.request(
                method, url, headers=headers, data=content, allow_redirects=False, compress=None
            )
        except PayloadTooLarge:
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            if isinstance(content, LimitedBody) and content.exceeded:
                raise PayloadTooLarge(content.limit) from exc
            raise _upstream_error(self.name, exc) from exc
        if isinstance(content, LimitedBody) and content.exceeded:
            response.close()
            raise PayloadTooLarge(content.limit)
        finished = False

        async def body() -> AsyncIterator[bytes]:
            nonlocal finished
            try:
                async for chunk in response.content.iter_any():
                    yield chunk
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise _upstream_error(self.name, exc) from exc
            finished = True

        async def close() -> None:
            if finished:
                response.release()
            else:
                response.close()

        headers_out = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
        return UpstreamResponse(response.status, headers_out, body(), close)

    async def get_json(self, path: str, *, timeout: float) -> Any:
        async with self._session.get(
            URL(self.base_url + path, encoded=True), timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            response.raise_for_status()
            return await response.json(content_type=None)

    async def aclose(self) -> None:
        await self._session.close()


class HttpxUpstream:
    """A service behind an httpx transport (the embedded mode's in-process ASGI apps). The
    transport is used directly: no client-side cookies, redirects or default headers."""

    def __init__(self, name: str, base_url: str, transport: httpx.AsyncBaseTransport) -> None:
        self.name = name
        self.base_url = httpx.URL(base_url.rstrip("/"))
        self.transport = transport

    async def send(self, method: str, target: str, headers: Headers, content: Content) -> UpstreamResponse:
        path, _, query = target.partition("?")
        url = self.base_url.copy_with(raw_path=(path + ("?" + query if query else "")).encode("latin-1"))
        request = httpx.Request(method, url, headers=headers, content=content)
        try:
            response = await self.transport.handle_async_request(request)
        except PayloadTooLarge:
            raise
        except httpx.TransportError as exc:
            if isinstance(content, LimitedBody) and content.exceeded:
                raise PayloadTooLarge(content.limit) from exc
            raise _upstream_error(self.name, exc) from exc
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        if isinstance(content, LimitedBody) and content.exceeded:
            # The upstream saw its body cut short and answered for that (FastAPI: 400 "error
            # parsing the body"); the caller's fault is the size.
            await stream.aclose()
            raise PayloadTooLarge(content.limit)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in stream:
                yield chunk

        return UpstreamResponse(response.status_code, list(response.headers.multi_items()), body(), stream.aclose)

    async def get_json(self, path: str, *, timeout: float) -> Any:
        request = httpx.Request("GET", self.base_url.join(path))
        response = await asyncio.wait_for(self.transport.handle_async_request(request), timeout)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        if response.status_code != 200:
            raise httpx.HTTPStatusError(f"{path}: {response.status_code}", request=request, response=response)
        return json.loads(body)

    async def aclose(self) -> None:
        return None  # the transport belongs to whoever made it


def _upstream_error(service: str, exc: BaseException) -> Exception:
    if isinstance(exc, asyncio.TimeoutError | httpx.TimeoutException):
        logger.warning("upstream %s timed out: %r", service, exc)
        return UpstreamTimeout(service)
    logger.warning("upstream %s unreachable: %r", service, exc)
    return UpstreamUnavailable(service)


class Proxy:
    def __init__(self, upstreams: Mapping[str, Upstream], *, max_body_bytes: int) -> None:
        self.upstreams = upstreams
        self.max_body_bytes = max_body_bytes

    @property
    def names(self) -> Sequence[str]:
        return sorted(self.upstreams)

    def upstream_for(self, service: str) -> Upstream:
        upstream = self.upstreams.get(service)
        if upstream is None:
            raise UnknownService(service)
        return upstream

    def check_declared_length(self, request: Request) -> None:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLarge(self.max_body_bytes)

    async def read_body(self, request: Request) -> bytes:
        """The whole request body, within the size limit (for requests that must be checked
        before forwarding, such as signed department pushes)."""
        self.check_declared_length(request)
        return b"".join([chunk async for chunk in LimitedBody(request, self.max_body_bytes)])

    async def forward(self, request: Request, service: str, *, body: bytes | None = None) -> Response:
        """Forward the request; its body streams through unless `body` was read already."""
        upstream = self.upstream_for(service)
        self.check_declared_length(request)
        declared = request.headers.get("content-length")
        has_body = declared not in (None, "0") or "transfer-encoding" in request.headers
        content: Content
        if body is not None:
            content = body
        elif has_body or request.method not in BODYLESS_METHODS:
            content = LimitedBody(request, self.max_body_bytes)
        else:
            content = None
        answer = await upstream.send(
            request.method, upstream_target(request, service), forwarded_headers(request), content
        )
        headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in strip_hop_by_hop(answer.headers)
            if k.lower() not in OWN_RESPONSE_HEADERS
        ]
        length = next((v for k, v in answer.headers if k.lower() == "content-length"), None)
        response: Response
        if length is not None and length.isdigit() and int(length) <= BUFFERED_RESPONSE_BYTES:
            try:
                data = b"".join([chunk async for chunk in answer.body])
            finally:
                await answer.close()
            response = Response(data, status_code=answer.status)
        else:
            response = StreamingResponse(
                answer.body, status_code=answer.status, background=BackgroundTask(answer.close)
            )
        response.raw_headers = headers
        return response
