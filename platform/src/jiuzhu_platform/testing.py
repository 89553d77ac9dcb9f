"""Test helpers for services: a migrated SQLite database, the app on the in-process bus, an
async HTTP client, a token issuer, and a way to drain the outbox into the bus. For unit and API
tests; the integration and e2e tiers use the real PostgreSQL and Kafka (and the real gateway
as issuer).

`tier_harness` runs the same harness on a throwaway PostgreSQL database (the `distributed`
tier of a two-tier fixture), and the race helpers at the end stage and observe a real race on a
unique key (`staged_unique_race`, built from `uncommitted_insert`, `wait_for_lock_waiters` and
`recorded_unique_violations`)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from sqlalchemy import Table, event, insert, select, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import IntegrityError

from jiuzhu_platform.auth import ALL_SCOPES, Role, StaticKeySet
from jiuzhu_platform.bus import InProcessBus
from jiuzhu_platform.db import Database, is_unique_violation
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.pii import KeyRing, generate_key
from jiuzhu_platform.runtime import Runtime

TEST_ISSUER = "jiuzhu-gateway"
TEST_AUDIENCE = "jiuzhu-api"


@dataclass
class TestIssuer:
    """Signs ES256 access tokens the way the gateway does, with a key made per instance.

    `token(...)` mints one; `jwks` is the public key set a service is configured with."""

    __test__ = False  # not a pytest test class

    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE
    kid: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    _key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    @property
    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def key_source(self) -> StaticKeySet:
        return StaticKeySet(self.jwks)

    def token(
        self,
        *,
        kind: str = "staff",
        roles: Iterable[str] = (),
        scopes: Iterable[str] = (),
        region: str | None = None,
        household_id: str | None = None,
        client_id: str | None = None,
        subject: str | None = None,
        ttl_seconds: int = 300,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or f"{kind}-{uuid.uuid4().hex[:8]}",
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "kind": kind,
            "roles": list(roles),
            "scope": " ".join(sorted(scopes)),
        }
        optional = {"region": region, "household_id": household_id, "client_id": client_id}
        claims.update({name: value for name, value in optional.items() if value is not None})
        claims.update(extra)
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.kid, "typ": "at+jwt"})

    def headers(self, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**claims)}"}

    def superuser_headers(self) -> dict[str, str]:
        """A city-wide staff token holding every scope: for tests about something else. It lives
        an hour, not the 5 minutes of `token`: a harness's client (`ServiceHarness.client`) may
        serve a whole module's tests, which take longer than that on a busy machine."""
        return self.headers(
            subject="test-superuser", roles=(Role.CITY_ADMIN, Role.AUDITOR), scopes=ALL_SCOPES, ttl_seconds=3600
        )


TEST_PERSON_REF_KEY = "dGVzdC1wZXJzb24tcmVmLWtleS0zMi1ieXRlcy1sbmc"
"""The person reference key of test services (one for all, as the city-wide key is in production)."""


def test_key_ring() -> KeyRing:
    """A random PII key ring (tests only)."""
    return KeyRing.from_config({"t1": generate_key()}, "t1", generate_key())


test_key_ring.__test__ = False  # type: ignore[attr-defined]


def test_pii_settings() -> dict[str, Any]:
    """Settings values of a random PII key ring (tests only)."""
    return {
        "pii_keys": {"t1": generate_key()},
        "pii_active_key": "t1",
        "pii_index_key": generate_key(),
        "person_ref_key": TEST_PERSON_REF_KEY,
    }


test_pii_settings.__test__ = False  # type: ignore[attr-defined]


@dataclass
class ServiceHarness:
    definition: ServiceDefinition
    app: FastAPI
    client: httpx.AsyncClient
    """Sends a city-wide every-scope staff token (`issuer.superuser_headers()`) by default."""
    bus: InProcessBus
    issuer: TestIssuer

    @property
    def runtime(self) -> Runtime:
        runtime = self.app.state.runtime
        assert isinstance(runtime, Runtime)
        return runtime

    def anonymous_client(self, **claims: Any) -> httpx.AsyncClient:
        """A client of the app without a token, or with a token of `claims` when given; the
        caller closes it (`async with`)."""
        headers = self.issuer.headers(**claims) if claims else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=str(self.client.base_url), headers=headers
        )

    async def outbox_rows(self) -> list[dict[str, Any]]:
        """Every row of the service's outbox (all columns), in `seq` order: what it staged."""
        table = self.definition.outbox
        async with self.runtime.database.read() as session:
            rows = (await session.execute(select(table).order_by(table.c.seq))).mappings().all()
        return [dict(row) for row in rows]

    async def relay(self) -> int:
        """Publish everything in the outbox to the in-process bus; returns how many."""
        components = self.definition.worker_components(self.runtime)
        total = 0
        while published := await components.relay.run_once():
            total += published
        return total


@asynccontextmanager
async def service_harness(
    definition: ServiceDefinition,
    directory: Path,
    *,
    bus: InProcessBus | None = None,
    issuer: TestIssuer | None = None,
    **settings_values: Any,
) -> AsyncIterator[ServiceHarness]:
    """The service's app on a freshly migrated SQLite file in `directory` (or on the database of
    `database_url=`, migrated here), trusting `issuer` (a fresh `TestIssuer` by default) and
    with a random PII key ring."""
    url = settings_values.pop("database_url", None) or f"sqlite+aiosqlite:///{directory / f'{definition.name}.db'}"
    await definition.migrate(url)
    bus = bus or InProcessBus()
    issuer = issuer or TestIssuer()
    values: dict[str, Any] = {"env": "test", "database_url": url, "bus": "inprocess", **test_pii_settings()}
    values.update(settings_values)
    settings = definition.settings_class(**values)
    app = definition.create_app(settings, bus=bus, keys=issuer.key_source())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{definition.name}.test", headers=issuer.superuser_headers()
        ) as client:
            yield ServiceHarness(definition, app, client, bus, issuer)


class ThrowawayDatabases:
    """Creates empty PostgreSQL databases (`jz_test_<label>_<random>`) with the admin URL of the
    local test server (`JIUZHU_PG_ADMIN_URL`, exported by `deploy/local/postgres.sh env`) and
    drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin_dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
        self.created: list[str] = []

    @classmethod
    def from_env(cls) -> ThrowawayDatabases | None:
        url = os.environ.get("JIUZHU_PG_ADMIN_URL")
        return cls(url) if url else None

    @classmethod
    def required(cls) -> ThrowawayDatabases:
        """For a test's PostgreSQL tier: the local server's databases, or the test is skipped
        (failed under `JIUZHU_REQUIRE_SERVERS=1`, as in `make test`) when it is not running."""
        import pytest  # a test helper: pytest is there whenever this runs

        databases = cls.from_env()
        if databases is None:
            message = "JIUZHU_PG_ADMIN_URL is not set: start the servers with `make servers` (deploy/local/*.sh)"
            if os.environ.get("JIUZHU_REQUIRE_SERVERS") == "1":
                pytest.fail(message)
            pytest.skip(message)
        return databases

    async def create(self, label: str = "db") -> str:
        """A new empty database; its SQLAlchemy URL."""
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


TIERS = ("embedded", "distributed")
"""The two database tiers of a two-tier fixture:
`@pytest.fixture(params=["embedded", pytest.param("distributed", marks=pytest.mark.integration)])`."""


@asynccontextmanager
async def tier_harness(
    tier: str, definition: ServiceDefinition, directory: Path, **settings_values: Any
) -> AsyncIterator[ServiceHarness]:
    """`service_harness` on the tier's database: `embedded`, a SQLite file in `directory`;
    `distributed`, a throwaway PostgreSQL database of the local test server (skipped, or failed
    under `JIUZHU_REQUIRE_SERVERS=1`, when it is not running), dropped at the end. The bus is
    the in-process one on both tiers."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}: one of {', '.join(TIERS)}")
    if tier == "embedded":
        async with service_harness(definition, directory, **settings_values) as harness:
            yield harness
        return
    databases = ThrowawayDatabases.required()
    try:
        url = await databases.create(definition.name)
        async with service_harness(definition, directory, database_url=url, **settings_values) as harness:
            yield harness
    finally:
        await databases.drop_all()


# --------------------------------------------------------------------------- races on unique keys


@asynccontextmanager
async def uncommitted_insert(database: Database, table: Table, row: Mapping[str, Any]) -> AsyncIterator[None]:
    """Insert `row` in a transaction of its own and roll it back on exit.

    While it is open the row's keys are taken but the row is invisible to other transactions.
    On PostgreSQL a concurrent use case passes its look-up and then waits in its INSERT of the
    same key; on the rollback the waiting inserts race each other on the unique index. On
    SQLite every writer waits for this transaction's write lock (`BEGIN IMMEDIATE`), before its
    look-up."""
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            await connection.execute(insert(table), dict(row))
            yield
        finally:
            await transaction.rollback()


async def wait_for_lock_waiters(database: Database, count: int, *, timeout: float = 30.0) -> None:
    """PostgreSQL: return once `count` sessions of this database wait on a lock (an INSERT
    queued behind an uncommitted row with the same unique key); `TimeoutError` otherwise.
    SQLite shows no waiting writers: this only yields briefly so they can queue (what they then
    do does not depend on it, SQLite runs them one after the other)."""
    if database.dialect != "postgresql":
        await asyncio.sleep(0.1)
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )

    async def poll() -> None:
        while True:
            async with database.read() as session:
                if (await session.scalar(query) or 0) >= count:
                    return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


@contextmanager
def recorded_unique_violations(database: Database) -> Iterator[list[IntegrityError]]:
    """Every unique-key violation the database reports to `database`'s engine while open (the
    errors `insert_unique` turns into conflicts): proof that a conflict came from the database
    and not from the use case's look-up."""
    found: list[IntegrityError] = []

    def record(context: ExceptionContext) -> None:
        error = context.sqlalchemy_exception
        if isinstance(error, IntegrityError) and is_unique_violation(error):
            found.append(error)

    event.listen(database.engine.sync_engine, "handle_error", record)
    try:
        yield found
    finally:
        event.remove(database.engine.sync_engine, "handle_error", record)


@dataclass
class RaceOutcome:
    responses: list[httpx.Response]
    """The racing requests' responses, in the order they were sent."""
    unique_violations: list[IntegrityError]
    """What the database refused on the unique key: on PostgreSQL one per loser (the conflicts
    came from `insert_unique`), on SQLite none (the use case's look-up answered)."""


async def staged_unique_race(
    h: ServiceHarness,
    table: Table,
    held: Mapping[str, Any],
    send: Callable[[], Coroutine[Any, Any, httpx.Response]],
    *,
    count: int = 5,
) -> RaceOutcome:
    """`count` identical requests made to race on a unique key past the use case's look-up.

    A transaction of the test holds `held` (a row of `table` with the key the requests will
    insert) uncommitted while the requests are sent, so each finds nothing and goes on to its
    insert; on PostgreSQL the helper waits until all `count` wait on the unique index, then
    rolls back: they race, one inserts, the others are refused by the database. On SQLite the
    writers queue behind the held write lock before their look-up, so the look-up answers."""
    database = h.runtime.database
    with recorded_unique_violations(database) as violations:
        async with uncommitted_insert(database, table, held):
            requests = [asyncio.create_task(send()) for _ in range(count)]
            await wait_for_lock_waiters(database, count)
        responses = list(await asyncio.gather(*requests))
    return RaceOutcome(responses, list(violations))
