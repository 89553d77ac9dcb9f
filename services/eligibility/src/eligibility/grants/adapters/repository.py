"""Storing and finding 临时救助 grants, region-scoped in SQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.grants.adapters.orm import RECIPIENT_RESIDENT_ID, temporary_grant
from eligibility.grants.domain.model import ApprovalLevel, Grant, GrantKind, PaidBy, RemainderRoute
from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.pii import session_key_ring
from jiuzhu_platform.scoping import region_clause

_ENUMS = {
    "kind": GrantKind,
    "remainder_route": RemainderRoute,
    "approval_level": ApprovalLevel,
    "paid_by": PaidBy,
}


def _grant(row: Any) -> Grant:
    values = {k: row[k] for k in Grant.__dataclass_fields__}
    for name, enum in _ENUMS.items():
        values[name] = enum(values[name])
    return Grant(**values)


class GrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, grant: Grant, recipient_resident_id: str) -> None:
        values = asdict(grant) | RECIPIENT_RESIDENT_ID.values(session_key_ring(self.session), recipient_resident_id)
        await self.session.execute(insert(temporary_grant), values)

    async def get(self, grant_id: UUID) -> Grant | None:
        row = (
            (await self.session.execute(select(temporary_grant).where(temporary_grant.c.grant_id == grant_id)))
            .mappings()
            .first()
        )
        return None if row is None else _grant(row)

    async def save(self, grant: Grant, previous_version: int) -> bool:
        values = {k: v for k, v in asdict(grant).items() if k != "grant_id"}
        result = await self.session.execute(
            update(temporary_grant)
            .where(temporary_grant.c.grant_id == grant.grant_id, temporary_grant.c.version == previous_version)
            .values(**values)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def count_same_recipient_since(self, recipient_resident_id: str, since: date) -> int:
        index = RECIPIENT_RESIDENT_ID.index(session_key_ring(self.session), recipient_resident_id)
        found = await self.session.execute(
            select(func.count())
            .select_from(temporary_grant)
            .where(temporary_grant.c[RECIPIENT_RESIDENT_ID.index_name] == index, temporary_grant.c.granted_on >= since)
        )
        return int(found.scalar_one())

    async def page(
        self,
        scope: RegionScope,
        *,
        overdue_on: date | None = None,
        kind: GrantKind | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Grant], int]:
        g = temporary_grant
        where: list[ColumnElement[bool]] = [
            region_clause(scope, county=g.c.region_code, town=g.c.town_code, household=g.c.household_id)
        ]
        if overdue_on is not None:
            where += [g.c.backfilled_on.is_(None), g.c.backfill_due < overdue_on]
        if kind is not None:
            where.append(g.c.kind == kind.value)
        total = (await self.session.execute(select(func.count()).select_from(g).where(and_(*where)))).scalar_one()
        rows = await self.session.execute(
            select(g).where(and_(*where)).order_by(g.c.granted_at.desc(), g.c.grant_id).limit(limit).offset(offset)
        )
        return [_grant(r) for r in rows.mappings()], int(total)
