"""Working days (工作日) and calendar days as pure functions over a calendar passed in (no I/O,
no clock). Shared so that every service counts the statutory clocks the same way.

Eligibility (`eligibility.deadlines.domain.calendar`, which turns `CalendarOutOfRange` into its
400) and procurement count with it. `CalendarOutOfRange` is a `ValueError` carrying `message_zh`,
since `shared` depends on nothing but pydantic.

Counting conventions (one rule for every clock): the start day never counts (《民法典》 Art. 201);
"within n working days after D" is due by the end of `add_working_days(D, n)`; calendar days
likewise (`add_calendar_days`). Inside `covers` the State Council notices (holidays and 调休
make-up days) decide; after the last loaded year, weekends and the fixed-date holidays only, and
the result is provisional (`is_provisional`); outside that, `CalendarOutOfRange`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

_ONE_DAY = timedelta(days=1)

FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
"""(month, day) of the statutory holidays on fixed Gregorian dates, 《全国年节及纪念日放假办法》
Art. 2 as amended by 国务院令第795号 (2024-11-10, in force 2025-01-01): 元旦 1 January, 劳动节 1–2
May, 国庆节 1–3 October. The others (春节 incl. 除夕, 清明节, 端午节, 中秋节) follow the lunar
calendar or the solar terms and are never guessed: they arrive with each year's notice."""

PROVISIONAL_YEARS = 5
"""How far past the last loaded year a provisional computation may reach (a bound, so a typo in a
date cannot send a clock counting for centuries)."""
_SATURDAY = 5  # date.weekday(): Monday 0 … Sunday 6


class CalendarOutOfRange(ValueError):
    """A working-day computation needs a date the calendar has no State Council notice for."""

    def __init__(self, day: date, covers: tuple[date, date]) -> None:
        start, end = covers
        self.message_zh = (
            f"工作日历收录 {start} 至 {end} 的国务院节假日安排"
            f"（其后{PROVISIONAL_YEARS}年内按周末和固定日期节日暂算），{day} 超出范围"
        )
        super().__init__(
            f"the working-day calendar has State Council notices for {start}..{end} (provisional up to "
            f"{PROVISIONAL_YEARS} years after); {day} is outside that"
        )
        self.day = day
        self.covers = covers


@dataclass(frozen=True, slots=True)
class WorkingDayCalendar:
    """工作日历: weekends and State Council holidays (放假) are not working days; make-up
    working days (调休上班, a Saturday or Sunday) are.

    `covers` is the inclusive range the data is complete for (every year in it has its notice).
    """

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    covers: tuple[date, date]

    def __post_init__(self) -> None:
        start, end = self.covers
        if start > end:
            raise ValueError(f"calendar range starts after it ends: {start}..{end}")
        both = self.holidays & self.makeup_workdays
        if both:
            raise ValueError(f"dates both holiday and make-up working day: {sorted(both)}")
        outside = sorted(d for d in self.holidays | self.makeup_workdays if not start <= d <= end)
        if outside:
            raise ValueError(f"dates outside the calendar range {start}..{end}: {outside}")
        weekdays = sorted(d for d in self.makeup_workdays if d.weekday() < _SATURDAY)
        if weekdays:
            raise ValueError(f"make-up working days must be Saturdays or Sundays: {weekdays}")

    def covers_day(self, day: date) -> bool:
        start, end = self.covers
        return start <= day <= end

    def is_provisional(self, day: date) -> bool:
        """After the last loaded year: computed without that year's notice (may move)."""
        return day > self.covers[1]

    @property
    def reach(self) -> date:
        """The last day a provisional computation may reach."""
        end = self.covers[1]
        return date(end.year + PROVISIONAL_YEARS, 12, 31)

    def _require(self, day: date) -> None:
        if not self.covers[0] <= day <= self.reach:
            raise CalendarOutOfRange(day, self.covers)

    def is_working_day(self, day: date) -> bool:
        """工作日: Monday–Friday and not a holiday, or a make-up working day (调休上班). After the
        loaded years: Monday–Friday and not a fixed-date statutory holiday (provisional)."""
        self._require(day)
        if self.is_provisional(day):
            return day.weekday() < _SATURDAY and (day.month, day.day) not in FIXED_HOLIDAYS
        if day in self.makeup_workdays:
            return True
        return day.weekday() < _SATURDAY and day not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (`start` itself never counts, working day or not).

        "Within 3 working days after 受理 on day D" is due by the end of `add_working_days(D, 3)`.
        `n == 0` returns `start` unchanged. `start` and every day counted must lie in `covers`.
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        self._require(start)
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """The working days after `a` up to and including `b` (same convention as
        `add_working_days`, so `working_days_between(d, add_working_days(d, n)) == n`).

        Negative when `b` is before `a`: `-working_days_between(b, a)`. 0 when `a == b`.
        """
        self._require(a)
        self._require(b)
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


def add_calendar_days(start: date, n: int) -> date:
    """The n-th calendar day (自然日) after `start`; the start day does not count.

    A 7-day 公示 posted on day D runs D+1 … D+7 and ends at the end of `add_calendar_days(D, 7)`.
    Needs no holiday data, so it works for any date.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return start + timedelta(days=n)
