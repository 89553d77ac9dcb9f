"""Forwarding `/v1/<service>/...` to the service over HTTP.

- one shared `httpx.AsyncClient` per upstream (connection pooling), built in the lifespan;
- bodies stream both ways (request chunks are forwarded as they arrive, the response is relayed
  with `aiter_raw`), with a request-size limit enforced on `Content-Length` and while streaming;
  a body that had to be read first (a signed department push) is forwarded as read;
- hop-by-hop headers are stripped in both directions; `X-Request-ID` is propagated (or made)
  and `X-Forwarded-For/-Proto/-Host` are set;
- connect errors become 502 `UpstreamUnavailable`, timeouts 504 `UpstreamTimeout`, both in
  the common error shape.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from urllib.parse import unquote

import httpx
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from gateway.errors import InvalidPath, PayloadTooLarge, UnknownService, UpstreamTimeout, UpstreamUnavailable
from jiuzhu_platform.context import REQUEST_ID_HEADER, get_correlation_id

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


def upstream_url(request: Request, service: str) -> httpx.URL:
    """The upstream path exactly as the client sent it (`raw_path`: escapes such as `%2F` are
    not decoded, nor decoded twice), refusing dot segments that would leave `/v1/<service>/`
    once decoded or normalised."""
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    path = raw_path.decode("latin-1")
    if any(unquote(segment) in (".", "..") for segment in path.split("/")) or not path.startswith(f"/v1/{service}/"):
        raise InvalidPath()
    query: bytes = request.scope.get("query_string", b"")
    return httpx.URL(raw_path=raw_path + (b"?" + query if query else b""))


def strip_hop_by_hop(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop hop-by-hop headers, including any named in `Connection`."""
    items = list(headers)
    named = {
        token.strip().lower() for name, value in items if name.lower() == "connection" for token in value.split(",")
    }
    return [(k, v) for k, v in items if k.lower() not in HOP_BY_HOP and k.lower() not in named]


def forwarded_headers(request: Request) -> list[tuple[str, str]]:
    headers = [
        (k, v) for k, v in strip_hop_by_hop(request.headers.items()) if k.lower() not in ("host", "x-request-id")
    ]
    client = request.client.host if request.client else "unknown"
    previous = ", ".join(request.headers.getlist("x-forwarded-for"))
    headers = [(k, v) for k, v in headers if not k.lower().startswith("x-forwarded-")]
    headers += [
        ("x-forwarded-for", f"{previous}, {client}" if previous else client),
        ("x-forwarded-proto", request.url.scheme),
        ("x-forwarded-host", request.headers.get("host", "")),
        (REQUEST_ID_HEADER.lower(), get_correlation_id() or ""),
    ]
    return headers


async def limited_stream(request: Request, limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(limit)
        if chunk:
            yield chunk


class Proxy:
    def __init__(self, clients: Mapping[str, httpx.AsyncClient], *, max_body_bytes: int) -> None:
        self.clients = clients
        self.max_body_bytes = max_body_bytes

    def client_for(self, service: str) -> httpx.AsyncClient:
        client = self.clients.get(service)
        if client is None:
            raise UnknownService(service)
        return client

    def check_declared_length(self, request: Request) -> None:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLarge(self.max_body_bytes)

    async def read_body(self, request: Request) -> bytes:
        """The whole request body, within the size limit (for requests that must be checked
        before forwarding, such as signed department pushes)."""
        self.check_declared_length(request)
        return b"".join([chunk async for chunk in limited_stream(request, self.max_body_bytes)])

    async def forward(self, request: Request, service: str, *, body: bytes | None = None) -> StreamingResponse:
        """Forward the request; its body streams through unless `body` was read already."""
        client = self.client_for(service)
        self.check_declared_length(request)
        declared = request.headers.get("content-length")
        has_body = declared not in (None, "0") or "transfer-encoding" in request.headers
        content: AsyncIterator[bytes] | bytes | None
        if body is not None:
            content = body
        elif has_body or request.method not in BODYLESS_METHODS:
            content = limited_stream(request, self.max_body_bytes)
        else:
            content = None
        upstream_request = client.build_request(
            request.method, upstream_url(request, service), headers=forwarded_headers(request), content=content
        )
        try:
            upstream = await client.send(upstream_request, stream=True)
        except PayloadTooLarge:
            raise
        except httpx.TimeoutException as exc:
            logger.warning("upstream %s timed out: %r", service, exc)
            raise UpstreamTimeout(service) from exc
        except httpx.TransportError as exc:
            logger.warning("upstream %s unreachable: %r", service, exc)
            raise UpstreamUnavailable(service) from exc
        response = StreamingResponse(
            upstream.aiter_raw(), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
        )
        response.raw_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in strip_hop_by_hop(upstream.headers.multi_items())
            if k.lower() not in OWN_RESPONSE_HEADERS
        ]
        return response
