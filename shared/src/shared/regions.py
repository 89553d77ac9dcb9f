"""Administrative division codes (行政区划代码, GB/T 2260) for Guiyang.

The table is DOMAIN-RULES §8.3 (source S25, 国家统计局 data at county level): 贵州省, 贵阳市 and
its ten county-level areas. It lists *current* statutory divisions only:

- Retired codes (for example the former 小河区) are not here. A resident ID keeps its
  original address code for life, so resident-ID validation never looks codes up in this
  table (see ``shared.types``).
- 贵安新区 and the national development zones (高新区, 经开区, 综保区, 双龙航空港) are
  administrative bodies but have no GB/T 2260 county code. Model them as service areas
  elsewhere, never as regions here.

The area groups (六城区 / 三县一市) follow POLICY-DEFAULTS.md "Areas": the six urban districts
run urban and rural dibao as one, the three counties and one city keep two standards.

This module is pure data and depends on nothing else in the project.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "GUIYANG_CITY_CODE",
    "GUIZHOU_PROVINCE_CODE",
    "REGIONS",
    "AreaGroup",
    "Region",
    "RegionLevel",
    "UnknownRegionError",
    "area_group_of",
    "counties_in_group",
    "get_region",
    "guiyang_counties",
    "is_county",
    "is_known_region",
]

GUIZHOU_PROVINCE_CODE = "520000"
GUIYANG_CITY_CODE = "520100"


class RegionLevel(StrEnum):
    """Level of a division: 省级 / 地级 / 县级."""

    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"


class AreaGroup(StrEnum):
    """Policy area group of a Guiyang county-level area (POLICY-DEFAULTS.md "Areas")."""

    SIX_DISTRICTS = "six_districts"
    """六城区: 南明, 云岩, 花溪, 乌当, 白云, 观山湖 (urban = rural dibao standard)."""
    THREE_COUNTIES_ONE_CITY = "three_counties_one_city"
    """三县一市: 开阳, 息烽, 修文, 清镇 (separate urban and rural standards)."""

    @property
    def name_zh(self) -> str:
        return _AREA_GROUP_NAMES_ZH[self]


_AREA_GROUP_NAMES_ZH: Mapping[AreaGroup, str] = {
    AreaGroup.SIX_DISTRICTS: "六城区",
    AreaGroup.THREE_COUNTIES_ONE_CITY: "三县一市",
}


@dataclass(frozen=True, slots=True)
class Region:
    """One statutory division.

    ``parent_code`` is ``None`` for the province. ``area_group`` is set for county-level
    areas only.
    """

    code: str
    name_zh: str
    name_en: str
    level: RegionLevel
    parent_code: str | None
    area_group: AreaGroup | None = None


class UnknownRegionError(LookupError):
    """A code that is not in the region table. Carries a stable ``reason`` and a bilingual
    message, like ``shared.types.InvalidValueError``."""

    reason = "region_code_unknown"

    def __init__(self, region_code: str) -> None:
        known = ", ".join(REGIONS)
        self.message_en = f"unknown region code {region_code!r}: must be one of {known}"
        self.message_zh = "未知的行政区划代码，须为贵阳市行政区划代码之一"
        super().__init__(f"{self.message_en} / {self.message_zh}")

    @property
    def message(self) -> str:
        return f"{self.message_en} / {self.message_zh}"


_SIX = AreaGroup.SIX_DISTRICTS
_THREE_ONE = AreaGroup.THREE_COUNTIES_ONE_CITY
_PROVINCE = RegionLevel.PROVINCE
_PREFECTURE = RegionLevel.PREFECTURE
_COUNTY = RegionLevel.COUNTY
_GY = GUIYANG_CITY_CODE

_TABLE: tuple[Region, ...] = (
    Region("520000", "贵州省", "Guizhou Province", _PROVINCE, None),
    Region("520100", "贵阳市", "Guiyang City", _PREFECTURE, GUIZHOU_PROVINCE_CODE),
    Region("520102", "南明区", "Nanming District", _COUNTY, _GY, _SIX),
    Region("520103", "云岩区", "Yunyan District", _COUNTY, _GY, _SIX),
    Region("520111", "花溪区", "Huaxi District", _COUNTY, _GY, _SIX),
    Region("520112", "乌当区", "Wudang District", _COUNTY, _GY, _SIX),
    Region("520113", "白云区", "Baiyun District", _COUNTY, _GY, _SIX),
    Region("520115", "观山湖区", "Guanshanhu District", _COUNTY, _GY, _SIX),
    Region("520121", "开阳县", "Kaiyang County", _COUNTY, _GY, _THREE_ONE),
    Region("520122", "息烽县", "Xifeng County", _COUNTY, _GY, _THREE_ONE),
    Region("520123", "修文县", "Xiuwen County", _COUNTY, _GY, _THREE_ONE),
    Region("520181", "清镇市", "Qingzhen City", _COUNTY, _GY, _THREE_ONE),
)

REGIONS: Mapping[str, Region] = MappingProxyType({r.code: r for r in _TABLE})
"""All known regions by code, in code order (read-only)."""


def get_region(code: str) -> Region:
    """The region with this code; raises ``UnknownRegionError`` if it is not in the table."""
    try:
        return REGIONS[code]
    except (KeyError, TypeError):
        raise UnknownRegionError(str(code)) from None


def is_known_region(code: object) -> bool:
    """Whether ``code`` is a code in the table (any level). Never raises."""
    return isinstance(code, str) and code in REGIONS


def is_county(code: object) -> bool:
    """Whether ``code`` is a known county-level area (区/县/县级市)."""
    return isinstance(code, str) and code in REGIONS and REGIONS[code].level is _COUNTY


def guiyang_counties() -> tuple[Region, ...]:
    """The ten county-level areas of 贵阳市, in code order."""
    return tuple(r for r in _TABLE if r.level is _COUNTY and r.parent_code == _GY)


def counties_in_group(group: AreaGroup) -> tuple[Region, ...]:
    """The county-level areas of one policy area group, in code order."""
    return tuple(r for r in _TABLE if r.area_group is group)


def area_group_of(code: str) -> AreaGroup:
    """The policy area group of a county-level code.

    Raises ``UnknownRegionError`` for unknown codes and ``ValueError`` for known codes that
    are not county-level (the province and the city belong to no group).
    """
    region = get_region(code)
    if region.area_group is None:
        raise ValueError(
            f"region {code} ({region.name_en}) is not a county-level area and has no area"
            f" group / 该行政区划不是县级行政区，没有政策区域分组"
        )
    return region.area_group
