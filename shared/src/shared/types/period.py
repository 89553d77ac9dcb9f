"""`Period`: a calendar year-month (payroll and benefit months), with month arithmetic."""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date, datetime
from typing import Any, NoReturn

from pydantic import (
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from shared.types.business_time import business_date
from shared.types.errors import InvalidPeriod, InvalidValueError

_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


@functools.total_ordering
class Period:
    """A calendar month (e.g. the benefit or payroll month), written ``YYYY-MM``.

    Ordered chronologically. Instants map to periods through the Asia/Shanghai business
    date (``Period.containing``). As a Pydantic field it accepts ``"2026-01"`` (or a
    ``Period``) and serialises to ``"2026-01"`` in JSON.
    """

    __slots__ = ("_month", "_year")
    _year: int
    _month: int

    def __init__(self, year: int, month: int) -> None:
        for name, v in (("year", year), ("month", month)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise InvalidPeriod(
                    "period_type",
                    f"period {name} must be an int, got {type(v).__name__}",
                    "年月须为整数",
                )
        if not 1 <= month <= 12:
            raise InvalidPeriod(
                "period_month",
                f"period month must be 1-12, got {month}",
                f"月份须在1至12之间，实际为{month}",
            )
        if not 1 <= year <= 9999:
            raise InvalidPeriod(
                "period_year",
                f"period year must be 1-9999, got {year}",
                "年份须在1至9999之间",
            )
        object.__setattr__(self, "_year", year)
        object.__setattr__(self, "_month", month)

    @property
    def year(self) -> int:
        return self._year

    @property
    def month(self) -> int:
        return self._month

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Period is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Period is immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Period):
            return (self._year, self._month) == (other._year, other._month)
        return NotImplemented

    def __lt__(self, other: Period) -> bool:
        if isinstance(other, Period):
            return (self._year, self._month) < (other._year, other._month)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Period", self._year, self._month))

    def __reduce__(self) -> tuple[type[Period], tuple[int, int]]:
        return (Period, (self._year, self._month))

    def __repr__(self) -> str:
        return f"Period('{self}')"

    @classmethod
    def parse(cls, value: str) -> Period:
        """Parse ``"YYYY-MM"`` (exactly; ``"2026-1"`` and ``"2026-13"`` are rejected)."""
        if not isinstance(value, str):
            raise InvalidPeriod(
                "period_type",
                f"period must be a string like 2026-01, got {type(value).__name__}",
                "年月须为“YYYY-MM”格式的字符串",
            )
        m = _PERIOD_RE.fullmatch(value.strip())
        if m is None:
            raise InvalidPeriod(
                "period_format",
                "period must be written YYYY-MM, e.g. 2026-01",
                "年月格式须为 YYYY-MM，如 2026-01",
            )
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def from_date(cls, day: date) -> Period:
        """The period containing a calendar date (not a ``datetime``: use ``containing``)."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError("Period.from_date() needs a date; use Period.containing() for instants")
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, instant: datetime) -> Period:
        """The period containing an aware instant, by its Asia/Shanghai business date.
        ``2026-01-31T16:30Z`` is 1 February in Shanghai, so it is in ``2026-02``."""
        return cls.from_date(business_date(instant))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date) -> bool:
        """Whether a calendar date falls in this period."""
        return Period.from_date(day) == self

    def shift(self, months: int) -> Period:
        """The period ``months`` later (negative: earlier)."""
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def next(self) -> Period:
        return self.shift(1)

    def prev(self) -> Period:
        return self.shift(-1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_period_field,
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
            "examples": ["2026-01"],
            "description": "Calendar month YYYY-MM (Asia/Shanghai)",
        }


def _validate_period_field(value: Any) -> Period:
    if isinstance(value, Period):
        return value
    try:
        return Period.parse(value)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None
