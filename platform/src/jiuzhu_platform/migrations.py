"""Alembic helpers: one migration history per service, run on PostgreSQL and SQLite alike.

A service's `migrations/env.py` is two lines: import its metadata, call `run_env(metadata)`.
`upgrade(alembic_ini, url)` runs `alembic upgrade head` programmatically; it is synchronous
(Alembic drives its own event loop for the async engine), so async callers use
`await asyncio.to_thread(upgrade, ...)`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from jiuzhu_platform.db import create_engine
from jiuzhu_platform.pii import EncryptedString
from jiuzhu_platform.tables import UtcDateTime


def alembic_config(alembic_ini: Path, database_url: str) -> Config:
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(alembic_ini: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(alembic_ini, database_url), revision)


def run_env(metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through `python -m <service> migrate`")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, metadata))


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render the platform's column types as plain SQLAlchemy types in generated migrations,
    so migration files do not import application code that may change later."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedString):
        return "sa.Text()"  # ciphertext tokens; encryption happens in the application
    return False


def _do_run(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, metadata: MetaData) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_do_run, metadata)
            await connection.commit()
    finally:
        await engine.dispose()
