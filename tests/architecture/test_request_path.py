"""The request path stays on the event loop: no route of any service or of the gateway
depends on a plain `def` dependency, which FastAPI runs in the thread pool on every request
(a thread hop per dependency per request: the largest cost of the service path once measured).
Found by walking every route's dependency tree, so a new route or dependency is checked
without touching this file; a synthetic app with a plain dependency proves the walk finds it."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant

from gateway.main import create_app as create_gateway
from gateway.settings import Settings as GatewaySettings
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.testing import test_pii_settings
from tests.access.support import DEFINITIONS
from tests.access.test_declared_requirements import build_app


def _runs_on_the_loop(call: Any) -> bool:
    if inspect.isclass(call):  # a class dependency is instantiated: cheap, no thread hop needed
        return True
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _walk(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _walk(sub)


def thread_pool_dependencies(app: FastAPI) -> list[str]:
    found = []
    for context in fastapi_routing.iter_route_contexts(app.router.routes):
        dependant = getattr(context, "dependant", None)
        if not isinstance(dependant, Dependant):
            continue
        for call in _walk(dependant):
            if not _runs_on_the_loop(call):
                found.append(f"{context.path}: {getattr(call, '__qualname__', repr(call))}")
    return sorted(set(found))


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.name for d in DEFINITIONS])
def test_no_service_route_depends_on_the_thread_pool(definition: ServiceDefinition, tmp_path: Path) -> None:
    app = build_app(definition, tmp_path)
    assert sum(1 for _ in _walk_all(app)) > 0  # the walk sees the dependencies at all
    assert thread_pool_dependencies(app) == []


def test_no_gateway_route_depends_on_the_thread_pool(tmp_path: Path) -> None:
    settings = GatewaySettings(
        env="test",
        upstreams={},
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        **test_pii_settings(),
    )
    app = create_gateway(settings)
    assert sum(1 for _ in _walk_all(app)) > 0
    assert thread_pool_dependencies(app) == []


def plain_dependency(request: Request) -> str:
    return request.url.path


async def nested_dependency(value: Annotated[str, Depends(plain_dependency)]) -> str:
    return value


async def synthetic_endpoint(value: Annotated[str, Depends(nested_dependency)]) -> str:
    return value


def test_the_walk_finds_a_plain_dependency() -> None:
    app = FastAPI()
    app.get("/x")(synthetic_endpoint)

    assert thread_pool_dependencies(app) == ["/x: plain_dependency"]


def _walk_all(app: FastAPI) -> Iterator[Any]:
    for context in fastapi_routing.iter_route_contexts(app.router.routes):
        dependant = getattr(context, "dependant", None)
        if isinstance(dependant, Dependant):
            yield from _walk(dependant)
