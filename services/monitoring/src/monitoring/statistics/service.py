"""Statistics use cases (read only)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import AccessLevel, RegionNotAllowed, RegionScope
from monitoring.statistics.adapters.repository import StatisticsRepository
from monitoring.statistics.domain import rules
from monitoring.statistics.domain.model import AreaLevel, Statistics
from shared.types import Period


async def statistics(
    session: AsyncSession, scope: RegionScope, *, month: Period, region_code: str | None
) -> Statistics:
    """The month's figures in the caller's area: for the city one row per county; for a county
    (the caller's own, or one a city-wide caller names) one row per town; a town's staff see
    their town's row only."""
    if scope.level is AccessLevel.NONE or scope.level is AccessLevel.HOUSEHOLD:
        raise RegionNotAllowed("the caller has no area to count", "调用方没有可统计的辖区")
    own_county = scope.region_code[:6] if scope.level is AccessLevel.TOWN and scope.region_code else None
    if region_code is not None and region_code != own_county:
        scope.require(region_code=region_code)
    county = region_code or (
        scope.region_code[:6] if scope.level is not AccessLevel.CITY and scope.region_code else None
    )
    level = AreaLevel.COUNTY if county is None else AreaLevel.TOWN
    rows = await StatisticsRepository(session).counts(
        scope, county=county, level=level, start=month.first_day, end=month.last_day
    )
    return rules.statistics(str(month), level, county, rows)
