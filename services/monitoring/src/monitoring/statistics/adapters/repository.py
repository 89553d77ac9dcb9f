"""The statistics' counts, as grouped queries over the register, the cases and the alerts,
each limited to what the caller may see (`region_clause`): a town's staff count their town."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.scoping import region_clause
from monitoring.adapters.orm import register_entry
from monitoring.chain.adapters.orm import assistance_record
from monitoring.chain.domain.model import TEMPORARY_MONTHS, Step
from monitoring.chain.domain.rules import months_before
from monitoring.domain.rules import REASON_APPLICATION
from monitoring.statistics.domain.model import AreaCounts, AreaLevel
from monitoring.warnings.adapters.orm import alert, monitored_case
from monitoring.warnings.domain.model import AlertStatus
from shared.events.eligibility import CaseCategory, SupportMode


def _area(table: Table, level: AreaLevel) -> ColumnElement[Any]:
    """The column a table's rows are grouped by: the county, or the town ('' for none)."""
    if level is AreaLevel.COUNTY:
        return table.c.region_code
    return func.coalesce(table.c.town_code, "")


def _where(table: Table, scope: RegionScope, county: str | None) -> list[ColumnElement[bool]]:
    where = [region_clause(scope, county=table.c.region_code, town=table.c.town_code)]
    if county is not None:
        where.append(table.c.region_code == county)
    return where


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counts(
        self, scope: RegionScope, *, county: str | None, level: AreaLevel, start: date, end: date
    ) -> list[AreaCounts]:
        """Each area's counts for the month `start`..`end` (areas with nothing to count are
        absent)."""
        rows: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"active": {}, "approved": {}, "terminated": {}, "disposal_days": 0, "paid_by_programme": {}}
        )

        area = _area(register_entry, level)
        query = (
            select(area, func.count(), _count_if(register_entry.c.reason != REASON_APPLICATION))
            .where(*_where(register_entry, scope, county))
            .group_by(area)
        )
        for code, households, discovered in await self.session.execute(query):
            rows[code].update(households=int(households), discovered=int(discovered or 0))

        c = monitored_case
        area = _area(c, level)
        active = and_(c.c.opened_on <= end, or_(c.c.ended_on.is_(None), c.c.ended_on > end))
        query = (
            select(
                area,
                c.c.category,
                _count_if(active),
                _count_if(and_(active, c.c.support_mode == SupportMode.CENTRALISED.value)),
                _count_if(c.c.opened_on.between(start, end)),
                _count_if(c.c.ended_on.between(start, end)),
            )
            .where(*_where(c, scope, county))
            .group_by(area, c.c.category)
        )
        for code, category, n_active, centralised, began, ended in await self.session.execute(query):
            row = rows[code]
            for key, n in (("active", n_active), ("approved", began), ("terminated", ended)):
                if n:
                    row[key][category] = int(n)
            if category == CaseCategory.TEKUN.value:
                row["tekun_centralised"] = int(centralised or 0)

        area = _area(alert, level)
        closed_in_month = and_(alert.c.status == AlertStatus.CLOSED.value, alert.c.disposed_on.between(start, end))
        query = (
            select(
                area,
                _count_if(alert.c.raised_on.between(start, end)),
                _count_if(alert.c.status == AlertStatus.OPEN.value),
                _count_if(alert.c.status == AlertStatus.ESCALATED.value),
                _count_if(closed_in_month),
            )
            .where(*_where(alert, scope, county))
            .group_by(area)
        )
        for code, raised, still_open, overdue, closed in await self.session.execute(query):
            rows[code].update(
                alerts_raised=int(raised or 0),
                alerts_open=int(still_open or 0),
                alerts_overdue=int(overdue or 0),
                alerts_closed=int(closed or 0),
            )
        query = select(area, alert.c.raised_on, alert.c.disposed_on).where(
            *_where(alert, scope, county), closed_in_month
        )
        for code, raised_on, disposed_on in await self.session.execute(query):
            rows[code]["disposal_days"] += (disposed_on - raised_on).days

        r = assistance_record
        area = _area(r, level)
        year_ago = months_before(end, TEMPORARY_MONTHS)
        granted = r.c.step == Step.TEMPORARY_GRANTED.value
        query = (
            select(
                area,
                func.count(func.distinct(case((r.c.occurred_on > year_ago, r.c.household_id)))),
                func.sum(case((r.c.occurred_on.between(start, end), r.c.amount_fen), else_=0)),
            )
            .where(*_where(r, scope, county), r.c.occurred_on <= end, granted)
            .group_by(area)
        )
        for code, temporary, temporary_fen in await self.session.execute(query):
            rows[code].update(temporary_households=int(temporary or 0), temporary_fen=int(temporary_fen or 0))
        query = (
            select(area, r.c.category, func.sum(r.c.amount_fen))
            .where(*_where(r, scope, county), r.c.step == Step.PAID.value, r.c.occurred_on.between(start, end))
            .group_by(area, r.c.category)
        )
        for code, programme, fen in await self.session.execute(query):
            row = rows[code]
            row["paid_fen"] = row.get("paid_fen", 0) + int(fen or 0)
            row["paid_by_programme"][programme or "benefit"] = int(fen or 0)

        return [AreaCounts(area_code=code, **values) for code, values in rows.items()]
