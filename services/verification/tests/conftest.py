"""Fixtures of the verification tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jiuzhu_platform.testing import ServiceHarness, service_harness
from verification.main import DEFINITION


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    """The verification app on a freshly migrated SQLite file and the in-process bus. `h.client`
    sends a city-wide token with every scope; `h.anonymous_client(**claims)` any other caller."""
    async with service_harness(DEFINITION, tmp_path) as harness:
        yield harness
