"""Risk scores: the register's inputs streamed in household order (a server-side cursor, never
the city in memory), the scores written in batches (COPY on PostgreSQL), and the list."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.scoping import region_clause
from monitoring.risk.adapters.orm import household_risk
from monitoring.risk.domain.model import HouseholdRisk
from monitoring.warnings.adapters.orm import monitored_case, risk_signal
from shared.events.monitoring import RiskLevel

LOCK = 7_311_013
"""The advisory lock a recompute holds (PostgreSQL): one at a time across worker replicas."""
COLUMNS = [c.name for c in household_risk.columns]


class RiskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    async def take_lock(self) -> bool:
        """This transaction's claim on the recompute (False: another one is running)."""
        if self.dialect != "postgresql":
            return True
        return bool(await self.session.scalar(text(f"select pg_try_advisory_xact_lock({LOCK})")))

    async def inputs(self, since: date, batch: int) -> AsyncIterator[Sequence[Any]]:
        """(household, category, county, town, kind, latest day) of every active case's
        household with a signal since `since`, ordered by household, `batch` rows at a time."""
        c, s = monitored_case, risk_signal
        query = (
            select(c.c.household_id, c.c.category, c.c.region_code, c.c.town_code, s.c.kind, func.max(s.c.occurred_on))
            .join(s, s.c.household_id == c.c.household_id)
            .where(c.c.active.is_(True), s.c.occurred_on >= since)
            .group_by(c.c.household_id, c.c.category, c.c.region_code, c.c.town_code, s.c.kind)
            .order_by(c.c.household_id, c.c.category, c.c.region_code, c.c.town_code)
        )
        result = await self.session.stream(query.execution_options(yield_per=batch))
        async for rows in result.partitions(batch):
            yield rows

    async def clear(self) -> None:
        await self.session.execute(delete(household_risk))

    async def add(self, scores: Sequence[HouseholdRisk]) -> None:
        if not scores:
            return
        if self.dialect == "postgresql":
            connection = await self.session.connection()
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.copy_records_to_table(
                household_risk.name, records=[_record(r, json.dumps(list(r.reasons))) for r in scores], columns=COLUMNS
            )
        else:
            await self.session.execute(
                insert(household_risk), [dict(zip(COLUMNS, _record(r, list(r.reasons)), strict=True)) for r in scores]
            )

    async def page(
        self, scope: RegionScope, *, county: str | None, min_score: int, reached: bool | None, limit: int, offset: int
    ) -> tuple[list[HouseholdRisk], int]:
        r = household_risk
        where: list[Any] = [region_clause(scope, county=r.c.region_code, town=r.c.town_code), r.c.score >= min_score]
        if county is not None:
            where.append(r.c.region_code == county)
        if reached is not None:
            where.append(r.c.reached.is_(reached))
        total = await self.session.scalar(select(func.count()).select_from(r).where(*where))
        rows = await self.session.execute(
            select(r).where(*where).order_by(r.c.score.desc(), r.c.household_id).limit(limit).offset(offset)
        )
        return [_risk(m) for m in rows.mappings()], int(total or 0)


def _record(r: HouseholdRisk, reasons: object) -> tuple[Any, ...]:
    return (
        r.household_id,
        r.region_code,
        r.town_code,
        r.score,
        r.rule,
        r.level.value,
        reasons,
        r.reached,
        r.rules_version,
        r.computed_on,
    )


def _risk(m: Any) -> HouseholdRisk:
    return HouseholdRisk(
        household_id=m["household_id"],
        region_code=m["region_code"],
        town_code=m["town_code"],
        score=m["score"],
        rule=m["rule"],
        level=RiskLevel(m["level"]),
        reasons=tuple(m["reasons"]),
        reached=m["reached"],
        rules_version=m["rules_version"],
        computed_on=m["computed_on"],
    )
