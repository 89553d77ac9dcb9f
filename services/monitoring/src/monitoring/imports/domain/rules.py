"""Pure rules of a list import: read and check the rows (the resident ID's check digit, the
date), turn each number into the city-wide person reference, and keep one row per person."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from monitoring.imports.domain.model import ListRow, RowRejected
from shared.types import ResidentId, parse_resident_id
from shared.types.errors import InvalidValueError

COLUMNS = ("resident_id", "name", "occurred_on")
"""The header a list must have (more columns are ignored): 公民身份号码, 姓名, 日期 (YYYY-MM-DD)."""
MAX_REJECTIONS_KEPT = 100


class ListHeaderInvalid(ValueError):
    pass


def read_rows(
    lines: Iterable[str], *, today: date, ref_of: Callable[[ResidentId], str]
) -> Iterator[ListRow | RowRejected]:
    """Each data row of a CSV list, accepted (as a person reference) or rejected with why.
    Raises `ListHeaderInvalid` when the header lacks a column of `COLUMNS`."""
    reader = csv.reader(lines)
    header = [h.strip().lstrip("\ufeff").lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ListHeaderInvalid(", ".join(missing))
    at = {c: header.index(c) for c in COLUMNS}
    width = max(at.values()) + 1
    for line, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            yield RowRejected(line, "row_short", "too few columns / 列数不足")
            continue
        try:
            resident_id = parse_resident_id(row[at["resident_id"]].strip(), today=today)
        except InvalidValueError as error:
            yield RowRejected(line, error.reason, error.message)
            continue
        try:
            occurred_on = date.fromisoformat(row[at["occurred_on"]].strip())
        except ValueError:
            yield RowRejected(line, "date_invalid", "occurred_on is not a YYYY-MM-DD date / 日期格式应为YYYY-MM-DD")
            continue
        if occurred_on > today:
            yield RowRejected(line, "date_in_future", "occurred_on is after today / 日期晚于今天")
            continue
        yield ListRow(line, ref_of(resident_id), occurred_on)
