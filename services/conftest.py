"""The harness fixtures every service's tests use. Each service's `tests/conftest.py` says which
service it is (`definition`) and adds fixtures of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.testing import ServiceHarness, service_harness, tier_harness


@pytest.fixture
async def h(definition: ServiceDefinition, tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    """The service's app on a freshly migrated SQLite file and the in-process bus. `h.client`
    sends a city-wide token with every scope; `h.anonymous_client(**claims)` any other caller."""
    async with service_harness(definition, tmp_path) as harness:
        yield harness


@pytest.fixture(params=["embedded", pytest.param("distributed", marks=pytest.mark.integration)])
async def tier_h(
    definition: ServiceDefinition, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[ServiceHarness]:
    """`h` on SQLite (`embedded`) and on a throwaway PostgreSQL database (`distributed`): for
    what only PostgreSQL really exercises, such as concurrent writers."""
    async with tier_harness(request.param, definition, tmp_path) as harness:
        yield harness
