"""Business metrics of monitoring on `/metrics` (`jiuzhu_platform.business_metrics`): the register
by county, alerts by status, level and county, and the active cases watched by category. Counts
only, no personal data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.business_metrics import BusinessMetric, Sample
from monitoring.adapters.orm import register_entry
from monitoring.warnings.adapters.orm import alert, monitored_case


async def register_by_county(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    query = select(register_entry.c.region_code, func.count()).group_by(register_entry.c.region_code)
    return [((county,), float(n)) for county, n in (await session.execute(query)).all()]


async def alerts_by_status(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    query = select(alert.c.status, alert.c.level, alert.c.region_code, func.count()).group_by(
        alert.c.status, alert.c.level, alert.c.region_code
    )
    return [((s, level, county), float(n)) for s, level, county, n in (await session.execute(query)).all()]


async def cases_watched(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    query = (
        select(monitored_case.c.category, monitored_case.c.region_code, func.count())
        .where(monitored_case.c.active.is_(True))
        .group_by(monitored_case.c.category, monitored_case.c.region_code)
    )
    return [((c, county), float(n)) for c, county, n in (await session.execute(query)).all()]


BUSINESS_METRICS = (
    BusinessMetric(
        "jiuzhu_register_households",
        "Households in the monitoring register by county (监测名册)",
        ("county",),
        register_by_county,
    ),
    BusinessMetric(
        "jiuzhu_alerts",
        "Alerts by status (open, escalated, closed), level and county (预警)",
        ("status", "level", "county"),
        alerts_by_status,
    ),
    BusinessMetric(
        "jiuzhu_monitored_cases",
        "Active cases watched by monitoring, by category and county (在保监测)",
        ("category", "county"),
        cases_watched,
    ),
)
