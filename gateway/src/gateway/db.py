"""The gateway database: its Alembic migrations (`gateway/migrations`, run on PostgreSQL and
SQLite alike) and the command-line helpers that need a database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jiuzhu_platform.audit import VerifyResult, verify_database
from jiuzhu_platform.migrations import upgrade

GATEWAY_DIR = Path(__file__).resolve().parents[2]
ALEMBIC_INI = GATEWAY_DIR / "alembic.ini"


def migrate(database_url: str) -> None:
    """`alembic upgrade head` on the gateway database (synchronous: Alembic runs its own
    event loop; from async code use `await migrate_async(url)`)."""
    upgrade(ALEMBIC_INI, database_url)


async def migrate_async(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)


async def verify_audit(database_url: str) -> VerifyResult:
    return await verify_database(database_url)
