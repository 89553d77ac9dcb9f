"""Fixtures of the eligibility tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from eligibility.main import DEFINITION
from jiuzhu_platform.testing import ServiceHarness, service_harness


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    """The eligibility app on a freshly migrated SQLite file and the in-process bus. `h.client`
    sends a city-wide token with every scope; `h.anonymous_client(**claims)` any other caller."""
    async with service_harness(DEFINITION, tmp_path) as harness:
        yield harness


@pytest.fixture(scope="module")
async def module_h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServiceHarness]:
    """One eligibility app for all the tests of a module: for tests that store nothing (what-if
    assessments, policy reads), so they need not migrate a database each."""
    async with service_harness(DEFINITION, tmp_path_factory.mktemp("eligibility")) as harness:
        yield harness
