"""Database sessions and the connection pool.

- Read-only sessions (`Database.read`, the routes' `ReadSessionDep`) run outside a transaction
  and refuse writes, on SQLite and on the real PostgreSQL; ordinary transactions stay atomic
  on the same pooled connections afterwards.
- On the real PostgreSQL: a connection that died while idle is replaced before a request uses
  it, and a connection in steady use is not pinged (the round trips that `pool_pre_ping` spent
  on every checkout)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import DBAPIError

from jiuzhu_platform.db import Database, ReadOnlySession
from jiuzhu_platform.testing import ThrowawayDatabases

metadata = MetaData()
thing = Table("thing", metadata, Column("id", Integer, primary_key=True))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    databases = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'read.db'}"
    else:
        databases = ThrowawayDatabases.required()
        url = await databases.create("read")
    database = Database.from_url(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()
        if databases is not None:
            await databases.drop_all()


async def count(database: Database) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(text("count(*)")).select_from(thing)) or 0)


class TestReadOnlySessions:
    async def test_a_read_sees_what_is_committed_and_does_not_wait_for_a_writer(self, database: Database) -> None:
        async with database.transaction() as session:
            await session.execute(insert(thing).values(id=1))
        async with database.transaction() as writer:
            await writer.execute(insert(thing).values(id=2))
            await writer.flush()
            # SQLite: the writer holds the write lock; a read must not queue behind it
            assert await asyncio.wait_for(count(database), 5) == 1
        assert await count(database) == 2

    async def test_a_write_through_a_read_session_is_refused(self, database: Database) -> None:
        with pytest.raises(ReadOnlySession):
            async with database.read() as session:
                await session.execute(insert(thing).values(id=1))
        assert await count(database) == 0

    async def test_transactions_stay_atomic_after_reads(self, database: Database) -> None:
        for _ in range(3):
            await count(database)  # the pool's connections have served reads

        async def failing_request() -> None:
            async with database.transaction() as session:
                await session.execute(insert(thing).values(id=1))
                await session.flush()
                raise RuntimeError("the request failed")

        with pytest.raises(RuntimeError):
            await failing_request()
        assert await count(database) == 0


@pytest.fixture
async def database_url(pg_admin_url: str) -> AsyncIterator[str]:
    databases = ThrowawayDatabases(pg_admin_url)
    yield await databases.create("pool")
    await databases.drop_all()


async def backend_pid(database: Database) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def terminate(pg_admin_url: str, pid: int) -> None:
    connection = await asyncpg.connect(pg_admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await connection.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()


@pytest.mark.integration
class TestPooledConnections:
    async def test_a_connection_that_died_while_idle_is_replaced(self, pg_admin_url: str, database_url: str) -> None:
        database = Database.from_url(database_url, idle_ping_seconds=0.0, pool_size=1, max_overflow=0)
        try:
            first = await backend_pid(database)
            await terminate(pg_admin_url, first)  # a database restart, as the pooled connection sees it
            assert await backend_pid(database) != first  # pinged, found dead, replaced: no error
        finally:
            await database.dispose()

    async def test_a_connection_in_steady_use_is_not_pinged(self, pg_admin_url: str, database_url: str) -> None:
        """The control: within the idle window nothing checks the connection, so a death there
        reaches the request (once; SQLAlchemy then replaces the pool's connections)."""
        database = Database.from_url(database_url, idle_ping_seconds=3600.0, pool_size=1, max_overflow=0)
        try:
            first = await backend_pid(database)
            await terminate(pg_admin_url, first)
            with pytest.raises(DBAPIError):
                await backend_pid(database)
            assert await backend_pid(database) != first
        finally:
            await database.dispose()
