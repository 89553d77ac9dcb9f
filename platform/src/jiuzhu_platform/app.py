"""The FastAPI app factory every service uses: lifespan-built runtime, correlation ids, request
metrics and access logs, one error shape, `/healthz`, `/readyz` and `/metrics`."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import SecretStr
from sqlalchemy import Table
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiuzhu_platform.access import audit_router, install_refusal_audit
from jiuzhu_platform.auth import (
    AuthFailure,
    KeySource,
    TokenVerifier,
    Unauthorized,
    assert_all_declared,
    publish_requirements,
)
from jiuzhu_platform.business_metrics import BusinessMetric, BusinessMetrics
from jiuzhu_platform.context import REQUEST_ID_HEADER, correlation_scope, new_correlation_id, service_scope
from jiuzhu_platform.errors import NotFound
from jiuzhu_platform.http_errors import document_common_errors, internal_error_response, register_exception_handlers
from jiuzhu_platform.metrics import Metrics
from jiuzhu_platform.outbox import measure_outbox_lag
from jiuzhu_platform.redaction import redact
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.tracing import TracingMiddleware

logger = logging.getLogger("jiuzhu.access")

MAX_REQUEST_ID_LENGTH = 128


READINESS_CHECK_SECONDS = 2.0
"""Each `/readyz` check's own timeout; the probes' `timeoutSeconds` (5) is longer than both
checks together, so a slow dependency reads as "unavailable", not as a failed probe."""


def operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: `<tag>-<function name>`."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def clean_request_id(value: str | None) -> str:
    """Accept a caller's request id if it is short, printable and holds nothing that looks like
    personal data (it is echoed, logged, stored and published); otherwise make a new one."""
    value = (value or "").strip()
    if (
        value
        and len(value) <= MAX_REQUEST_ID_LENGTH
        and value.isascii()
        and value.isprintable()
        and redact(value) == value
    ):
        return value
    return new_correlation_id()


class RequestContextMiddleware:
    """Binds the correlation id (from `X-Request-ID`, else new) for the request, echoes it in
    the response, observes latency by route template and writes one access-log line.

    Pure ASGI (not BaseHTTPMiddleware) so the context also covers exception handlers."""

    def __init__(self, app: ASGIApp, service: str, metrics: Callable[[], Metrics | None]) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = clean_request_id(headers.get(REQUEST_ID_HEADER.lower()))
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *[(k, v) for k, v in message["headers"] if k.lower() != b"x-request-id"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        with correlation_scope(request_id), service_scope(self.service):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                # Rendered here, inside the request's context, so a 500 still carries the
                # correlation id (Starlette's outermost error middleware would not).
                if response_started:
                    raise
                logger.exception("unhandled error")
                await internal_error_response()(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = scope.get("route")
                template = getattr(route, "path", "unmatched")
                metrics = self.metrics()
                if metrics is not None and template not in ("/metrics", "/healthz"):
                    metrics.request_latency.labels(scope["method"], template, str(status)).observe(elapsed)
                logger.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    template,
                    status,
                    elapsed * 1000,
                    extra={"method": scope["method"], "route": template, "status": status},
                )


def check_metrics_access(request: Request, *, env: str, token: SecretStr | None) -> None:
    """Whether this request may read `/metrics` (`settings.METRICS_ACCESS_DOC`); raises the
    refusal (404 hides the endpoint in `prod` without a token, 401 for a wrong or missing one)."""
    if token is None or not token.get_secret_value():
        if env == "prod":
            raise NotFound("not found", message_zh="未找到")
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if not given:
        raise Unauthorized(AuthFailure.MISSING)
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        raise Unauthorized(AuthFailure.BAD_SIGNATURE, "the metrics token is not valid")


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router


def create_service_app(
    name: str,
    *,
    title: str,
    open_runtime: Callable[[], Runtime],
    routers: Sequence[APIRouter],
    on_startup: Callable[[Runtime], Any] | None = None,
    key_source: Callable[[Runtime], KeySource] | None = None,
    audit_table: Table | None = None,
    business_metrics: Sequence[BusinessMetric] = (),
) -> FastAPI:
    """Build a service's FastAPI app. `open_runtime` runs inside the lifespan (never at import).

    Every route must declare its access requirement (`jiuzhu_platform.auth.requires`): an app
    with an undeclared route is refused here (deny by default). `key_source(runtime)` gives the
    issuer's keys; the token verifier built from it and the runtime's settings is installed on
    `app.state.token_verifier` at start-up. With an `audit_table` every refusal is recorded and
    auditors get `GET /v1/<name>/audit` (see `jiuzhu_platform.access`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = open_runtime()
        app.state.runtime = runtime
        app.state.business_metrics = BusinessMetrics(
            business_metrics,
            runtime.metrics.registry,
            refresh_seconds=runtime.settings.business_metrics_refresh_seconds,
        )
        if key_source is not None:
            settings = runtime.settings
            app.state.token_verifier = TokenVerifier(
                issuer=settings.auth_issuer,
                audience=settings.auth_audience,
                keys=key_source(runtime),
                leeway_seconds=settings.auth_leeway_seconds,
            )
        await runtime.bus.start()
        if on_startup is not None:
            result = on_startup(runtime)
            if asyncio.iscoroutine(result):
                await result
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title=title,
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # A wrong trailing slash is a 404: a redirect would name this service's internal host
        # (`Location: http://payment.internal/...`) and trust the caller's `Host` header.
        redirect_slashes=False,
    )
    app.state.runtime = None
    register_exception_handlers(app)
    app.add_middleware(
        RequestContextMiddleware, service=name, metrics=lambda: getattr(app.state.runtime, "metrics", None)
    )
    app.add_middleware(TracingMiddleware)  # outermost: the server span covers the whole request
    app.include_router(health_router())

    @app.get("/readyz", tags=["health"], summary="Readiness: the database reachable (the bus reported, not gating)")
    async def readyz() -> JSONResponse:
        """Ready when the database answers. The bus is checked and reported (and exported as the
        gauge `bus_up`), but it does not gate readiness: while Kafka is away, commands still
        commit with their events in the outbox, which the relay publishes when it is back, so
        taking every API out of its Service would turn a broker outage into a full outage."""
        runtime: Runtime = app.state.runtime
        checks: dict[str, str] = {}
        for check, probe in (("database", runtime.database.ping), ("bus", runtime.bus.ping)):
            try:
                await asyncio.wait_for(probe(), timeout=READINESS_CHECK_SECONDS)
                checks[check] = "ok"
            except Exception as exc:  # readiness reports any failure, it does not raise
                checks[check] = f"unavailable: {type(exc).__name__}"
        runtime.metrics.bus_up.set(1 if checks["bus"] == "ok" else 0)
        ready = checks["database"] == "ok"
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
        )

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        runtime: Runtime = app.state.runtime
        check_metrics_access(request, env=runtime.settings.env, token=runtime.settings.metrics_token)
        if runtime.outbox is not None:
            await measure_outbox_lag(runtime.database, runtime.outbox, now=runtime.now, metrics=runtime.metrics)
        await app.state.business_metrics.refresh(runtime.database, runtime.now())
        return Response(runtime.metrics.render(), media_type="text/plain; version=0.0.4")

    for router in routers:
        app.include_router(router)
    app.state.audit_table = audit_table
    if audit_table is not None:
        install_refusal_audit(app)
        app.include_router(audit_router(name))
    assert_all_declared(app)
    publish_requirements(app)
    document_errors(app)
    return app


def document_errors(app: FastAPI) -> None:
    """Every operation's OpenAPI responses list the platform's own error statuses in the common
    error shape (`jiuzhu_platform.http_errors.document_common_errors`), wrapping `app.openapi`
    (after `publish_requirements`, whose public flags it reads)."""
    render = app.openapi
    documented: dict[str, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        if "document" not in documented:
            documented["document"] = document_common_errors(render())
            app.openapi_schema = documented["document"]
        return documented["document"]

    app.openapi = openapi  # type: ignore[method-assign]
