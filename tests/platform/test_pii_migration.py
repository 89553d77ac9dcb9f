"""Names kept in clear before are encrypted by the migration that makes the column encrypted
(issue 15 #16), on real PostgreSQL: it needs the service's key ring when there is something to
encrypt, leaves tokens alone when run again, and the downgrade gives the clear values back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from eligibility.main import DEFINITION
from jiuzhu_platform.db import create_engine
from jiuzhu_platform.migrations import PII_KEY_RING, alembic_config, upgrade
from jiuzhu_platform.pii import KeyRing, decrypt
from tests.conftest import ThrowawayDatabases, server_setting

pytestmark = pytest.mark.integration

BEFORE = "8e2b6d0f1a73"  # eligibility's head before names were encrypted
NAME = "欧阳明珠"
CONTEXT = "eligibility.application.applicant_name"


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    databases = ThrowawayDatabases(server_setting("JIUZHU_PG_ADMIN_URL"))
    yield await databases.create("pii_migration")
    await databases.drop_all()


async def sql(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), params)
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_the_migration_encrypts_names_stored_in_clear_and_the_downgrade_restores_them(database_url: str) -> None:
    ini = DEFINITION.alembic_ini
    await asyncio.to_thread(upgrade, ini, database_url, BEFORE)
    application_id = uuid.uuid4()
    await sql(
        database_url,
        "INSERT INTO application (id, household_id, assistance_type, region_code, member_count, applicant_name, "
        "applicant_masked_id, status, submitted_at, correlation_id) VALUES (:id, :household, 'dibao', '520102', 1, "
        ":name, '5201**********0011', 'submitted', :at, 'req-1')",
        id=application_id,
        household=uuid.uuid4(),
        name=NAME,
        at=datetime.now(UTC),
    )

    with pytest.raises(RuntimeError, match=r"application\.applicant_name are stored in clear"):
        await asyncio.to_thread(upgrade, ini, database_url)

    ring = KeyRing.generate("k1")
    await asyncio.to_thread(upgrade, ini, database_url, key_ring=ring)
    [(stored,)] = await sql(database_url, "SELECT applicant_name FROM application WHERE id = :id", id=application_id)
    assert isinstance(stored, str)
    assert stored.startswith("v1.k1.")
    assert decrypt(ring, stored, context=CONTEXT) == NAME

    await asyncio.to_thread(upgrade, ini, database_url, key_ring=ring)  # at head: nothing changes
    assert await sql(database_url, "SELECT applicant_name FROM application") == [(stored,)]

    config = alembic_config(ini, database_url)
    config.attributes[PII_KEY_RING] = ring
    await asyncio.to_thread(command.downgrade, config, BEFORE)
    assert await sql(database_url, "SELECT applicant_name FROM application") == [(NAME,)]
