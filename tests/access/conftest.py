"""Fixtures of the access-control and privacy suite: service harnesses (SQLite, in-process bus)
that all trust one `TestIssuer`, so one token works at every service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from jiuzhu_platform.testing import ServiceHarness, TestIssuer, service_harness
from tests.access.support import BY_NAME, SERVICE_NAMES, OpenHarness


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
async def open_harness(tmp_path: Path, issuer: TestIssuer) -> AsyncIterator[OpenHarness]:
    """Factory: `await open_harness("eligibility")` starts that service on a fresh database of
    this test; every harness opened is closed at the end of the test."""
    async with AsyncExitStack() as stack:

        async def open_one(name: str) -> ServiceHarness:
            directory = tmp_path / name
            directory.mkdir(exist_ok=True)
            return await stack.enter_async_context(service_harness(BY_NAME[name], directory, issuer=issuer))

        yield open_one


@pytest.fixture(scope="module")
async def harnesses(
    tmp_path_factory: pytest.TempPathFactory, issuer: TestIssuer
) -> AsyncIterator[dict[str, ServiceHarness]]:
    """All five services, shared by the tests of one module (for read-mostly matrices)."""
    async with AsyncExitStack() as stack:
        opened: dict[str, ServiceHarness] = {}
        for name in SERVICE_NAMES:
            directory = tmp_path_factory.mktemp(f"access-{name}")
            opened[name] = await stack.enter_async_context(service_harness(BY_NAME[name], directory, issuer=issuer))
        yield opened


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was (`configure_logging` replaces its handlers)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {
        name: logging.getLogger(name).level for name in ("aiokafka", "kafka", "sqlalchemy.engine", "httpx", "httpcore")
    }
    uvicorn_access_disabled = logging.getLogger("uvicorn.access").disabled
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        logging.getLogger("uvicorn.access").disabled = uvicorn_access_disabled
