"""The risk recompute (风险评分重算) and the list of scores. The recompute streams the whole
register in household order and rewrites every score in one transaction (readers see the old
scores until it commits), in bounded memory: `BATCH` rows in, `BATCH` scores out at a time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.db import Database
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.worker import ScheduledJob
from monitoring.risk.adapters.repository import RiskRepository
from monitoring.risk.domain import rules
from monitoring.risk.domain.model import HouseholdInputs, HouseholdRisk
from monitoring.warnings.adapters.rule_files import rules_in_force
from shared.types.business_time import business_date

logger = logging.getLogger(__name__)

BATCH = 10_000
RECOMPUTE_SECONDS = 24 * 3600.0
"""How often the worker recomputes every score (signals age out of the rules' windows daily)."""


@dataclass(frozen=True, slots=True)
class Recomputed:
    households: int
    """Households scored (any rule gave them a score above zero)."""
    reached: int
    """Of them, at a rule's threshold."""
    skipped: bool = False
    """Another recompute held the lock: nothing was done."""


async def recompute(
    database: Database, today: date, *, batch: int = BATCH, on_batch: Callable[[int], None] | None = None
) -> Recomputed:
    """Every household's score from the register's active cases and signals, as of `today`."""
    scored = reached = 0
    async with database.transaction() as session:
        repository = RiskRepository(session)
        if not await repository.take_lock():
            return Recomputed(0, 0, skipped=True)
        await repository.clear()
        pending: list[HouseholdRisk] = []
        ruleset = rules_in_force(today)
        async for household in _households(repository.inputs(rules.window_start(ruleset, today), batch)):
            found = rules.risk(household, today, ruleset)
            if found is None:
                continue
            pending.append(found)
            reached += found.reached
            if len(pending) >= batch:
                await repository.add(pending)
                scored += len(pending)
                if on_batch is not None:
                    on_batch(len(pending))
                pending = []
        await repository.add(pending)
        scored += len(pending)
        if on_batch is not None and pending:
            on_batch(len(pending))
    return Recomputed(scored, reached)


async def _households(chunks: AsyncIterator[Sequence[Any]]) -> AsyncIterator[HouseholdInputs]:
    """The households of the streamed rows; a household whose rows continue into the next chunk
    is held back until they are all in."""
    held: list[Any] = []
    async for chunk in chunks:
        rows = [*held, *chunk]
        cut = len(rows)
        while cut > 0 and rows[cut - 1][0] == rows[-1][0]:
            cut -= 1
        held = rows[cut:]
        for household in rules.households(rows[:cut]):
            yield household
    for household in rules.households(held):
        yield household


def recompute_job(runtime: Runtime) -> ScheduledJob:
    """The worker's daily recompute of every score (`recompute`); one replica at a time."""

    async def run() -> int:
        done = await recompute(runtime.database, business_date(runtime.now()))
        return done.households

    return ScheduledJob("risk-recompute", RECOMPUTE_SECONDS, run)


async def list_scores(
    session: AsyncSession,
    scope: RegionScope,
    *,
    county: str | None,
    min_score: int,
    reached: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[HouseholdRisk], int]:
    if county is not None:
        scope.require(region_code=county)
    return await RiskRepository(session).page(
        scope, county=county, min_score=min_score, reached=reached, limit=limit, offset=offset
    )
