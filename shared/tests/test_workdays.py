"""shared.workdays: the pure working-day calendar (State Council holidays and 调休 make-up days)."""

from __future__ import annotations

from datetime import date

import pytest

from shared.workdays import CalendarOutOfRange, WorkingDayCalendar, add_calendar_days

CAL = WorkingDayCalendar(
    holidays=frozenset(date(2026, 5, d) for d in range(1, 6)),
    makeup_workdays=frozenset({date(2026, 5, 9)}),
    covers=(date(2026, 1, 1), date(2026, 12, 31)),
)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2026, 4, 30), 1, date(2026, 5, 6)),  # over 劳动节
        (date(2026, 5, 8), 1, date(2026, 5, 9)),  # the make-up Saturday works
        (date(2026, 5, 9), 1, date(2026, 5, 11)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # provisional: 1 January is a fixed holiday
    ],
)
def test_add_working_days(start: date, n: int, due: date) -> None:
    assert CAL.add_working_days(start, n) == due
    assert CAL.working_days_between(start, due) == n


def test_provisional_and_out_of_range() -> None:
    assert CAL.is_provisional(date(2027, 1, 4))
    with pytest.raises(CalendarOutOfRange) as caught:
        CAL.add_working_days(date(2025, 12, 31), 1)
    assert caught.value.message_zh
    assert add_calendar_days(date(2026, 3, 2), 20) == date(2026, 3, 22)


def test_inconsistent_data_is_refused() -> None:
    with pytest.raises(ValueError, match="both holiday and make-up"):
        WorkingDayCalendar(
            frozenset({date(2026, 5, 9)}), frozenset({date(2026, 5, 9)}), (date(2026, 1, 1), date(2026, 12, 31))
        )
    with pytest.raises(ValueError, match="Saturdays or Sundays"):
        WorkingDayCalendar(frozenset(), frozenset({date(2026, 5, 8)}), (date(2026, 1, 1), date(2026, 12, 31)))
