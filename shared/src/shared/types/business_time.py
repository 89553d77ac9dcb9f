"""The business time zone (Asia/Shanghai): business dates of aware instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.types.errors import NaiveDatetimeError


def _business_tz() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # pragma: no cover - only on hosts without tz data
        # China has used UTC+8 without DST since 1991, so the fixed offset is exact for
        # every instant this system handles.
        return timezone(timedelta(hours=8), "Asia/Shanghai")


BUSINESS_TZ: tzinfo = _business_tz()
"""Asia/Shanghai: business dates and periods are dates in this zone."""


def business_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant (营业日). Naive datetimes are
    rejected with ``NaiveDatetimeError``: a wall-clock time without a zone is ambiguous."""
    if not isinstance(instant, datetime):
        raise TypeError(f"business_date() needs a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise NaiveDatetimeError(
            "datetime_naive",
            "datetime has no time zone; pass an aware instant (e.g. UTC)",
            "时间缺少时区信息",
        )
    return instant.astimezone(BUSINESS_TZ).date()


def _today_in_business_tz() -> date:
    # The only clock in this module, used by Pydantic edge types, never by pure functions.
    return datetime.now(BUSINESS_TZ).date()
