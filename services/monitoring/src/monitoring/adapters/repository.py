"""Loading and storing register entries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.scoping import region_clause
from monitoring.adapters.orm import register_entry as table
from monitoring.domain.model import RegisterEntry


class RegisterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, household_id: UUID, *, for_update: bool = False) -> RegisterEntry | None:
        return (await self.get_many({household_id}, for_update=for_update)).get(household_id)

    async def get_many(self, household_ids: Collection[UUID], *, for_update: bool = False) -> dict[UUID, RegisterEntry]:
        query = select(table).where(table.c.household_id.in_(sorted(household_ids)))
        if for_update:
            query = query.with_for_update()
        rows = (await self.session.execute(query)).mappings()
        return {row["household_id"]: _to_model(row) for row in rows}

    async def add(self, entry: RegisterEntry) -> None:
        await self.add_many([(entry, 0)])

    async def add_many(self, entries: Sequence[tuple[RegisterEntry, int]]) -> None:
        """Insert new entries; the number with each is how many changes followed its creation
        (its version starts past them)."""
        if entries:
            await self.session.execute(insert(table), [_to_row(e) | {"version": 1 + bumps} for e, bumps in entries])

    async def update(self, entry: RegisterEntry) -> None:
        await self.update_many([(entry, 1)])

    async def update_many(self, entries: Sequence[tuple[RegisterEntry, int]]) -> None:
        """Store changed entries; the number with each is how many changes it went through
        (its version grows by that much)."""
        if not entries:
            return
        rows = []
        for entry, bumps in entries:
            row = _to_row(entry)
            row["key"] = row.pop("household_id")
            rows.append(row | {"bumps": bumps})
        # The SET clause takes the columns named in the parameters, plus the version bump.
        await self.session.execute(
            update(table)
            .where(table.c.household_id == bindparam("key"))
            .values(version=table.c.version + bindparam("bumps")),
            rows,
        )

    async def page(
        self, scope: RegionScope, *, region_code: str | None, limit: int, offset: int
    ) -> tuple[Sequence[RegisterEntry], int]:
        """A page of the register within `scope` (its SQL form, `region_clause`), of one county
        when `region_code` is given, with the total of that selection."""
        where: list[Any] = [
            region_clause(scope, county=table.c.region_code, town=table.c.town_code, household=table.c.household_id)
        ]
        if region_code is not None:
            where.append(table.c.region_code == region_code)
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
