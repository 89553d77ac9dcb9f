"""Fixtures for the cross-service tiers: throwaway PostgreSQL databases and Kafka settings from
the servers that `deploy/local/*.sh` start (their `env` commands export the addresses).

Without those servers the integration and e2e tests are skipped with a reason, unless
`JIUZHU_REQUIRE_SERVERS=1` (set by `make test` and CI), where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

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


class ThrowawayDatabases:
    """Creates empty PostgreSQL databases (`jz_test_<label>_<random>`) and drops them all."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin_dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
        self.created: list[str] = []

    async def create(self, label: str) -> str:
        name = f"jz_test_{label}_{uuid.uuid4().hex[:10]}"
        connection = await asyncpg.connect(self.admin_dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self.created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    async def drop_all(self) -> None:
        connection = await asyncpg.connect(self.admin_dsn)
        try:
            for name in self.created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@pytest.fixture
async def pg_database(pg_admin_url: str) -> AsyncIterator[CreateDatabase]:
    """Factory: `await pg_database("eligibility")` creates an empty database and returns its
    SQLAlchemy URL; every database made is dropped at the end of the test."""
    databases = ThrowawayDatabases(pg_admin_url)
    yield databases.create
    await databases.drop_all()
