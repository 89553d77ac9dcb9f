"""Region codes (GB/T 2260), DOMAIN-RULES §8.3: county and town codes of Guiyang as edge
types (the table itself is `shared.regions`)."""

from __future__ import annotations

import re
from typing import Annotated, TypeAlias

from pydantic import (
    AfterValidator,
    WithJsonSchema,
)

from shared import regions as _regions
from shared.types.errors import InvalidRegionCode, InvalidValueError
from shared.types.text import _normalise_code

_REGION_RE = re.compile(r"[0-9]{6}")


def _check_region_code(value: str, *, county_only: bool) -> str:
    code = _normalise_code(value)
    if not _REGION_RE.fullmatch(code):
        raise InvalidRegionCode(
            "region_code_format",
            "region code must be 6 digits (GB/T 2260)",
            "行政区划代码须为6位数字",
        )
    if not _regions.is_known_region(code):
        allowed = [r.code for r in _regions.guiyang_counties()] if county_only else list(_regions.REGIONS)
        raise InvalidRegionCode(
            "region_code_unknown",
            f"unknown region code {code}: must be one of the Guiyang codes {', '.join(allowed)}",
            "未知的行政区划代码，须为贵阳市的行政区划代码之一",
        )
    if county_only and not _regions.is_county(code):
        region = _regions.get_region(code)
        allowed = [r.code for r in _regions.guiyang_counties()]
        raise InvalidRegionCode(
            "region_not_county",
            f"region {code} ({region.name_en}) is not a county-level area: must be one of {', '.join(allowed)}",
            f"{region.name_zh}不是县级行政区，须为贵阳市十个区（县、市）之一",
        )
    return code


def _validate_region_field(value: str) -> str:
    try:
        return _check_region_code(value, county_only=False)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


def _validate_county_field(value: str) -> str:
    try:
        return _check_region_code(value, county_only=True)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


RegionCode: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_region_field),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(_regions.REGIONS),
            "description": "行政区划代码 (GB/T 2260): a known Guiyang region",
        }
    ),
]
"""A 6-digit region code that is in ``shared.regions.REGIONS`` (any level)."""

CountyCode: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_county_field),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [r.code for r in _regions.guiyang_counties()],
            "description": "县级行政区划代码 (GB/T 2260): one of Guiyang's ten county-level areas",
        }
    ),
]
"""A 6-digit code of one of Guiyang's ten county-level areas (区/县/县级市)."""

_TOWN_RE = re.compile(r"[0-9]{12}")


def check_town_code(value: str) -> str:
    """A 12-digit town-level code (乡镇/街道, 统计用区划代码): a Guiyang county code followed by
    six digits that are not all zero. The towns themselves are not tabulated here (the table
    changes yearly); the county part is checked."""
    code = _normalise_code(value)
    if not _TOWN_RE.fullmatch(code) or code[6:] == "000000":
        raise InvalidRegionCode(
            "town_code_format",
            "town code must be 12 digits: a county code and a town part that is not all zeros",
            "乡镇（街道）代码须为12位数字：县级代码加非全零的乡镇部分",
        )
    _check_region_code(code[:6], county_only=True)
    return code


def is_county_or_town_code(code: str) -> bool:
    """A Guiyang county code (6 digits) or a town code inside one (12 digits, town part not all
    zeros), exactly as given (no normalising: for codes inside tokens and stored records)."""
    if _REGION_RE.fullmatch(code):
        return _regions.is_county(code)
    return bool(_TOWN_RE.fullmatch(code)) and code[6:] != "000000" and _regions.is_county(code[:6])


def check_town_in_county(town_code: str | None, county_code: str) -> None:
    """A town code, when given, must lie in the county (its first six digits)."""
    if town_code is not None and town_code[:6] != county_code:
        raise InvalidRegionCode(
            "town_outside_county",
            f"town {town_code} is not in county {county_code}",
            f"乡镇（街道）{town_code} 不属于区县 {county_code}",
        )


def _validate_town_field(value: str) -> str:
    try:
        return check_town_code(value)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


TownCode: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_town_field),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^52[0-9]{10}$",
            "description": "乡镇（街道）代码: 12 digits, a Guiyang county code then the town part",
        }
    ),
]
"""A 12-digit town-level code inside one of Guiyang's counties."""
