"""Pure rules of a list import: read and check the rows (the resident ID's check digit, the
date), turn each number into the city-wide person reference, and keep one row per person."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from uuid import UUID, uuid5

from monitoring.imports.domain.model import ListedMember, ListRow, RowRejected
from monitoring.warnings.domain.model import ANTI_POVERTY, MonitoredCase
from shared.types import ResidentId, parse_resident_id
from shared.types.errors import InvalidValueError
from shared.types.region_codes import check_town_code, check_town_in_county

COLUMNS = ("resident_id", "name", "occurred_on")
"""The header a list must have (more columns are ignored): 公民身份号码, 姓名, 日期 (YYYY-MM-DD)."""
HOUSEHOLD_COLUMNS = ("household_no", "resident_id", "name", "town_code", "occurred_on")
"""The header of a 防返贫 list: 户编号, 公民身份号码, 姓名, 乡镇（街道）代码, 纳入监测日期."""
MAX_REJECTIONS_KEPT = 100


class ListHeaderInvalid(ValueError):
    pass


def read_rows(
    lines: Iterable[str], *, today: date, ref_of: Callable[[ResidentId], str]
) -> Iterator[ListRow | RowRejected]:
    """Each data row of a CSV list, accepted (as a person reference) or rejected with why.
    Raises `ListHeaderInvalid` when the header lacks a column of `COLUMNS`."""
    for line, cells in _rows(lines, COLUMNS):
        person = _person(line, cells, today=today, ref_of=ref_of)
        yield person if isinstance(person, RowRejected) else ListRow(line, *person)


def read_household_rows(
    lines: Iterable[str], *, today: date, ref_of: Callable[[ResidentId], str], county: str | None
) -> Iterator[ListedMember | RowRejected]:
    """Each data row of a 防返贫 list (`HOUSEHOLD_COLUMNS`): a member of a listed household, or
    why the row is refused; a town outside `county` (when given) is refused."""
    for line, cells in _rows(lines, HOUSEHOLD_COLUMNS):
        household_no = cells["household_no"].strip()
        if not household_no or len(household_no) > 40:
            yield RowRejected(line, "household_no_invalid", "household_no is 1–40 characters / 户编号应为1–40个字符")
            continue
        try:
            town = check_town_code(cells["town_code"].strip())
            if county is not None:
                check_town_in_county(town, county)
        except InvalidValueError as error:
            yield RowRejected(line, error.reason, error.message)
            continue
        person = _person(line, cells, today=today, ref_of=ref_of)
        if isinstance(person, RowRejected):
            yield person
        else:
            yield ListedMember(line, person[0], household_no, town, person[1])


def _rows(lines: Iterable[str], columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, the row's cells by column) of each non-blank data row; a short row has no cells."""
    reader = csv.reader(lines)
    header = [h.strip().lstrip("\ufeff").lower() for h in next(reader, [])]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ListHeaderInvalid(", ".join(missing))
    at = {c: header.index(c) for c in columns}
    width = max(at.values()) + 1
    for line, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        yield line, ({c: row[i] for c, i in at.items()} if len(row) >= width else {})


def _person(
    line: int, cells: dict[str, str], *, today: date, ref_of: Callable[[ResidentId], str]
) -> tuple[str, date] | RowRejected:
    """The row's person reference and date, or why the row is refused."""
    if not cells:
        return RowRejected(line, "row_short", "too few columns / 列数不足")
    try:
        resident_id = parse_resident_id(cells["resident_id"].strip(), today=today)
    except InvalidValueError as error:
        return RowRejected(line, error.reason, error.message)
    try:
        occurred_on = date.fromisoformat(cells["occurred_on"].strip())
    except ValueError:
        return RowRejected(line, "date_invalid", "occurred_on is not a YYYY-MM-DD date / 日期格式应为YYYY-MM-DD")
    if occurred_on > today:
        return RowRejected(line, "date_in_future", "occurred_on is after today / 日期晚于今天")
    return ref_of(resident_id), occurred_on


ANTI_POVERTY_NAMESPACE = UUID("7a0c3f4e-5b1d-4e2a-9c86-3d1f0b7e2a51")
"""uuid5 namespace of the register ids of 防返贫 households (stable from list to list)."""


def anti_poverty_households(
    members: Iterable[ListedMember], known: dict[str, UUID]
) -> tuple[list[MonitoredCase], dict[UUID, set[str]]]:
    """The listed households as register entries (category 防返贫) and their members. A
    household is identified by its county and 户编号; it is the register's household of any of
    its members the register knows (so one family is one household), else a new one derived
    from the number. Its town is its first row's; monitoring began on its earliest date."""
    grouped: dict[tuple[str, str], list[ListedMember]] = {}
    for m in members:
        grouped.setdefault((m.town_code[:6], m.household_no), []).append(m)
    entries: dict[UUID, MonitoredCase] = {}
    people: dict[UUID, set[str]] = {}
    for (county, number), rows in sorted(grouped.items()):
        found = sorted({known[m.person_ref] for m in rows if m.person_ref in known})
        household = found[0] if found else uuid5(ANTI_POVERTY_NAMESPACE, f"household|{county}|{number}")
        people.setdefault(household, set()).update(m.person_ref for m in rows)
        if household in entries:
            continue  # two numbers of one family: its first
        entries[household] = MonitoredCase(
            case_id=uuid5(ANTI_POVERTY_NAMESPACE, f"entry|{household}"),
            household_id=household,
            category=ANTI_POVERTY,
            region_code=county,
            town_code=rows[0].town_code,
            payee_ref=rows[0].person_ref,
            support_mode=None,
            active=True,
            opened_on=min(m.occurred_on for m in rows),
        )
    return list(entries.values()), people
