"""The tables a service's code declares (its SQLAlchemy `metadata`) are exactly what its
migrations build: after `upgrade head` on an empty database, Alembic's autogenerate finds
nothing to add, drop or change. A model changed without a migration (or the reverse) fails
here, not in production."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from tests.access.support import DEFINITIONS


def _differences(url: str, metadata: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.name for d in DEFINITIONS])
def test_migrations_build_what_the_models_declare(definition: Any, tmp_path: Path) -> None:
    path = tmp_path / f"{definition.name}.db"
    asyncio.run(definition.migrate(f"sqlite+aiosqlite:///{path}"))
    differences = _differences(f"sqlite:///{path}", definition.metadata)
    assert differences == [], f"{definition.name}: models and migrations differ: {differences}"
