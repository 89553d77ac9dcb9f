"""Region scoping in the query: a caller's `RegionScope` as a SQL condition on a table's area
columns, so a list returns only what the caller may see, in full pages and with true totals
(never "fetch, then drop what is out of scope": partial pages and totals that leak counts).

    where = region_clause(scope, county=table.c.region_code, town=table.c.town_code,
                          household=table.c.household_id)
    select(table).where(where, ...)

The condition is the SQL form of `RegionScope.allows` for a record stored with its county
code, its town code (or NULL) and its household id: a city-wide caller sees everything, a
county every record of the county (with or without a town), a town the records placed in
that town, a citizen their own household, anyone else nothing. A department or third party
without a household-data scope sees no household records (`RegionScope.household_data`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, false, true

from jiuzhu_platform.auth import AccessLevel, RegionScope


def region_clause(
    scope: RegionScope,
    *,
    county: ColumnElement[Any],
    town: ColumnElement[Any] | None = None,
    household: ColumnElement[Any] | None = None,
) -> ColumnElement[bool]:
    """The rows of a table of household records that `scope` may see (see the module doc)."""
    if scope.level is AccessLevel.NONE or not scope.household_data:
        return false()
    if scope.level is AccessLevel.CITY:
        return true()
    if scope.level is AccessLevel.HOUSEHOLD:
        if household is None or scope.household_id is None:
            return false()
        same: ColumnElement[bool] = household == _household_value(household, scope.household_id)
        return same
    if scope.level is AccessLevel.COUNTY:
        return county == scope.region_code
    if town is None:  # a table without towns: a town's staff see none of it
        return false()
    return town == scope.region_code


def _household_value(column: ColumnElement[Any], household_id: str) -> Any:
    """The household id as the column stores it (a UUID column takes a UUID)."""
    python_type = getattr(column.type, "python_type", str)
    if python_type is uuid.UUID:
        try:
            return uuid.UUID(household_id)
        except ValueError:
            return None
    return household_id
