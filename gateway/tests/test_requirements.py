"""The route-requirement catalog (`gateway.requirements`): one fetch of a service's OpenAPI is
shared by everyone who needs it, including the callers who arrive while it is in flight."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from gateway.requirements import RequirementCatalog, RequirementsUnavailable

DOCUMENT = {
    "paths": {
        "/v1/svc/things/{thing_id}": {"get": {"x-jiuzhu-scopes": ["svc:things:read"]}},
    }
}


class SlowService:
    """Answers its OpenAPI once released (a service still starting, or a slow network)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail = fail

    async def fetch(self, service: str) -> Mapping[str, Any]:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("down")
        return DOCUMENT


async def test_callers_during_the_first_fetch_wait_for_it_instead_of_503() -> None:
    service = SlowService()
    catalog = RequirementCatalog(service.fetch)
    lookups = [asyncio.create_task(catalog.lookup("svc", "GET", f"/v1/svc/things/{n}")) for n in range(8)]
    await asyncio.sleep(0.01)
    assert not any(task.done() for task in lookups)  # all wait on the one fetch in flight
    service.release.set()
    found = await asyncio.gather(*lookups)
    assert {f.template for f in found} == {"/v1/svc/things/{thing_id}"}
    assert service.calls == 1


async def test_a_failed_first_fetch_is_a_503_for_everyone_who_waited_on_it() -> None:
    service = SlowService(fail=True)
    catalog = RequirementCatalog(service.fetch)
    lookups = [asyncio.create_task(catalog.lookup("svc", "GET", "/v1/svc/things/1")) for _ in range(3)]
    await asyncio.sleep(0.01)
    service.release.set()
    results = await asyncio.gather(*lookups, return_exceptions=True)
    assert all(isinstance(r, RequirementsUnavailable) for r in results)
    assert service.calls == 1  # and the next try waits for min_refresh_seconds
    with pytest.raises(RequirementsUnavailable):
        await catalog.lookup("svc", "GET", "/v1/svc/things/1")
    assert service.calls == 1
