"""Alembic helpers: one migration history per service, run on PostgreSQL and SQLite alike.

A service's `migrations/env.py` is two lines: import its metadata, call `run_env(metadata)`.
`upgrade(alembic_ini, url)` runs `alembic upgrade head` programmatically; it is synchronous
(Alembic drives its own event loop for the async engine), so async callers use
`await asyncio.to_thread(upgrade, ...)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from jiuzhu_platform.db import create_engine
from jiuzhu_platform.pii import CIPHERTEXT_VERSION, EncryptedString, KeyRing, decrypt, encrypt
from jiuzhu_platform.tables import UtcDateTime


def alembic_config(alembic_ini: Path, database_url: str) -> Config:
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


PII_KEY_RING = "pii_key_ring"
"""`Config.attributes` key of the service's key ring, for migrations that encrypt existing values."""


def upgrade(alembic_ini: Path, database_url: str, revision: str = "head", *, key_ring: KeyRing | None = None) -> None:
    """`alembic upgrade`. `key_ring` (the service's, from its settings) is needed by migrations
    that encrypt values stored in clear before (`encrypt_plaintext`), when there are any."""
    config = alembic_config(alembic_ini, database_url)
    config.attributes[PII_KEY_RING] = key_ring
    command.upgrade(config, revision)


def encrypt_plaintext(table: str, key: str, column: str, pii_context: str) -> int:
    """Inside a migration's `upgrade()`: encrypt the values of `table.column` that are still in
    clear (not `v1.` tokens), row by row keyed by `key`, with the key ring `upgrade` was given.
    Idempotent (tokens are left alone). Returns how many values it encrypted; with values to
    encrypt and no key ring it stops the migration with a message saying what to set."""
    return _rewrite(
        table,
        key,
        column,
        tokens=False,
        change=lambda ring, value: encrypt(ring, value, context=pii_context),
        no_ring="are stored in clear and must be encrypted: run the migration with the service's PII key "
        "ring (`python -m <service> migrate` with <SVC>_PII_* set)",
    )


def decrypt_to_plaintext(table: str, key: str, column: str, pii_context: str) -> int:
    """The reverse of `encrypt_plaintext`, for a migration's `downgrade()`."""
    return _rewrite(
        table,
        key,
        column,
        tokens=True,
        change=lambda ring, value: decrypt(ring, value, context=pii_context),
        no_ring="are encrypted: downgrading needs the service's PII key ring",
    )


def _rewrite(
    table: str, key: str, column: str, *, tokens: bool, change: Callable[[KeyRing, str], str], no_ring: str
) -> int:
    """Rewrite the values of `table.column` that are (`tokens`) or are not `v1.` tokens with `change`."""
    bind = op.get_bind()
    match = "LIKE" if tokens else "NOT LIKE"
    rows = bind.execute(
        sa.text(
            f"SELECT {key}, {column} FROM {table} "  # noqa: S608 (identifiers from the migration's own code)
            f"WHERE {column} IS NOT NULL AND {column} {match} :token"
        ),
        {"token": f"{CIPHERTEXT_VERSION}.%"},
    ).all()
    if not rows:
        return 0
    ring = context.config.attributes.get(PII_KEY_RING)
    if ring is None:
        raise RuntimeError(f"{len(rows)} value(s) of {table}.{column} {no_ring}")
    statement = sa.text(f"UPDATE {table} SET {column} = :value WHERE {key} = :key")  # noqa: S608
    bind.execute(statement, [{"key": k, "value": change(ring, value)} for k, value in rows])
    return len(rows)


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
