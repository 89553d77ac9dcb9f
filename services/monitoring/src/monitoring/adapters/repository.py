"""Loading and storing register entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.adapters.orm import register_entry as table
from monitoring.domain.model import RegisterEntry


class RegisterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, household_id: UUID, *, for_update: bool = False) -> RegisterEntry | None:
        query = select(table).where(table.c.household_id == household_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _to_model(row)

    async def add(self, entry: RegisterEntry) -> None:
        await self.session.execute(insert(table).values(**_to_row(entry)))

    async def update(self, entry: RegisterEntry) -> None:
        await self.session.execute(
            update(table)
            .where(table.c.household_id == entry.household_id)
            .values(**_to_row(entry), version=table.c.version + 1)
        )

    async def page(
        self,
        *,
        region_code: str | None,
        limit: int,
        offset: int,
        region_prefix: str = "",
        household_id: UUID | None = None,
    ) -> tuple[Sequence[RegisterEntry], int]:
        """A page of the register: `region_code` exact, `region_prefix` the caller's area
        (`""` = the whole city, a 6-digit county, a 12-digit town), `household_id` one
        household (a citizen's own)."""
        where: list[Any] = []
        if region_code is not None:
            where.append(table.c.region_code == region_code)
        if len(region_prefix) == 12:  # a town: entries placed in that town
            where.append(table.c.town_code == region_prefix)
        elif region_prefix:  # a county: every entry of the county, with or without a town
            where.append(table.c.region_code == region_prefix)
        if household_id is not None:
            where.append(table.c.household_id == household_id)
        total = await self.session.scalar(select(func.count()).select_from(table).where(*where))
        rows = (
            await self.session.execute(
                select(table)
                .where(*where)
                .order_by(table.c.registered_at, table.c.household_id)
                .limit(limit)
                .offset(offset)
            )
        ).mappings()
        return [_to_model(r) for r in rows], int(total or 0)


def _to_row(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "household_id": entry.household_id,
        "region_code": entry.region_code,
        "town_code": entry.town_code,
        "reason": entry.reason,
        "assistance_types": ",".join(entry.assistance_types),
        "source_event_id": entry.source_event_id,
        "registered_at": entry.registered_at,
        "updated_at": entry.updated_at,
        "correlation_id": entry.correlation_id,
    }


def _to_model(row: Any) -> RegisterEntry:
    return RegisterEntry(
        household_id=row["household_id"],
        region_code=row["region_code"],
        town_code=row["town_code"],
        reason=row["reason"],
        assistance_types=tuple(t for t in row["assistance_types"].split(",") if t),
        source_event_id=row["source_event_id"],
        registered_at=row["registered_at"],
        updated_at=row["updated_at"],
        correlation_id=row["correlation_id"],
    )
