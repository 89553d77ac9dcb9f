"""Declared per-route requirements (deny by default) and their publication in OpenAPI, for
the gateway to enforce the same rules before forwarding."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, params
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute, Host, Mount, Route

from jiuzhu_platform.auth.errors import AuthenticationUnavailable, AuthFailure, Unauthorized
from jiuzhu_platform.auth.principal import Principal, require_scopes
from jiuzhu_platform.auth.roles import SCOPE_PATTERN
from jiuzhu_platform.auth.verifier import TokenVerifier

logger = logging.getLogger(__name__)

INFRASTRUCTURE_PATHS: frozenset[str] = frozenset(
    {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
"""Paths that need no declared requirement (health, metrics, API docs)."""

_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="Access token (JWT) of the platform issuer: `Authorization: Bearer <token>`",
)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a route declared: the scopes it needs, or that it is public."""

    scopes: frozenset[str]
    public: bool = False


def bearer_token(request: Request) -> str | None:
    """The bearer token of the request, `None` without an `Authorization` header."""
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized(AuthFailure.MALFORMED, "the Authorization header must use the Bearer scheme")
    if not credentials.strip():
        raise Unauthorized(AuthFailure.MISSING)
    return credentials.strip()


class _AuthDependency:
    """Base of the dependencies `requires` makes; `declared_requirement` looks for it."""

    __slots__ = ("requirement",)

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement

    def __repr__(self) -> str:
        if self.requirement.public:
            return "requires(public=True)"
        return f"requires({', '.join(repr(s) for s in sorted(self.requirement.scopes))})"

    async def _authenticate(self, request: Request, token: str) -> Principal:
        verifier = getattr(request.app.state, "token_verifier", None)
        if not isinstance(verifier, TokenVerifier):
            logger.error("no TokenVerifier on app.state.token_verifier: refusing the request")
            raise AuthenticationUnavailable("verifier_not_configured", "token verification is not configured")
        principal = await verifier.verify(token)
        request.state.principal = principal  # before the scope check: a refusal is audited with its actor
        require_scopes(principal, *self.requirement.scopes)
        return principal


class _RequireAuth(_AuthDependency):
    __slots__ = ()

    async def __call__(
        self,
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise Unauthorized(AuthFailure.MISSING)
        return await self._authenticate(request, token)


class _PublicAuth(_AuthDependency):
    __slots__ = ()

    async def __call__(self, request: Request) -> Principal | None:
        token = bearer_token(request)
        if token is None:
            return None
        return await self._authenticate(request, token)


def requires(*scopes: str, public: bool = False) -> params.Depends:
    """Declare (and enforce) what a route needs; see the module docstring.

        Caseworker = Annotated[Principal, requires("eligibility:applications:read")]

        @router.get("/x", dependencies=[requires(public=True)])

    At least one scope is required unless `public=True` (which takes no scopes)."""
    for scope in scopes:
        if not isinstance(scope, str) or not SCOPE_PATTERN.fullmatch(scope):
            raise ValueError(f"scope {scope!r} does not follow <service>:<resource>:<action>")
    if public and scopes:
        raise ValueError("a public route cannot require scopes")
    if not public and not scopes:
        raise ValueError("declare at least one scope, or public=True")
    requirement = Requirement(frozenset(scopes), public=public)
    dependency: _PublicAuth | _RequireAuth = _PublicAuth(requirement) if public else _RequireAuth(requirement)
    return params.Depends(dependency)


def _requirements(dependant: Any) -> Iterator[Requirement]:
    call = getattr(dependant, "call", None)
    if isinstance(call, _AuthDependency):
        yield call.requirement
    for sub in getattr(dependant, "dependencies", None) or ():
        yield from _requirements(sub)


def declared_requirement(route: object) -> Requirement | None:
    """The requirement declared anywhere in a route's dependency tree (route, router, include
    or nested dependencies); several merge: all their scopes, public only if all are public.

    `route` is an `APIRoute`/`APIWebSocketRoute` or a FastAPI route context (from
    `fastapi.routing.iter_route_contexts`, whose dependencies include those given to
    `include_router`)."""
    found = list(_requirements(getattr(route, "dependant", None)))
    if not found:
        return None
    if all(r.public for r in found):
        return Requirement(frozenset(), public=True)
    return Requirement(frozenset().union(*(r.scopes for r in found)), public=False)


def _route_views(routes: Sequence[BaseRoute]) -> Iterator[tuple[BaseRoute, Any]]:
    """(original route, effective view): routes of included routers are seen with their full
    path and every dependency added on the way (FastAPI includes routers lazily)."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    if iterate is None:  # FastAPI copying routes at include time: the route is its own view
        yield from ((route, route) for route in routes)
        return
    for context in iterate(routes):
        yield context.original_route, context


def _undeclared(routes: Sequence[BaseRoute], prefix: str, allow: Collection[str]) -> Iterator[str]:
    for original, view in _route_views(routes):
        local_path = str(getattr(view, "path", "") or "")
        path = prefix + local_path
        allowed = path in allow or local_path in allow  # infrastructure of a mounted app too
        if isinstance(original, APIRoute | APIWebSocketRoute):
            if allowed or declared_requirement(view) is not None:
                continue
            methods = sorted(view.methods or ()) if isinstance(original, APIRoute) else ["WEBSOCKET"]
            yield from (f"{method} {path}" for method in methods)
        elif isinstance(original, Mount | Host):
            sub_routes = view.routes
            if sub_routes:
                yield from _undeclared(sub_routes, path if isinstance(original, Mount) else prefix, allow)
            elif not allowed:
                yield f"MOUNT {path}"
        elif not allowed:
            methods = sorted(getattr(view, "methods", None) or ()) if isinstance(original, Route) else []
            yield from (f"{method} {path}" for method in methods or ["ANY"])


def undeclared_routes(app: FastAPI, *, allow: Collection[str] = INFRASTRUCTURE_PATHS) -> list[str]:
    """Every route (`"METHOD /path"`) of `app` without a declared requirement, except the
    paths in `allow` (matched against the full path and, inside a mounted app, its own path).
    Routes that cannot declare one (plain Starlette routes, mounted ASGI apps) are listed
    too: deny by default."""
    return sorted(set(_undeclared(app.router.routes, "", allow)))


def assert_all_declared(app: FastAPI, *, allow: Collection[str] = INFRASTRUCTURE_PATHS) -> None:
    """Raise `RuntimeError` if any route of `app` has no declared requirement."""
    missing = undeclared_routes(app, allow=allow)
    if missing:
        raise RuntimeError(f"routes without a declared access requirement: {', '.join(missing)}")


OPENAPI_SCOPES_KEY = "x-jiuzhu-scopes"
OPENAPI_PUBLIC_KEY = "x-jiuzhu-public"


def publish_requirements(app: FastAPI) -> None:
    """Write each route's declared requirement into its OpenAPI operation, so the gateway can
    enforce the same requirement before forwarding (the declaration stays in one place):

        "x-jiuzhu-scopes": ["eligibility:applications:read"], "x-jiuzhu-public": false

    Routes without a declaration get nothing (the gateway then only requires a valid token,
    and the service refuses them anyway). Done by wrapping `app.openapi`: FastAPI renders
    included routers from copies of their routes, so per-route `openapi_extra` set afterwards
    would not show."""
    declared: dict[tuple[str, str], Requirement] = {}
    for original, view in _route_views(app.router.routes):
        if not isinstance(original, APIRoute):
            continue
        requirement = declared_requirement(view)
        if requirement is None:
            continue
        path = str(getattr(view, "path_format", None) or getattr(view, "path", ""))
        for method in getattr(view, "methods", None) or original.methods or ():
            declared[(path, method.lower())] = requirement
    render = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = render()
        for (path, method), requirement in declared.items():
            operation = document.get("paths", {}).get(path, {}).get(method)
            if isinstance(operation, dict):
                operation[OPENAPI_SCOPES_KEY] = sorted(requirement.scopes)
                operation[OPENAPI_PUBLIC_KEY] = requirement.public
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def published_requirement(operation: Mapping[str, Any]) -> Requirement | None:
    """The requirement `publish_requirements` wrote into an OpenAPI operation, if any."""
    scopes = operation.get(OPENAPI_SCOPES_KEY)
    public = operation.get(OPENAPI_PUBLIC_KEY)
    if not isinstance(scopes, list) or not isinstance(public, bool):
        return None
    if not all(isinstance(scope, str) and SCOPE_PATTERN.fullmatch(scope) for scope in scopes):
        return None
    return Requirement(frozenset(scopes), public=public)
