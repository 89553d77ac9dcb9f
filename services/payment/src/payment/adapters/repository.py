"""Loading and storing payroll runs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import insert_unique
from payment.adapters.orm import payroll_run as table
from payment.domain.errors import PayrollRunExists, RunChanged
from payment.domain.model import PayrollRun, PayrollRunStatus
from shared.types import Period


class PayrollRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, run: PayrollRun) -> None:
        """Store a new run. `PayrollRunExists`, naming the run that won, when a concurrent
        request stored one for the same county and month first (the unique key)."""
        row = {
            "id": run.id,
            "period": str(run.period),
            "county_code": run.county_code,
            "status": run.status.value,
            "created_at": run.created_at,
            "correlation_id": run.correlation_id,
        }
        await insert_unique(self.session, insert(table), row, conflict=lambda: self._taken(run))

    async def _taken(self, run: PayrollRun) -> PayrollRunExists:
        winner = await self.find(run.period, run.county_code)
        return PayrollRunExists(run.period, run.county_code, winner.id if winner else run.id)

    async def get(self, run_id: UUID, *, for_update: bool = False) -> PayrollRun | None:
        statement = select(table).where(table.c.id == run_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).mappings().first()
        return None if row is None else _to_model(row)

    async def save(self, run: PayrollRun) -> None:
        """The run's progress (optimistic on `version`: `RunChanged` when another request
        moved it meanwhile)."""
        result = await self.session.execute(
            update(table)
            .where(table.c.id == run.id, table.c.version == run.version)
            .values(
                status=run.status.value,
                calculated_by=run.calculated_by,
                calculated_at=run.calculated_at,
                approved_by=run.approved_by,
                approved_at=run.approved_at,
                budget_override=run.budget_override,
                exported_at=run.exported_at,
                settled_at=run.settled_at,
                version=run.version + 1,
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise RunChanged()
        run.version += 1

    async def of_county_year(self, county_code: str, year: int) -> list[PayrollRun]:
        rows = (
            await self.session.execute(
                select(table).where(table.c.county_code == county_code, table.c.period.like(f"{year}-%"))
            )
        ).mappings()
        return [_to_model(r) for r in rows]

    async def page(
        self, *, area_prefix: str, status: str | None, limit: int, offset: int
    ) -> tuple[list[PayrollRun], int]:
        conditions = [table.c.county_code.startswith(area_prefix[:6])] if area_prefix else []
        if status is not None:
            conditions.append(table.c.status == status)
        total = await self.session.scalar(select(func.count()).select_from(table).where(*conditions))
        rows = (
            await self.session.execute(
                select(table)
                .where(*conditions)
                .order_by(table.c.period.desc(), table.c.county_code)
                .limit(limit)
                .offset(offset)
            )
        ).mappings()
        return [_to_model(r) for r in rows], int(total or 0)

    async def calculated_through(self, county_code: str, period: Period) -> str | None:
        """The latest month through which a calculation of the county finished (at or before
        `period`): every case then had its lines through it. None when none finished."""
        latest = await self.session.scalar(
            select(func.max(table.c.period)).where(
                table.c.county_code == county_code,
                table.c.period <= str(period),
                table.c.calculated_at.is_not(None),
            )
        )
        return None if latest is None else str(latest)

    async def find(self, period: Period, county_code: str) -> PayrollRun | None:
        query = select(table).where(table.c.period == str(period), table.c.county_code == county_code)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _to_model(row)


def _to_model(row: Any) -> PayrollRun:
    return PayrollRun(
        id=row["id"],
        period=Period.parse(row["period"]),
        county_code=row["county_code"],
        status=PayrollRunStatus(row["status"]),
        created_at=row["created_at"],
        correlation_id=row["correlation_id"],
        calculated_by=row["calculated_by"],
        calculated_at=row["calculated_at"],
        approved_by=row["approved_by"],
        approved_at=row["approved_at"],
        budget_override=row["budget_override"],
        exported_at=row["exported_at"],
        settled_at=row["settled_at"],
        version=row["version"],
    )
