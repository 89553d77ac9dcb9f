"""Authentication and authorisation of proxied requests (`/v1/<service>/...`).

Every proxied request passes an `Authenticator` before it is forwarded. `TokenAuthenticator`
is the real one:

1. the route's requirement comes from the service's published OpenAPI
   (`gateway.requirements.RequirementCatalog`; 503 when it cannot be read);
2. a public route is forwarded with or without a token (a token that is sent must verify);
3. a route with scopes needs a valid bearer token (401) holding every scope (403
   `scope_missing`); a path no operation matches needs a valid token, and the service then
   answers 404/405 itself;
4. the token is verified by `jiuzhu_platform.auth.TokenVerifier` (signature by `kid`, issuer,
   audience, times, claims, deny-list of revoked `jti`s).

Every 401/403 decision is written to the gateway's audit trail (route template, method,
reason; never the token). The `Authorization` header is forwarded unchanged: the service
verifies the token again (defence in depth).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from fastapi import FastAPI, Request, Response
from prometheus_client import Counter

from gateway.identity.adapters.audit import AuditLog, entry
from gateway.requirements import RequirementCatalog
from jiuzhu_platform.auth import (
    AuthFailure,
    Principal,
    RegionNotAllowed,
    ScopeMissing,
    TokenVerifier,
    Unauthorized,
    bearer_token,
    require_scopes,
)
from jiuzhu_platform.errors import DomainError
from jiuzhu_platform.http_errors import domain_error_response
from jiuzhu_platform.metrics import Metrics

__all__ = ["Authenticator", "Principal", "TokenAuthenticator", "bearer_token"]


class Authenticator(Protocol):
    async def authenticate(self, request: Request, service: str) -> Principal | None:
        """The caller (None: anonymous on a public route), or raise a `DomainError` (401/403/503)."""
        ...


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def route_label(service: str, template: str | None) -> str:
    """The route for audit and logs: the template, never the concrete path (it may hold ids)."""
    return template or f"/v1/{service}/*"


class AnonymousRefusals:
    """Refusals of requests without a usable token are counted (the Prometheus counter
    `gateway_anonymous_refusals_total{reason}`) and only sampled into the audit trail: the
    first of each (client address, reason) in a window of `window_seconds`, carrying how many
    were refused since the previous entry. Auditing every one made each anonymous request an
    append to the hash chain (serialised), so a few anonymous clients slowed everyone down and
    stayed under the per-IP rate limit; now they are cheap and the limit engages.

    In-process and bounded (`max_keys`; when full the windows start over): each replica samples
    its own share, which is what a sample is for."""

    def __init__(
        self,
        metrics: Metrics | None = None,
        *,
        window_seconds: float = 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._counter = (
            None
            if metrics is None
            else Counter(
                "gateway_anonymous_refusals",
                "Requests without a usable token refused, by reason (sampled into the audit trail)",
                ["reason"],
                registry=metrics.registry,
            )
        )

    def sample(self, client: str, reason: str) -> int | None:
        """Count a refusal; how many refusals of (client, reason) the audit entry to write now
        stands for, or None when this one is only counted."""
        if self._counter is not None:
            self._counter.labels(reason).inc()
        now = self._clock()
        key = (client, reason)
        started, count = self._windows.get(key, (None, 0))
        if started is not None and now - started < self.window_seconds:
            self._windows[key] = (started, count + 1)
            return None
        if len(self._windows) >= self.max_keys:
            self._windows.clear()
        self._windows[key] = (now, 0)
        return count + 1


def install_own_refusal_audit(app: FastAPI, anonymous: AnonymousRefusals) -> None:
    """Token and scope refusals on the gateway's own routes (`/v1/auth/*`, `/.well-known/*`,
    its audit API) are recorded like those of proxied routes: a missing, bad or expired token
    (401) and a missing scope or region (403, `ScopeMissing`/`RegionNotAllowed`). Refusals the
    identity use cases decide themselves (a wrong password, a locked account, an operator-only
    account) are audited by them with their own outcome, so they are not recorded twice here."""

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        runtime = getattr(request.app.state, "runtime", None)
        audit = getattr(runtime, "audit", None)
        principal = getattr(request.state, "principal", None)
        sampled = 1 if isinstance(principal, Principal) else anonymous.sample(client_address(request), exc.reason)
        if isinstance(audit, AuditLog) and sampled is not None:
            route = request.scope.get("route")
            await audit.record(
                entry(
                    "authorization_refused",
                    exc.reason[:50],
                    actor=principal.subject if isinstance(principal, Principal) else None,
                    actor_kind=principal.kind.value if isinstance(principal, Principal) else "anonymous",
                    route=getattr(route, "path", None) or "unmatched",
                    method=request.method,
                    details={"status": exc.status_code, **({"refusals": sampled} if sampled > 1 else {})},
                )
            )
        return domain_error_response(exc)

    app.add_exception_handler(Unauthorized, refused)
    app.add_exception_handler(ScopeMissing, refused)
    app.add_exception_handler(RegionNotAllowed, refused)


class TokenAuthenticator:
    def __init__(
        self,
        verifier: TokenVerifier,
        catalog: RequirementCatalog,
        *,
        audit: AuditLog | None,
        anonymous: AnonymousRefusals | None = None,
    ) -> None:
        self.verifier = verifier
        self.catalog = catalog
        self.audit = audit
        self.anonymous = anonymous or AnonymousRefusals()

    async def authenticate(self, request: Request, service: str) -> Principal | None:
        lookup = await self.catalog.lookup(service, request.method, request.url.path)
        request.state.route_template = lookup.template
        principal: Principal | None = None
        try:
            token = bearer_token(request)
            requirement = lookup.requirement
            if requirement is not None and requirement.public:
                return None if token is None else await self.verifier.verify(token)
            if token is None:
                raise Unauthorized(AuthFailure.MISSING)
            principal = await self.verifier.verify(token)
            if requirement is not None:
                require_scopes(principal, *requirement.scopes)
            return principal
        except DomainError as refused:
            if refused.status_code in (401, 403):
                await self._audit_refusal(request, service, lookup.template, principal, refused)
            raise

    async def _audit_refusal(
        self, request: Request, service: str, template: str | None, principal: Principal | None, refused: DomainError
    ) -> None:
        sampled = 1 if principal is not None else self.anonymous.sample(client_address(request), refused.reason)
        if self.audit is None or sampled is None:
            return
        await self.audit.record(
            entry(
                "authorization_refused",
                refused.reason[:50],
                actor=None if principal is None else principal.subject,
                actor_kind="anonymous" if principal is None else principal.kind.value,
                role=None if principal is None else principal.role_label,
                region_code=None if principal is None else principal.region_code,
                route=route_label(service, template),
                method=request.method,
                details={"status": refused.status_code, **({"refusals": sampled} if sampled > 1 else {})},
            )
        )
