"""Region scoping in the query (`jiuzhu_platform.scoping.region_clause`) selects exactly the
records `RegionScope.allows` admits, for every kind of caller, on SQLite and PostgreSQL: a list
filtered in SQL has full pages and true totals, and means the same as the per-record check."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, Uuid, insert, select

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.db import Database
from jiuzhu_platform.scoping import region_clause
from jiuzhu_platform.testing import ThrowawayDatabases

metadata = MetaData()
record = Table(
    "record",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("region_code", String(6), nullable=False),
    Column("town_code", String(12), nullable=True),
    Column("household_id", Uuid, nullable=False),
)

HOUSEHOLD = uuid.uuid4()
RECORDS = [
    (uuid.uuid4(), "520102", "520102001000", HOUSEHOLD),
    (uuid.uuid4(), "520102", "520102002000", uuid.uuid4()),
    (uuid.uuid4(), "520102", None, uuid.uuid4()),  # placed in the county only
    (uuid.uuid4(), "520103", "520103001000", uuid.uuid4()),
    (uuid.uuid4(), "520103", None, uuid.uuid4()),
]
SCOPES = [
    RegionScope(AccessLevel.CITY),
    RegionScope(AccessLevel.CITY, household_data=False),
    RegionScope(AccessLevel.COUNTY, region_code="520102"),
    RegionScope(AccessLevel.COUNTY, region_code="520199"),
    RegionScope(AccessLevel.TOWN, region_code="520102001000"),
    RegionScope(AccessLevel.TOWN, region_code="520103002000"),
    RegionScope(AccessLevel.HOUSEHOLD, household_id=str(HOUSEHOLD)),
    RegionScope(AccessLevel.HOUSEHOLD, household_id="not-a-uuid"),
    RegionScope(AccessLevel.NONE),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    databases = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'scoping.db'}"
    else:
        databases = ThrowawayDatabases.required()
        url = await databases.create("scoping")
    database = Database.from_url(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(
            insert(record),
            [{"id": i, "region_code": c, "town_code": t, "household_id": h} for i, c, t, h in RECORDS],
        )
    try:
        yield database
    finally:
        await database.dispose()
        if databases is not None:
            await databases.drop_all()


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.level}-{s.region_code or s.household_id or ''}")
async def test_the_query_selects_what_the_scope_allows(database: Database, scope: RegionScope) -> None:
    where = region_clause(scope, county=record.c.region_code, town=record.c.town_code, household=record.c.household_id)
    async with database.read() as session:
        selected = set((await session.execute(select(record.c.id).where(where))).scalars())
    allowed = {
        i
        for i, county, town, household in RECORDS
        if scope.allows(region_code=town or county, household_id=str(household))
    }
    assert selected == allowed
