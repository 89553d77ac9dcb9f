"""`column IN (…)` for a page of thousands of keys: on PostgreSQL one array parameter
(`column = ANY(:keys)`), so the statement is compiled once and not per key (compiling a
5,000-key IN list cost more than running it); elsewhere an ordinary IN."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlalchemy import String, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession


def among(session: AsyncSession, column: Any, keys: Collection[Any]) -> Any:
    """A WHERE clause: `column` is one of `keys` (UUIDs or strings)."""
    values = list(keys)
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    if dialect != "postgresql" or not values:
        return column.in_(values)
    item: Any = postgresql.UUID(as_uuid=True) if isinstance(values[0], UUID) else String()
    return column == any_(bindparam(None, values, type_=postgresql.ARRAY(item)))
