"""The API gateway: the only public entry, the token issuer and the first line of enforcement.

- issues tokens (`/v1/auth/*`, `/.well-known/*`: `gateway.identity`) in issuer mode;
- routes `/v1/<service>/...` to the services, after checking the bearer token against the
  route's requirement published in the service's OpenAPI (`gateway.auth`), the department
  request signature for pushes (`gateway.identity.signatures`), and the per-IP and
  per-caller rate limits;
- propagates request ids, limits body size, serves the merged OpenAPI docs.

`create_app(settings, *, transports, authenticator, code_sender, real_name_verifier, clock)`.
The lifespan opens the gateway database and makes a signing key if there is none; it does
not migrate (run `python -m gateway migrate`, or `gateway.migrations.migrate(url)`).

After start-up `app.state.runtime` holds the typed `GatewayRuntime` (`gateway.runtime`:
proxy, limiters, requirement catalogue, verifier, authenticator, code sender — a
`TestOutboxCodeSender` in dev/test unless one is given —, and with a database the audit log,
request signatures and, in issuer mode, the identity service); `app.state.token_verifier` is
the platform's hook for scope dependencies.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi import routing as fastapi_routing
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import (
    AnonymousRefusals,
    Authenticator,
    TokenAuthenticator,
    install_own_refusal_audit,
    route_label,
)
from gateway.errors import UnknownService
from gateway.identity.adapters.audit import AuditLog
from gateway.identity.adapters.clients import (
    CodeSender,
    RealNameVerifier,
    StubRealNameVerifier,
    TestOutboxCodeSender,
    UnconfiguredCodeSender,
    UnconfiguredRealNameVerifier,
)
from gateway.identity.adapters.crypto import SecretHasher
from gateway.identity.adapters.households import EligibilityHouseholds, HouseholdDirectory
from gateway.identity.api.routes import audit_router, discovery_router, identity_router
from gateway.identity.domain import rules
from gateway.identity.keys import SigningKeys
from gateway.identity.revocation import RevocationList
from gateway.identity.service import IdentityService
from gateway.identity.service.context import IdentityConfig
from gateway.identity.signatures import RequestSignatures
from gateway.limits import TokenBucketLimiter
from gateway.pages import pages_router
from gateway.proxy import AiohttpUpstream, HttpxUpstream, Proxy, Upstream
from gateway.requirements import RequirementCatalog
from gateway.runtime import GatewayRuntime, runtime_of
from gateway.security import SecurityHeadersMiddleware
from gateway.settings import RESERVED_SERVICE_NAMES, Settings
from jiuzhu_platform.app import RequestContextMiddleware, check_metrics_access, health_router
from jiuzhu_platform.auth import AuthenticationUnavailable, KeySource, RemoteJwks, TokenVerifier
from jiuzhu_platform.db import Database
from jiuzhu_platform.definition import JWKS_REFRESH_SECONDS, fetch_json
from jiuzhu_platform.errors import DomainError
from jiuzhu_platform.http_errors import document_common_errors, domain_error_response, register_exception_handlers
from jiuzhu_platform.metrics import Metrics
from jiuzhu_platform.pii import KeyRing
from jiuzhu_platform.tracing import TracingMiddleware, configure_tracing

logger = logging.getLogger(__name__)

DOCS_ASSETS = "/docs/assets"


def swagger_ui_assets() -> Path:
    """Swagger UI's files as the `swagger-ui-py` package ships them."""
    return Path(str(importlib.resources.files("swagger_ui") / "static"))


PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def identity_config(settings: Settings) -> IdentityConfig:
    return IdentityConfig(
        issuer=settings.issuer,
        audience=settings.audience,
        access_ttl_seconds=settings.access_token_ttl_seconds,
        staff_refresh_ttl_seconds=settings.staff_refresh_token_ttl_seconds,
        citizen_refresh_ttl_seconds=settings.citizen_refresh_token_ttl_seconds,
        lockout=rules.LockoutPolicy(
            max_failures=settings.login_max_failures,
            lock_for=timedelta(minutes=settings.login_lockout_minutes),
            first_delay=timedelta(seconds=settings.login_first_delay_seconds),
            account_max_failures=settings.login_account_max_failures,
        ),
        otp=rules.OtpPolicy(
            ttl=timedelta(seconds=settings.otp_ttl_seconds),
            max_attempts=settings.otp_max_attempts,
            resend_interval=timedelta(seconds=settings.otp_resend_seconds),
        ),
        login_attempts_per_minute=settings.login_attempts_per_minute,
        login_ip_attempts_per_minute=settings.login_ip_attempts_per_minute,
    )


class AppKeySource:
    """The token keys of an in-process gateway `app`, as a `KeySource` for services built before
    the gateway's lifespan has started (embedded mode: `definition.create_app(keys=AppKeySource(gw))`).
    Unknown until the gateway has started (every key is then unknown: 401)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def get_key(self, kid: str) -> Any:
        runtime: GatewayRuntime | None = getattr(self.app.state, "runtime", None)
        if runtime is None or runtime.identity is None:
            return None
        return await runtime.identity.context.keys.get_key(kid)


def build_identity(
    config: Settings,
    database: Database,
    ring: KeyRing,
    *,
    audit: AuditLog,
    revocations: RevocationList,
    code_sender: CodeSender,
    real_name: RealNameVerifier,
    households: HouseholdDirectory | None = None,
    clock: Clock,
) -> IdentityService:
    """The identity service as the settings describe it: the server and the command line build
    it here alike (the signing keys' publish margin, for one, must be the same in both)."""
    keys = SigningKeys(
        database,
        ring,
        clock=clock,
        access_ttl_seconds=config.access_token_ttl_seconds,
        cache_seconds=config.signing_key_cache_seconds,
        leeway_seconds=config.token_leeway_seconds,
    )
    return IdentityService.build(
        database=database,
        ring=ring,
        keys=keys,
        hasher=SecretHasher(
            time_cost=config.argon2_time_cost,
            memory_cost_kib=config.argon2_memory_cost_kib,
            parallelism=config.argon2_parallelism,
            max_concurrent=config.argon2_max_concurrent,
        ),
        audit=audit,
        revocations=revocations,
        code_sender=code_sender,
        real_name=real_name,
        households=households,
        config=identity_config(config),
        clock=clock,
    )


def create_app(
    settings: Settings | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    authenticator: Authenticator | None = None,
    code_sender: CodeSender | None = None,
    real_name_verifier: RealNameVerifier | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the gateway. `transports` lets the embedded mode reach in-process services
    (ASGI transports) instead of the network; the proxy code is the same. `authenticator`
    replaces the token authenticator of proxied routes (tests of the proxy alone). Without
    `code_sender`/`real_name_verifier`, dev and test use the in-memory test outbox and the
    accept-all stub, production answers 503 for citizen sign-in. `clock` (aware UTC) drives
    every expiry decision (tests move it)."""

    config = settings or Settings()
    configure_tracing("gateway", config.tracing, otlp_endpoint=config.otlp_endpoint)
    now: Clock = clock or utc_now
    development = config.env in ("dev", "test")
    sender: CodeSender = code_sender or (
        TestOutboxCodeSender(outbox_file=config.code_outbox_file) if development else UnconfiguredCodeSender()
    )
    real_name: RealNameVerifier = real_name_verifier or (
        StubRealNameVerifier() if development else UnconfiguredRealNameVerifier()
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            upstreams: dict[str, Upstream] = {}
            for name, url in config.upstreams.items():
                transport = (transports or {}).get(name)
                upstream: Upstream
                if transport is not None:
                    upstream = HttpxUpstream(name, str(url), transport)
                else:
                    upstream = AiohttpUpstream(
                        name,
                        str(url),
                        timeout_seconds=config.upstream_timeout_seconds,
                        connect_timeout_seconds=config.connect_timeout_seconds,
                    )
                stack.push_async_callback(upstream.aclose)
                upstreams[name] = upstream
            proxy = Proxy(upstreams, max_body_bytes=config.max_body_bytes)

            async def fetch_openapi(service: str) -> Mapping[str, Any]:
                document = await proxy.upstream_for(service).get_json("/openapi.json", timeout=5)
                if not isinstance(document, dict):
                    raise ValueError("not a JSON object")
                return document

            catalog = RequirementCatalog(
                fetch_openapi,
                min_refresh_seconds=config.openapi_refresh_seconds,
                max_age_seconds=config.openapi_max_age_seconds,
            )

            database: Database | None = None
            ring: KeyRing | None = None
            audit: AuditLog | None = None
            revocations: RevocationList | None = None
            signatures: RequestSignatures | None = None
            identity: IdentityService | None = None
            if config.database_url is not None:
                database = Database.from_url(config.database_url.get_secret_value())
                stack.push_async_callback(database.dispose)
                ring = config.key_ring()
                audit = AuditLog(database, clock=now)
                revocations = RevocationList(
                    database, ring, clock=now, refresh_seconds=config.revocation_refresh_seconds
                )
                signatures = RequestSignatures(
                    database, ring, audit=audit, clock=now, window_seconds=config.signature_window_seconds
                )

            key_source: KeySource
            if config.auth_mode == "issuer":
                assert database is not None
                assert ring is not None
                assert audit is not None
                assert revocations is not None
                identity = build_identity(
                    config,
                    database,
                    ring,
                    audit=audit,
                    revocations=revocations,
                    code_sender=sender,
                    real_name=real_name,
                    households=EligibilityHouseholds(upstreams["eligibility"]) if "eligibility" in upstreams else None,
                    clock=now,
                )
                keys = identity.context.keys
                await keys.bootstrap()
                key_source = keys
                purge = asyncio.create_task(_purge_loop(identity, config))
                stack.push_async_callback(_cancel, purge)
            else:
                assert config.external_jwks_url is not None
                key_source = RemoteJwks(config.external_jwks_url, fetch_json, min_refresh_interval=JWKS_REFRESH_SECONDS)
            verifier = TokenVerifier(
                issuer=config.issuer,
                audience=config.audience,
                keys=key_source,
                leeway_seconds=config.token_leeway_seconds,
                is_revoked=revocations.is_revoked if revocations is not None else None,
                clock=lambda: now().timestamp(),
            )
            app.state.token_verifier = verifier  # the platform's scope dependencies look here
            app.state.runtime = GatewayRuntime(
                proxy=proxy,
                limiter=TokenBucketLimiter(rate=config.rate_limit_per_second, burst=config.rate_limit_burst),
                client_limiter=TokenBucketLimiter(
                    rate=config.client_rate_limit_per_second, burst=config.client_rate_limit_burst
                ),
                requirements=catalog,
                token_verifier=verifier,
                authenticator=authenticator
                or TokenAuthenticator(verifier, catalog, audit=audit, anonymous=anonymous_refusals),
                code_sender=sender,
                real_name_verifier=real_name,
                database=database,
                audit=audit,
                signatures=signatures,
                identity=identity,
            )
            try:
                yield
            finally:
                app.state.runtime = None

    metrics = Metrics("gateway")
    anonymous_refusals = AnonymousRefusals(metrics)
    app = FastAPI(
        title="Jiuzhu API gateway (救助)",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # A wrong trailing slash is a 404, never a redirect built from the caller's Host header.
        redirect_slashes=False,
    )
    app.state.runtime = None
    register_exception_handlers(app)
    install_own_refusal_audit(app, anonymous_refusals)

    async def forward_request(request: Request, service: str) -> Response:
        """A request for `/v1/<service>/...`: limits, token and scopes, signature, then forward."""
        if service in RESERVED_SERVICE_NAMES:
            if allowed := own_methods(app, request.scope):  # a gateway route, another method: 405
                raise StarletteHTTPException(405, "method not allowed", headers={"Allow": ", ".join(allowed)})
            raise UnknownService(service)  # /v1/auth/<anything else>: never an upstream
        runtime = runtime_of(app)
        proxy = runtime.proxy
        proxy.upstream_for(service)  # 404 for an unknown service before anything else
        runtime.limiter.check(request.client.host if request.client else "unknown")
        principal = await runtime.authenticator.authenticate(request, service)
        body: bytes | None = None
        if principal is not None:
            runtime.client_limiter.check(f"{principal.kind.value}:{principal.client_id or principal.subject}")
            if rules.needs_signature(principal.kind.value, request.method):
                signatures = runtime.signatures
                if signatures is None:
                    raise AuthenticationUnavailable(
                        "signature_unavailable", "request signatures cannot be checked without the gateway database"
                    )
                body = await proxy.read_body(request)
                template = getattr(request.state, "route_template", None)
                await signatures.verify(request, principal, body, route=route_label(service, template))
        return await proxy.forward(request, service, body=body)

    # The innermost middleware (Starlette wraps each later one around the earlier): proxied
    # requests skip FastAPI's router, dependency solving and exception middleware, half of
    # the gateway's own time per request; the catch-all route below answers what it passes on.
    app.add_middleware(ProxyFastPath, forward=forward_request)
    app.add_middleware(SecurityHeadersMiddleware, hsts=config.env == "prod")
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=PROXY_METHODS,
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Request-ID",
                "Idempotency-Key",
                "X-Jiuzhu-Timestamp",
                "X-Jiuzhu-Nonce",
                "X-Jiuzhu-Signature",
            ],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, service="gateway", metrics=lambda: metrics)
    app.add_middleware(TracingMiddleware)  # outermost: the server span covers the whole request
    app.include_router(health_router())

    app.include_router(pages_router())

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        return JSONResponse({"status": "ok", "upstreams": list(runtime_of(app).proxy.names)})

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        check_metrics_access(request, env=config.env, token=config.metrics_token)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    if config.docs_enabled:  # off in prod unless GATEWAY_DOCS=true

        @app.get("/openapi.json", include_in_schema=False)
        async def openapi() -> JSONResponse:
            return JSONResponse(await merged_openapi(runtime_of(app).proxy, own=app.openapi()))

        app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_assets()), name="docs-assets")

        @app.get("/docs", include_in_schema=False)
        async def docs() -> HTMLResponse:
            """Swagger UI from the gateway itself (`swagger-ui-py`'s Swagger UI 5): no CDN, so the
            page works on an offline or locked-down network."""
            return get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="Jiuzhu API",
                swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            )

    # The gateway's own routes come before the catch-all below.
    if config.auth_mode == "issuer":
        app.include_router(discovery_router(config))
        app.include_router(identity_router())
    if config.database_url is not None:
        app.include_router(audit_router())

    @app.api_route(PROXY_ROUTE.path, methods=PROXY_METHODS, include_in_schema=False)
    async def forward(service: str, path: str, request: Request) -> Response:
        return await forward_request(request, service)

    return app


PROXY_ROUTE = SimpleNamespace(path="/v1/{service}/{path:path}")


def own_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods the gateway's own routes accept at this request's path (empty when none of
    them has this path): a wrong method there is a 405, not "no service named auth"."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)  # routers included lazily
    views = iterate(app.router.routes) if iterate is not None else app.router.routes
    allowed: set[str] = set()
    for view in views:
        path, methods = getattr(view, "path", None), getattr(view, "methods", None)
        if not isinstance(path, str) or not methods or path == PROXY_ROUTE.path:
            continue
        if compile_path(path)[0].fullmatch(scope["path"]):
            allowed |= set(methods)
    return sorted(allowed)


"""The route template proxied requests are measured and logged under."""


class ProxyFastPath:
    """Pure ASGI: `/v1/<service>/...` for a service other than the gateway's own names goes
    straight to `forward`; a refusal renders in the common error shape as the exception
    handlers would. Anything else (the gateway's own routes, `/v1/auth/...`) passes on."""

    def __init__(self, app: ASGIApp, *, forward: Callable[[Request, str], Awaitable[Response]]) -> None:
        self.app = app
        self.forward = forward

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = _proxied_service(scope)
        if service is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = PROXY_ROUTE  # for the latency metric and the access log
        request = Request(scope, receive, send)
        try:
            response = await self.forward(request, service)
        except DomainError as refused:
            response = domain_error_response(refused)
        await response(scope, receive, send)


def _proxied_service(scope: Scope) -> str | None:
    if scope["type"] != "http":
        return None
    path: str = scope["path"]
    if not path.startswith("/v1/"):
        return None
    service, slash, _ = path[4:].partition("/")
    if not slash or not service or service in RESERVED_SERVICE_NAMES:
        return None
    return service


async def _purge_loop(identity: IdentityService, config: Settings) -> None:
    """Housekeeping: expired codes, tokens, nonces and lockouts, now and then."""
    while True:
        try:
            await identity.admin.purge(signature_window_seconds=config.signature_window_seconds)
        except Exception as exc:
            logger.warning("identity purge failed: %s", type(exc).__name__)
        await asyncio.sleep(config.purge_interval_seconds)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _renamed_schemas(document: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """`document` with the component schemas of `renames` under their new names, and every
    `$ref` to them following (two services' models of one name must not replace each other in
    the merged document, or /docs shows one service's body for the other's route)."""
    prefix = "#/components/schemas/"

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix) :] in renames:
                node = {**node, "$ref": prefix + renames[ref[len(prefix) :]]}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    renamed = walk(document)
    components = renamed.get("components", {})
    components["schemas"] = {renames.get(key, key): value for key, value in components.get("schemas", {}).items()}
    return dict(renamed)


async def merged_openapi(proxy: Proxy, *, own: dict[str, Any] | None = None) -> dict[str, Any]:
    """One OpenAPI document for the public API: the gateway's own routes (`own`: sign-in,
    tokens, JWKS), every service's paths (they already carry the `/v1/<service>` prefix the
    gateway exposes), schemas and security schemes (so `/docs` can send a bearer token)."""

    async def fetch(name: str, upstream: Upstream) -> tuple[str, dict[str, Any] | None]:
        try:
            document = await upstream.get_json("/openapi.json", timeout=5)
        except Exception as exc:  # a service that cannot answer is listed as missing, not a 500
            logger.warning("no OpenAPI document from %s: %r", name, exc)
            return name, None
        return name, document if isinstance(document, dict) else None

    documents = await asyncio.gather(*(fetch(n, u) for n, u in sorted(proxy.upstreams.items())))
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    missing = []
    if own is not None:
        paths.update(own.get("paths", {}))
        schemas.update(own.get("components", {}).get("schemas", {}))
        security_schemes.update(own.get("components", {}).get("securitySchemes", {}))
    for name, document in documents:
        if document is None:
            missing.append(name)
            continue
        own_schemas = document.get("components", {}).get("schemas", {})
        clashes = {key: f"{name}.{key}" for key, schema in own_schemas.items() if schemas.get(key, schema) != schema}
        if clashes:  # another service's schema of the same name: this one's under its service's name
            document = _renamed_schemas(document, clashes)
        for path, item in document.get("paths", {}).items():
            if path.startswith(f"/v1/{name}/"):
                paths[path] = item
        schemas.update(document.get("components", {}).get("schemas", {}))
        security_schemes.update(document.get("components", {}).get("securitySchemes", {}))
    description = "Jiuzhu (救助) social-assistance platform: every service through one gateway."
    if missing:
        description += f" Not reachable now: {', '.join(missing)}."
    return document_common_errors(
        {
            "openapi": "3.1.0",
            "info": {"title": "Jiuzhu API", "version": "0.1.0", "description": description},
            "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": security_schemes},
        },
        behind_gateway=True,
    )
