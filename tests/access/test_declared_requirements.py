"""Deny by default: every route of every service declares what it needs, the declarations use
known scopes, and they are published in OpenAPI for the gateway."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from starlette.responses import PlainTextResponse

from jiuzhu_platform.auth import (
    ALL_SCOPES,
    INFRASTRUCTURE_PATHS,
    OPENAPI_PUBLIC_KEY,
    OPENAPI_SCOPES_KEY,
    SCOPE_PATTERN,
    assert_all_declared,
    published_requirement,
    requires,
    undeclared_routes,
)
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.testing import TestIssuer, test_pii_settings
from tests.access.support import DEFINITIONS, operations

CROSS_CUTTING_AREAS = frozenset({"audit", "pii"})
"""Two-part scopes any service may require (`audit:read`, `pii:read_full`)."""

PUBLIC_OPERATIONS: frozenset[str] = frozenset()
"""Operations reviewed and accepted as open to anyone (none today). A route declared
`requires(public=True)` must be added here on purpose."""

MINIMUM_OPERATIONS = {"eligibility": 10, "verification": 5, "payment": 4, "monitoring": 4, "procurement": 4}
"""At least the operations there are today (so an enumeration that finds nothing cannot pass)."""

ids = [d.name for d in DEFINITIONS]


def build_app(definition: ServiceDefinition, tmp_path: Path) -> FastAPI:
    """The service's app, as `create_app` builds it (no lifespan: nothing is opened)."""
    settings = definition.settings_class(
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / f'{definition.name}.db'}",
        bus="inprocess",
        **test_pii_settings(),
    )
    return definition.create_app(settings, keys=TestIssuer().key_source())


def with_extra_router(definition: ServiceDefinition, extra: APIRouter) -> ServiceDefinition:
    original = definition.routers
    return dataclasses.replace(definition, routers=lambda: [*original(), extra])


async def sneaky() -> dict[str, str]:
    return {"secret": "data"}


async def raw_asgi(scope: Any, receive: Any, send: Any) -> None:
    """A mounted ASGI app: it cannot declare anything."""
    await PlainTextResponse("files")(scope, receive, send)


def not_an_auth_check() -> None:
    """A dependency that looks like a guard but declares nothing."""


@pytest.mark.parametrize("definition", DEFINITIONS, ids=ids)
class TestEveryRouteIsDeclared:
    def test_no_undeclared_route(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        app = build_app(definition, tmp_path)

        assert undeclared_routes(app) == []
        assert_all_declared(app)  # does not raise

    def test_the_enumeration_finds_the_service_routes(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        found = operations(build_app(definition, tmp_path))

        assert len(found) >= MINIMUM_OPERATIONS[definition.name], [o.key for o in found]
        keys = {o.key for o in found}
        assert f"GET /v1/{definition.name}/audit" in keys
        assert f"GET /v1/{definition.name}/audit/verify" in keys
        assert all(o.path.startswith(f"/v1/{definition.name}/") for o in found), keys

    def test_an_undeclared_route_is_refused_at_build_time(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        extra = APIRouter(prefix=f"/v1/{definition.name}")
        extra.add_api_route("/undeclared", sneaky, methods=["GET"])

        with pytest.raises(RuntimeError, match="without a declared access requirement") as refused:
            build_app(with_extra_router(definition, extra), tmp_path)

        assert f"GET /v1/{definition.name}/undeclared" in str(refused.value)

    def test_a_dependency_that_is_not_requires_does_not_count(
        self, definition: ServiceDefinition, tmp_path: Path
    ) -> None:
        extra = APIRouter(prefix=f"/v1/{definition.name}", dependencies=[Depends(not_an_auth_check)])
        extra.add_api_route("/guarded-by-nothing", sneaky, methods=["POST", "DELETE"])

        with pytest.raises(RuntimeError) as refused:
            build_app(with_extra_router(definition, extra), tmp_path)

        message = str(refused.value)
        assert f"POST /v1/{definition.name}/guarded-by-nothing" in message
        assert f"DELETE /v1/{definition.name}/guarded-by-nothing" in message

    def test_a_plain_starlette_route_is_refused(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        extra = APIRouter()

        async def raw(_request: Any) -> PlainTextResponse:
            return PlainTextResponse("raw")

        extra.add_route(f"/v1/{definition.name}/raw", raw, methods=["GET"])

        with pytest.raises(RuntimeError, match=f"GET /v1/{definition.name}/raw"):
            build_app(with_extra_router(definition, extra), tmp_path)

    def test_a_route_added_to_a_built_app_is_found(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        app = build_app(definition, tmp_path)
        app.add_api_route(f"/v1/{definition.name}/late", sneaky, methods=["PUT"])
        sub_app = FastAPI()
        sub_app.add_api_route("/files", sneaky, methods=["GET"])
        app.mount(f"/v1/{definition.name}/sub", sub_app)
        app.mount(f"/v1/{definition.name}/static", raw_asgi)

        assert undeclared_routes(app) == [
            f"GET /v1/{definition.name}/sub/files",
            f"MOUNT /v1/{definition.name}/static",
            f"PUT /v1/{definition.name}/late",
        ]
        with pytest.raises(RuntimeError, match="without a declared access requirement"):
            assert_all_declared(app)

    def test_a_requirement_given_at_include_time_counts(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        """Positive control: the checker sees dependencies added by `include_router`."""
        extra = APIRouter(prefix=f"/v1/{definition.name}")
        extra.add_api_route("/included", sneaky, methods=["GET"])
        app = build_app(definition, tmp_path)
        app.include_router(extra, dependencies=[requires("audit:read")])

        assert undeclared_routes(app) == []
        (included,) = [o for o in operations(app) if o.path.endswith("/included")]
        assert included.requirement.scopes == {"audit:read"}


@pytest.mark.parametrize("definition", DEFINITIONS, ids=ids)
class TestDeclaredScopes:
    def test_every_declared_scope_is_a_known_scope(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        unknown = {
            f"{o.key}: {scope}"
            for o in operations(build_app(definition, tmp_path))
            for scope in o.requirement.scopes
            if scope not in ALL_SCOPES or not SCOPE_PATTERN.fullmatch(scope)
        }

        assert unknown == set()

    def test_a_service_requires_its_own_scopes_or_cross_cutting_ones(
        self, definition: ServiceDefinition, tmp_path: Path
    ) -> None:
        foreign = {
            f"{o.key}: {scope}"
            for o in operations(build_app(definition, tmp_path))
            for scope in o.requirement.scopes
            if scope.split(":", 1)[0] not in {definition.name, *CROSS_CUTTING_AREAS}
        }

        assert foreign == set()

    def test_no_operation_is_public_unless_reviewed(self, definition: ServiceDefinition, tmp_path: Path) -> None:
        found = operations(build_app(definition, tmp_path))
        public = {o.key for o in found if o.requirement.public}

        assert public <= PUBLIC_OPERATIONS, f"new public operations need a review: {sorted(public - PUBLIC_OPERATIONS)}"
        assert all(o.requirement.scopes for o in found if not o.requirement.public)


async def openapi_operations(app: FastAPI) -> dict[str, dict[str, Any]]:
    """`"METHOD /path"` -> operation of the app's `/openapi.json`, infrastructure left out."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc.test") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    return {
        f"{method.upper()} {path}": operation
        for path, item in response.json()["paths"].items()
        if path not in INFRASTRUCTURE_PATHS
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


@pytest.mark.parametrize("definition", DEFINITIONS, ids=ids)
class TestPublishedRequirements:
    async def test_every_declared_operation_is_in_openapi_with_bearer_and_refusals(
        self, definition: ServiceDefinition, tmp_path: Path
    ) -> None:
        app = build_app(definition, tmp_path)
        published = await openapi_operations(app)
        declared = {o.key: o.requirement for o in operations(app)}

        assert set(published) == set(declared)  # nothing declared is hidden from the gateway
        problems = []
        for key, operation in published.items():
            if declared[key].public:
                continue
            audit_route = key.split(" ", 1)[1].startswith(f"/v1/{definition.name}/audit")
            if not audit_route and not {"401", "403"} <= set(operation.get("responses", {})):
                problems.append(f"{key}: 401/403 not documented")
            if {"bearer": []} not in operation.get("security", []):
                problems.append(f"{key}: no bearer security requirement")
        assert problems == []

    async def test_every_error_status_documents_its_reason_codes(
        self, definition: ServiceDefinition, tmp_path: Path
    ) -> None:
        """Clients branch on `reason`: each 4xx/5xx an operation declares names its codes and
        uses the common error body; protected operations name `scope_missing` and a token one."""
        published = await openapi_operations(build_app(definition, tmp_path))
        problems = []
        for key, operation in published.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith(("4", "5")):
                    continue
                description = response.get("description", "")
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if "`reason`: `" not in description or schema.get("$ref") != "#/components/schemas/ErrorBody":
                    problems.append(f"{key} {status}: {description!r}")
            responses = operation.get("responses", {})
            if "`scope_missing`" not in responses.get("403", {}).get("description", ""):
                problems.append(f"{key}: 403 scope_missing not documented")
            if "`token_expired`" not in responses.get("401", {}).get("description", ""):
                problems.append(f"{key}: 401 token reasons not documented")
        assert problems == []

    async def test_the_audit_routes_document_their_refusals(
        self, definition: ServiceDefinition, tmp_path: Path
    ) -> None:
        published = await openapi_operations(build_app(definition, tmp_path))

        for path in (f"/v1/{definition.name}/audit", f"/v1/{definition.name}/audit/verify"):
            assert {"401", "403"} <= set(published[f"GET {path}"]["responses"]), path

    async def test_every_operation_in_openapi_carries_its_requirement(
        self, definition: ServiceDefinition, tmp_path: Path
    ) -> None:
        """What the gateway enforces before forwarding (gateway.requirements) is read from here.
        Regression: per-route `openapi_extra` set after FastAPI had built the included routes'
        effective copies never reached the document, so nothing was published."""
        app = build_app(definition, tmp_path)
        published = await openapi_operations(app)
        declared = {o.key: o.requirement for o in operations(app)}

        missing = [
            key
            for key, operation in published.items()
            if not isinstance(operation.get(OPENAPI_SCOPES_KEY), list)
            or not isinstance(operation.get(OPENAPI_PUBLIC_KEY), bool)
        ]
        assert missing == [], f"operations without {OPENAPI_SCOPES_KEY}/{OPENAPI_PUBLIC_KEY}"
        assert {key: published_requirement(op) for key, op in published.items()} == declared
