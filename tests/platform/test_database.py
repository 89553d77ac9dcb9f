"""Database sessions and the connection pool.

- Read-only sessions (`Database.read`, the routes' `ReadSessionDep`) run outside a transaction
  and refuse writes, on SQLite and on the real PostgreSQL; ordinary transactions stay atomic
  on the same pooled connections afterwards.
- `insert_unique`, on SQLite and on the real PostgreSQL: a taken unique key is the caller's
  conflict and only the savepoint is undone; a race that reaches the database is decided by the
  unique index; other integrity errors stay errors.
- On the real PostgreSQL: a connection that died while idle is replaced before a request uses
  it, and a connection in steady use is not pinged (the round trips that `pool_pre_ping` spent
  on every checkout)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import Database, ReadOnlySession, insert_unique
from jiuzhu_platform.errors import Conflict
from jiuzhu_platform.testing import (
    ThrowawayDatabases,
    recorded_unique_violations,
    uncommitted_insert,
    wait_for_lock_waiters,
)

metadata = MetaData()
thing = Table("thing", metadata, Column("id", Integer, primary_key=True))
member = Table(
    "member",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(10), nullable=False, unique=True),
    Column("name", String(50), nullable=False),
)


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


class CodeTaken(Conflict):
    def __init__(self, code: str, holder: int | None) -> None:
        super().__init__(f"code {code} is taken by {holder}")
        self.holder = holder


async def holder_of(session: AsyncSession, code: str) -> int | None:
    return await session.scalar(select(member.c.id).where(member.c.code == code))


async def add_member(session: AsyncSession, member_id: int, code: str, name: str | None = "x") -> None:
    """Insert a member; `CodeTaken`, naming the holder of the code, if the code is taken."""

    async def taken() -> CodeTaken:
        return CodeTaken(code, await holder_of(session, code))

    row = {"id": member_id, "code": code, "name": name}
    await insert_unique(session, insert(member), row, conflict=taken)


async def members(database: Database) -> list[tuple[int, str]]:
    async with database.read() as session:
        return [(r.id, r.code) for r in await session.execute(select(member).order_by(member.c.id))]


class TestInsertUnique:
    async def test_a_free_key_is_inserted(self, database: Database) -> None:
        async with database.transaction() as session:
            await add_member(session, 1, "a")

        assert await members(database) == [(1, "a")]

    async def test_a_taken_key_is_the_callers_conflict_and_the_transaction_goes_on(self, database: Database) -> None:
        async with database.transaction() as session:
            await add_member(session, 1, "a")
        with recorded_unique_violations(database) as violations:
            async with database.transaction() as session:
                with pytest.raises(CodeTaken) as caught:
                    await add_member(session, 2, "a")
                await add_member(session, 3, "b")  # only the savepoint was rolled back

        assert caught.value.holder == 1
        assert len(violations) == 1
        assert await members(database) == [(1, "a"), (3, "b")]

    async def test_a_taken_primary_key_is_a_conflict_too(self, database: Database) -> None:
        async with database.transaction() as session:
            await add_member(session, 1, "a")
            with pytest.raises(CodeTaken):
                await add_member(session, 1, "b")

        assert await members(database) == [(1, "a")]

    async def test_another_integrity_error_is_not_a_conflict(self, database: Database) -> None:
        with recorded_unique_violations(database) as violations:
            async with database.transaction() as session:
                with pytest.raises(IntegrityError):
                    await add_member(session, 1, "a", name=None)  # NOT NULL

        assert violations == []
        assert await members(database) == []

    async def test_the_loser_of_a_race_gets_the_conflict_naming_the_winner(self, database: Database) -> None:
        """Two transactions insert code `a`; the first holds it uncommitted while the second
        tries. On PostgreSQL the second waits in its INSERT on the unique index, on SQLite for
        the write lock; once the first commits, the second is refused by the database and its
        conflict names the committed winner."""
        winner_holds_the_key = asyncio.Event()
        winner_may_commit = asyncio.Event()

        async def winner() -> None:
            async with database.transaction() as session:
                await add_member(session, 1, "a")
                await session.flush()
                winner_holds_the_key.set()
                await winner_may_commit.wait()

        async def loser() -> None:
            async with database.transaction() as session:
                await add_member(session, 2, "a")

        with recorded_unique_violations(database) as violations:
            first = asyncio.create_task(winner())
            await asyncio.wait_for(winner_holds_the_key.wait(), 30)
            second = asyncio.create_task(loser())
            await wait_for_lock_waiters(database, 1)
            assert not second.done(), "the loser must wait for the winner's transaction"
            winner_may_commit.set()
            await first
            with pytest.raises(CodeTaken) as caught:
                await second

        assert caught.value.holder == 1
        assert len(violations) == 1
        assert await members(database) == [(1, "a")]


@pytest.mark.integration
class TestUncommittedInsert:
    async def test_racing_inserts_queue_behind_it_and_one_wins_after_its_rollback(self, tmp_path: Path) -> None:
        """The staging the services' race tests use, on PostgreSQL: while the helper holds the
        key, every insert of it passes a look-up and waits on the index; after the rollback one
        insert wins and the others are refused by the database."""
        databases = ThrowawayDatabases.required()
        database = Database.from_url(await databases.create("race"))
        try:
            async with database.engine.begin() as connection:
                await connection.run_sync(metadata.create_all)

            async def look_then_add(member_id: int) -> str:
                async with database.transaction() as session:
                    if await holder_of(session, "a") is not None:
                        return "seen"
                    try:
                        await add_member(session, member_id, "a")
                    except CodeTaken:
                        return "conflict"
                return "added"

            with recorded_unique_violations(database) as violations:
                async with uncommitted_insert(database, member, {"id": 99, "code": "a", "name": "held"}):
                    tasks = [asyncio.create_task(look_then_add(n)) for n in range(1, 5)]
                    await wait_for_lock_waiters(database, 4)
                outcomes = await asyncio.gather(*tasks)
        finally:
            await database.dispose()
            await databases.drop_all()

        assert sorted(outcomes) == ["added", "conflict", "conflict", "conflict"]
        assert len(violations) == 3


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
