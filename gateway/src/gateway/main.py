"""The API gateway: the only public entry. Routes `/v1/<service>/...` to the services,
propagates request ids, limits body size, serves the merged OpenAPI docs. No database, no
business rules. Authentication plugs in through `gateway.auth.Authenticator`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gateway.auth import AnonymousAuthenticator, Authenticator
from gateway.limits import TokenBucketLimiter
from gateway.proxy import Proxy
from gateway.security import SecurityHeadersMiddleware
from gateway.settings import Settings
from jiuzhu_platform.app import RequestContextMiddleware, health_router
from jiuzhu_platform.errors import register_exception_handlers
from jiuzhu_platform.metrics import Metrics

logger = logging.getLogger(__name__)

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(
    settings: Settings | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    authenticator: Authenticator | None = None,
) -> FastAPI:
    """Build the gateway. `transports` lets the embedded mode reach in-process services
    (ASGI transports) instead of the network; the proxy code is the same."""

    config = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(config.upstream_timeout_seconds, connect=config.connect_timeout_seconds)
        async with AsyncExitStack() as stack:
            clients = {}
            for name, url in config.upstreams.items():
                transport = (transports or {}).get(name)
                clients[name] = await stack.enter_async_context(
                    httpx.AsyncClient(
                        base_url=str(url).rstrip("/"),
                        timeout=timeout,
                        transport=transport,
                        follow_redirects=False,
                        trust_env=False,  # upstreams are internal: never via an environment proxy
                        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                    )
                )
            app.state.proxy = Proxy(clients, max_body_bytes=config.max_body_bytes)
            app.state.limiter = TokenBucketLimiter(rate=config.rate_limit_per_second, burst=config.rate_limit_burst)
            yield

    metrics = Metrics("gateway")
    app = FastAPI(
        title="Jiuzhu API gateway (救助)",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.metrics = metrics
    auth = authenticator or AnonymousAuthenticator()
    register_exception_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware, hsts=config.env == "prod")
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=PROXY_METHODS,
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, service="gateway", metrics=lambda: metrics)
    app.include_router(health_router())

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ok", "upstreams": sorted(app.state.proxy.clients)})

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(await merged_openapi(app.state.proxy))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Jiuzhu API")

    @app.api_route("/v1/{service}/{path:path}", methods=PROXY_METHODS, include_in_schema=False)
    async def forward(service: str, path: str, request: Request) -> Response:
        proxy: Proxy = app.state.proxy
        proxy.client_for(service)  # 404 for an unknown service before anything else
        app.state.limiter.check(request.client.host if request.client else "unknown")
        await auth.authenticate(request, service)
        return await proxy.forward(request, service)

    return app


async def merged_openapi(proxy: Proxy) -> dict[str, Any]:
    """One OpenAPI document for the public API: every service's paths (they already carry the
    `/v1/<service>` prefix the gateway exposes) and schemas."""

    async def fetch(name: str, client: httpx.AsyncClient) -> tuple[str, dict[str, Any] | None]:
        try:
            response = await client.get("/openapi.json", timeout=5)
            response.raise_for_status()
            return name, response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("no OpenAPI document from %s: %r", name, exc)
            return name, None

    documents = await asyncio.gather(*(fetch(n, c) for n, c in sorted(proxy.clients.items())))
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    missing = []
    for name, document in documents:
        if document is None:
            missing.append(name)
            continue
        for path, item in document.get("paths", {}).items():
            if path.startswith(f"/v1/{name}/"):
                paths[path] = item
        schemas.update(document.get("components", {}).get("schemas", {}))
    description = "Jiuzhu (救助) social-assistance platform: every service through one gateway."
    if missing:
        description += f" Not reachable now: {', '.join(missing)}."
    return {
        "openapi": "3.1.0",
        "info": {"title": "Jiuzhu API", "version": "0.1.0", "description": description},
        "paths": paths,
        "components": {"schemas": schemas},
    }
