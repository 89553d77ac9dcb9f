"""Storing and reading the chain's records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.adapters.orm import register_entry
from monitoring.chain.adapters.orm import assistance_record
from monitoring.chain.domain.model import ChainRecord, Step
from monitoring.warnings.adapters.orm import monitored_case


class ChainRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, records: Sequence[ChainRecord]) -> None:
        """Store records once (by id: the same event again adds nothing)."""
        if not records:
            return
        dialect = self.session.get_bind().dialect.name
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(assistance_record)
        await self.session.execute(statement.on_conflict_do_nothing(), [_row(r) for r in records])

    async def of_household(self, household_id: UUID) -> list[ChainRecord]:
        rows = await self.session.execute(
            select(assistance_record)
            .where(assistance_record.c.household_id == household_id)
            .order_by(assistance_record.c.occurred_on, assistance_record.c.step, assistance_record.c.record_id)
        )
        return [_record(r) for r in rows.mappings()]

    async def category_of(self, case_id: UUID) -> str | None:
        """The category of a case of the register (None: not known here)."""
        found = await self.session.execute(select(monitored_case.c.category).where(monitored_case.c.case_id == case_id))
        return found.scalar_one_or_none()

    async def area_of(self, household_id: UUID) -> tuple[str, str | None] | None:
        """Where a household is placed: its register entry, else its newest case."""
        entry = (
            await self.session.execute(
                select(register_entry.c.region_code, register_entry.c.town_code).where(
                    register_entry.c.household_id == household_id
                )
            )
        ).first()
        if entry is not None:
            return entry[0], entry[1]
        case = (
            await self.session.execute(
                select(monitored_case.c.region_code, monitored_case.c.town_code)
                .where(monitored_case.c.household_id == household_id)
                .order_by(monitored_case.c.opened_on.desc())
                .limit(1)
            )
        ).first()
        return None if case is None else (case[0], case[1])

    async def active_categories(self, household_id: UUID) -> list[str]:
        rows = await self.session.execute(
            select(monitored_case.c.category).where(
                monitored_case.c.household_id == household_id, monitored_case.c.active.is_(True)
            )
        )
        return [r[0] for r in rows]


def _row(r: ChainRecord) -> dict[str, Any]:
    return {
        "record_id": r.record_id,
        "household_id": r.household_id,
        "step": r.step.value,
        "occurred_on": r.occurred_on,
        "region_code": r.region_code,
        "town_code": r.town_code,
        "category": r.category,
        "amount_fen": r.amount_fen,
        "detail": r.detail,
    }


def _record(m: Any) -> ChainRecord:
    return ChainRecord(
        record_id=m["record_id"],
        household_id=m["household_id"],
        step=Step(m["step"]),
        occurred_on=m["occurred_on"],
        region_code=m["region_code"],
        town_code=m["town_code"],
        category=m["category"],
        amount_fen=m["amount_fen"],
        detail=m["detail"],
    )
