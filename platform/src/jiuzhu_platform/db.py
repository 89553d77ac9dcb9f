"""Async engines and transactions. Engines are built by the app's lifespan or the worker's
bootstrap, never at import.

- API: `session_dependency` commits when the endpoint returns and rolls back on error.
- Workers: `async with database.transaction() as session:` with the same semantics.
- Services only `flush()`.
- `insert_unique`: an insert that may lose a race on a unique key becomes the domain's
  `Conflict`, and the caller's transaction goes on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Executable, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

if TYPE_CHECKING:
    from jiuzhu_platform.errors import Conflict


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for PostgreSQL (asyncpg) or SQLite (aiosqlite).

    SQLite: WAL journal, foreign keys on, a busy timeout; the file's folder is created.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # The driver's own transaction handling does not send BEGIN before a SELECT, so a
            # SAVEPOINT would start (and its RELEASE commit) the real transaction. Hand
            # transaction control to SQLAlchemy instead (its documented SQLite recipe), and
            # begin IMMEDIATE: a deferred transaction that reads and then writes cannot wait for
            # a concurrent writer (SQLite fails it with "database is locked" at once), whereas
            # IMMEDIATE takes the write lock up front and queues behind `busy_timeout`. Writers
            # are serialised, which suits the embedded mode (one process, a few users).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            if not connection.get_execution_options().get(READ_ONLY_OPTION):
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    idle_ping_seconds = kwargs.pop("idle_ping_seconds", IDLE_PING_SECONDS)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    ping_after_idle(engine, idle_ping_seconds)
    return engine


IDLE_PING_SECONDS = 5.0
"""A pooled connection idle longer than this is pinged before use."""


def ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Check a pooled connection before use only if it sat idle for `idle_seconds`.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: on asyncpg that is BEGIN, a query and
    ROLLBACK, three round trips before every request's own work. A connection in steady use
    was just proven alive by its last statement; the one that may have died (a database
    restart, a firewall dropping idle sockets) is the one left idle. A failed ping raises
    `DisconnectionError`, which makes the pool discard that connection and connect afresh
    (SQLAlchemy's documented pessimistic-disconnect hook). A connection that dies in the
    middle of a busy spell fails its one request; SQLAlchemy then invalidates the whole pool.
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer a ping") from exc


READ_ONLY_OPTION = "jiuzhu_read_only"
"""Execution option of the read-only sessions' connections."""


class ReadOnlySession(Exception):
    """A write was attempted through a read-only session (`Database.read`): a programming error."""


def _refuse_writes(
    _conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _executemany: bool
) -> None:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        raise ReadOnlySession(f"a read-only session cannot write: {statement.split(maxsplit=1)[0]}")


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        engine = create_engine(url, **kwargs)
        # The same pool, outside a transaction: a read needs no BEGIN and COMMIT (two round trips
        # on PostgreSQL, where the driver's autocommit does it; on SQLite the driver already
        # runs in autocommit and the BEGIN IMMEDIATE hook, which would take the write lock,
        # stands aside). Writes through it are refused.
        autocommit = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}
        reader = engine.execution_options(**autocommit, **{READ_ONLY_OPTION: True})
        event.listen(reader.sync_engine, "before_cursor_execute", _refuse_writes)
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False),
            async_sessionmaker(reader, expire_on_commit=False, autoflush=False),
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any exception (or crash)."""
        async with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            else:
                await session.commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work outside a transaction: each statement sees what is committed
        when it runs (no snapshot across statements). For requests that only read; a write
        raises `ReadOnlySession`."""
        async with self.read_sessionmaker() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


# --------------------------------------------------------------------------- unique keys

_UNIQUE_VIOLATION_SQLSTATE = "23505"
_SQLITE_UNIQUE_VIOLATIONS = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the database refused the statement because a unique key (or the primary key) is
    taken: SQLSTATE 23505 on PostgreSQL, `SQLITE_CONSTRAINT_UNIQUE`/`_PRIMARYKEY` on SQLite. Not
    a NOT NULL, foreign key or check violation."""
    driver_error = error.orig
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate is not None:
        return bool(sqlstate == _UNIQUE_VIOLATION_SQLSTATE)
    return getattr(driver_error, "sqlite_errorname", None) in _SQLITE_UNIQUE_VIOLATIONS


async def insert_unique(
    session: AsyncSession,
    statement: Executable,
    parameters: Mapping[str, Any],
    *,
    conflict: Callable[[], Awaitable[Conflict]],
) -> None:
    """Run an insert in a savepoint; if a unique key is taken, raise `await conflict()`.

    For a row that must be unique (one payroll run per county and month, one provider per
    credit code). The use case looks first and refuses a duplicate it can see; this covers the
    duplicate it cannot see yet: a concurrent request that committed after the look-up. On
    PostgreSQL both inserts reach the unique index and the later one fails there; only the
    savepoint is rolled back, so the caller's transaction goes on and `conflict()` can read the
    row that won (it is committed by then) to name it in the domain's `Conflict`. On SQLite,
    `BEGIN IMMEDIATE` queues writers before their look-up, so the look-up answers instead.

    Any other integrity error (NOT NULL, foreign key, check) propagates unchanged: it is a bug,
    not a conflict."""
    try:
        async with session.begin_nested():
            await session.execute(statement, dict(parameters))
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        raise await conflict() from None
