"""Loading and storing payroll runs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import insert_unique
from payment.adapters.orm import payroll_run as table
from payment.domain.errors import PayrollRunExists
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

    async def get(self, run_id: UUID) -> PayrollRun | None:
        row = (await self.session.execute(select(table).where(table.c.id == run_id))).mappings().first()
        return None if row is None else _to_model(row)

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
    )
