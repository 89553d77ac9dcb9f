"""Fixtures of the gateway tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.db import migrate_async
from gateway.testing import ThrowawayPostgres, migrated_sqlite


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The gateway's database, migrated: a SQLite file, and a throwaway PostgreSQL database of
    the local test server (`integration`). A module may narrow it (override the fixture)."""
    if request.param == "sqlite":
        yield await migrated_sqlite(tmp_path)
        return
    databases = ThrowawayPostgres.required()
    url = await databases.create("gateway")
    try:
        await migrate_async(url)
        yield url
    finally:
        await databases.drop_all()
