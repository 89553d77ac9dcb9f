"""Where a citizen's household is placed when their real-name binding creates it (pure).

Before a person has applied, nothing says where they live; the household record needs a county.
The resident ID's address code (its first 6 digits, the county where the number was issued) is
taken when it is a current Guiyang county (DOMAIN-RULES §8.1, §8.3); anything else (another
province, a retired code such as the former 小河区) is refused: the person applies at their town
office, which places the household."""

from __future__ import annotations

from jiuzhu_platform.errors import BadRequest
from shared.regions import is_county
from shared.types import ResidentId


class RegionUnknown(BadRequest):
    """The household's county cannot be told from the resident ID alone."""

    reason = "region_unknown"

    def __init__(self) -> None:
        super().__init__(
            "the resident ID's address code is not a current Guiyang county: apply at the town office,"
            " which records where the household lives",
            message_zh="身份证号码的地址码不是贵阳市现行县级行政区划，无法确定家庭户所在地，请到乡镇（街道）申请",
        )


def binding_county(resident_id: ResidentId) -> str:
    """The county of a household created at real-name binding; `RegionUnknown` otherwise."""
    county = resident_id.value[:6]
    if not is_county(county):
        raise RegionUnknown()
    return county
