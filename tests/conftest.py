"""Fixtures for the cross-service tiers: throwaway PostgreSQL databases and Kafka settings from
the servers that `deploy/local/*.sh` start (their `env` commands export the addresses).

Without those servers the integration and e2e tests are skipped with a reason, unless
`JIUZHU_REQUIRE_SERVERS=1` (set by `make test` and CI), where a missing server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from jiuzhu_platform.testing import ThrowawayDatabases

REPO = Path(__file__).resolve().parents[1]


def server_setting(name: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    message = f"{name} is not set: start the servers with `make servers` (deploy/local/*.sh)"
    if os.environ.get("JIUZHU_REQUIRE_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def kafka_bootstrap() -> str:
    return server_setting("JIUZHU_KAFKA_BOOTSTRAP")


@pytest.fixture
def pg_admin_url() -> str:
    return server_setting("JIUZHU_PG_ADMIN_URL")


CreateDatabase = Callable[[str], Awaitable[str]]


@pytest.fixture
async def pg_database(pg_admin_url: str) -> AsyncIterator[CreateDatabase]:
    """Factory: `await pg_database("eligibility")` creates an empty database and returns its
    SQLAlchemy URL; every database made is dropped at the end of the test."""
    databases = ThrowawayDatabases(pg_admin_url)
    yield databases.create
    await databases.drop_all()
