"""Fixtures of the eligibility tests (with `h` and `tier_h` from services/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eligibility.main import DEFINITION
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.testing import ServiceHarness, service_harness


@pytest.fixture(scope="session")
def definition() -> ServiceDefinition:
    return DEFINITION


@pytest.fixture(scope="module")
async def module_h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ServiceHarness]:
    """One eligibility app for all the tests of a module: for tests that store nothing (what-if
    assessments, policy reads), so they need not migrate a database each."""
    async with service_harness(DEFINITION, tmp_path_factory.mktemp("eligibility")) as harness:
        yield harness
