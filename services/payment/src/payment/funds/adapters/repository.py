"""Loading and storing budgets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from payment.funds.adapters.orm import budget


class BudgetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, county_code: str, year: int) -> dict[str, int]:
        """Programme → budget (fen) of a county's year."""
        rows = await self.session.execute(
            select(budget.c.programme, budget.c.amount_fen).where(
                budget.c.county_code == county_code, budget.c.year == year
            )
        )
        return {p: int(f) for p, f in rows}

    async def set(self, county_code: str, year: int, programme: str, amount_fen: int, by: str, now: datetime) -> None:
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "postgresql"
        insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(budget)
        values = {"amount_fen": amount_fen, "set_by": by, "set_at": now}
        await self.session.execute(
            insert.values(county_code=county_code, year=year, programme=programme, **values).on_conflict_do_update(
                index_elements=["county_code", "year", "programme"], set_=values
            )
        )
