"""The working-day calendar procurement counts its §9.5 clocks on: `policies/calendar-cn.yaml`
(a copy of eligibility's, the State Council holiday notices; keep the two in step until the file
moves to one shared place) read into `shared.workdays.WorkingDayCalendar`, once, on first use."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from shared.workdays import WorkingDayCalendar


def parse_calendar(data: dict[str, Any]) -> WorkingDayCalendar:
    """Holidays and make-up working days of every year's festivals; `WorkingDayCalendar`
    refuses a date both, a make-up day on a weekday, or a date outside `covers`."""
    festivals = [f for year in data["years"] for f in year["festivals"]]
    holidays = [d for f in festivals for d in f["holidays"]]
    makeup = [d for f in festivals for d in f.get("makeup_workdays") or []]
    if len(set(holidays + makeup)) != len(holidays) + len(makeup):
        raise ValueError("a date is listed twice in the working-day calendar")
    covers = data["covers"]
    return WorkingDayCalendar(
        holidays=frozenset(_day(d) for d in holidays),
        makeup_workdays=frozenset(_day(d) for d in makeup),
        covers=(_day(covers["start"]), _day(covers["end"])),
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def default_calendar_path() -> Path:
    return Path(__file__).resolve().parents[3] / "policies" / "calendar-cn.yaml"


@cache
def working_day_calendar() -> WorkingDayCalendar:
    """The calendar (read once, on first use; never at import)."""
    return parse_calendar(yaml.safe_load(default_calendar_path().read_text(encoding="utf-8")))
