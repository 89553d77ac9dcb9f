"""Bounded query parameters every route shares, as `Annotated` types, so hostile values are a
422 in the common error shape at the edge instead of a 500 deep inside (an integer past 64
bits overflows the database driver, a date with an absurd offset overflows `datetime`, a NUL
byte is refused by PostgreSQL):

- `Offset`, `Limit` (a route with its own bounds uses `limit_query(le=...)`), `AfterSeq`;
- `Instant`: an aware datetime between 2000 and 2100 (UTC), for `since`/`until` filters;
- `CleanText`: text without control characters (C0, DEL, C1), for free-text filters and the
  stated purpose of a full-value read; the `max_length` is the route's (`Query(max_length=...)`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime

MAX_INT64 = 2**63 - 1
MAX_OFFSET = 10_000_000
"""Deeper than any real list; far from any integer overflow."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 controls (NUL, newlines, tabs), DEL, C1 controls."""


def limit_query(*, le: int) -> Any:
    """The `Query(...)` of a page size from 1 to `le`: `Annotated[int, limit_query(le=500)]`."""
    return Query(ge=1, le=le, description=f"Page size (1 to {le})")


Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip (0 to 10 000 000)")]
Limit = Annotated[int, limit_query(le=200)]
AfterSeq = Annotated[
    int | None, Query(ge=0, le=MAX_INT64, description="Return entries after this sequence number (keyset paging)")
]


def within_range(value: datetime) -> datetime:
    """`value` if it lies in 2000..2100; a naive one is judged by its year alone (a route that
    refuses naive values says so in its own words)."""
    # The local year first: comparing across offsets converts, and 9999-12-31T23:59-23:59
    # overflows on the way to UTC.
    in_years = EARLIEST.year <= value.year < LATEST.year
    if not in_years or (value.tzinfo is not None and not EARLIEST <= value < LATEST):
        raise ValueError("must be between 2000-01-01 and 2100-01-01 (UTC) / 须在 2000 至 2100 年之间")
    return value


def _no_control_characters(value: str) -> str:
    if CONTROL_CHARACTER.search(value):
        raise ValueError("must not contain control characters / 不得包含控制字符")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(within_range)]
"""An aware datetime within years 2000..2100 (an offset past ±23:59 or a year outside the
range is refused before anything converts it): `since: Instant | None = None`."""

CleanText = Annotated[str, AfterValidator(_no_control_characters)]
"""Text without control characters (a NUL byte, a forged log line):
`Annotated[CleanText | None, Query(max_length=200)]`."""
