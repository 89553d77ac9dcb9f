"""Load the working-day calendar (`policies/calendar-cn.yaml`) into the domain's
`WorkingDayCalendar`, refusing data that would give wrong deadlines.

The file lists, per year, the State Council notice (文号, title, date) and, per festival, every
holiday date (放假) and make-up working day (调休上班). Checks, each with a message naming the
offending date: no date listed twice (within or across years, as holiday or make-up day); every
make-up day is a Saturday or Sunday; every date lies inside `covers`; and every calendar year
that `covers` touches has its notice (so no year is silently treated as "no holidays").
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from eligibility.deadlines.domain.calendar import WorkingDayCalendar

_SATURDAY = 5


class CalendarFileError(ValueError):
    """The calendar file is missing, unreadable or inconsistent."""


class CoveredRange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> CoveredRange:
        if self.start > self.end:
            raise ValueError(f"covers.start {self.start} is after covers.end {self.end}")
        return self


class Festival(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    holidays: list[date] = Field(min_length=1)
    makeup_workdays: list[date] = Field(default_factory=list)


class YearNotice(BaseModel):
    """One year's 国务院办公厅关于XXXX年部分节假日安排的通知."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=1949, le=9999)
    notice: str = Field(min_length=1)
    doc_no: str = Field(min_length=1)
    issued: date
    note: str | None = None
    festivals: list[Festival] = Field(min_length=1)


class CalendarFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    title: str | None = None
    covers: CoveredRange
    years: list[YearNotice] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CalendarFile:
        listed = [
            day
            for notice in self.years
            for festival in notice.festivals
            for day in (*festival.holidays, *festival.makeup_workdays)
        ]
        duplicates = sorted(day for day, count in Counter(listed).items() if count > 1)
        if duplicates:
            raise ValueError(f"dates listed more than once: {_fmt(duplicates)}")

        on_weekdays = sorted(day for day in self.makeup_workdays() if day.weekday() < _SATURDAY)
        if on_weekdays:
            raise ValueError(f"make-up working days (调休上班) must be Saturdays or Sundays: {_fmt(on_weekdays)}")

        outside = sorted(day for day in listed if not self.covers.start <= day <= self.covers.end)
        if outside:
            raise ValueError(f"dates outside covers {self.covers.start}..{self.covers.end}: {_fmt(outside)}")

        years = [notice.year for notice in self.years]
        repeated = sorted(year for year, count in Counter(years).items() if count > 1)
        if repeated:
            raise ValueError(f"years with more than one notice: {repeated}")
        missing = sorted(set(range(self.covers.start.year, self.covers.end.year + 1)) - set(years))
        if missing:
            raise ValueError(f"covers includes years without a State Council notice: {missing}")
        return self

    def holidays(self) -> frozenset[date]:
        return frozenset(day for notice in self.years for festival in notice.festivals for day in festival.holidays)

    def makeup_workdays(self) -> frozenset[date]:
        return frozenset(
            day for notice in self.years for festival in notice.festivals for day in festival.makeup_workdays
        )

    def to_calendar(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(
            holidays=self.holidays(),
            makeup_workdays=self.makeup_workdays(),
            covers=(self.covers.start, self.covers.end),
        )


def _fmt(days: list[date]) -> str:
    return ", ".join(day.isoformat() for day in days)


def parse_calendar(data: object, *, origin: str = "calendar data") -> WorkingDayCalendar:
    """Validate already-parsed YAML/JSON data and build the calendar."""
    try:
        return CalendarFile.model_validate(data).to_calendar()
    except ValidationError as exc:
        raise CalendarFileError(f"invalid working-day calendar in {origin}:\n{exc}") from exc


def load_calendar(path: Path | str, *, years_dir: Path | str | None = None) -> WorkingDayCalendar:
    """Read and validate a calendar file (see `policies/calendar-cn.yaml`) and every later year's
    notice in `years_dir` (default: `calendar-years/` beside the file; one `<year>.yaml` each,
    holding one `years:` entry). A new year is data: drop its file in, restart; `covers` then
    runs to the end of the last year loaded (the years must follow on without a gap)."""
    path = Path(path)
    data = _read_yaml(path)
    directory = Path(years_dir) if years_dir is not None else path.parent / "calendar-years"
    extra = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if extra and isinstance(data, dict):
        data = {**data, "years": list(data.get("years") or [])}
        covers = dict(data.get("covers") or {})
        for year_file in extra:
            notice = _read_yaml(year_file)
            data["years"].append(notice)
            year = notice.get("year") if isinstance(notice, dict) else None
            if isinstance(year, int) and "end" in covers:
                covers["end"] = max(_as_date(covers["end"]), date(year, 12, 31))
        data["covers"] = covers
    return parse_calendar(data, origin=", ".join(str(p) for p in (path, *extra)))


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalendarFileError(f"cannot read the working-day calendar {path}: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarFileError(f"the working-day calendar {path} is not valid YAML: {exc}") from exc


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarFileError(f"covers.end is not a date: {value!r}") from exc


def default_calendar_path() -> Path:
    """`services/eligibility/policies/calendar-cn.yaml`, found relative to this file."""
    return Path(__file__).resolve().parents[4] / "policies" / "calendar-cn.yaml"


@cache
def working_day_calendar() -> WorkingDayCalendar:
    """The default calendar (read once, on first use; never at import)."""
    return load_calendar(default_calendar_path())
