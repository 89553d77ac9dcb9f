"""Tests for shared.regions and the RegionCode / CountyCode field types."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.regions import (
    GUIYANG_CITY_CODE,
    GUIZHOU_PROVINCE_CODE,
    REGIONS,
    AreaGroup,
    Region,
    RegionLevel,
    UnknownRegionError,
    area_group_of,
    counties_in_group,
    get_region,
    guiyang_counties,
    is_county,
    is_known_region,
)
from shared.types import CountyCode, RegionCode

# DOMAIN-RULES §8.3, row by row.
EXPECTED_TABLE = [
    ("520000", "贵州省", RegionLevel.PROVINCE),
    ("520100", "贵阳市", RegionLevel.PREFECTURE),
    ("520102", "南明区", RegionLevel.COUNTY),
    ("520103", "云岩区", RegionLevel.COUNTY),
    ("520111", "花溪区", RegionLevel.COUNTY),
    ("520112", "乌当区", RegionLevel.COUNTY),
    ("520113", "白云区", RegionLevel.COUNTY),
    ("520115", "观山湖区", RegionLevel.COUNTY),
    ("520121", "开阳县", RegionLevel.COUNTY),
    ("520122", "息烽县", RegionLevel.COUNTY),
    ("520123", "修文县", RegionLevel.COUNTY),
    ("520181", "清镇市", RegionLevel.COUNTY),
]
SIX_DISTRICTS = ["520102", "520103", "520111", "520112", "520113", "520115"]
THREE_COUNTIES_ONE_CITY = ["520121", "520122", "520123", "520181"]


class TestRegionTable:
    def test_table_matches_domain_rules_exactly(self) -> None:
        assert [(r.code, r.name_zh, r.level) for r in REGIONS.values()] == EXPECTED_TABLE

    def test_parents(self) -> None:
        assert get_region(GUIZHOU_PROVINCE_CODE).parent_code is None
        assert get_region(GUIYANG_CITY_CODE).parent_code == GUIZHOU_PROVINCE_CODE
        assert all(r.parent_code == GUIYANG_CITY_CODE for r in guiyang_counties())

    @pytest.mark.parametrize(
        ("code", "name_en"),
        [
            ("520000", "Guizhou Province"),
            ("520100", "Guiyang City"),
            ("520102", "Nanming District"),
            ("520115", "Guanshanhu District"),
            ("520121", "Kaiyang County"),
            ("520181", "Qingzhen City"),
        ],
    )
    def test_english_names(self, code: str, name_en: str) -> None:
        assert get_region(code).name_en == name_en

    def test_regions_are_frozen_and_the_mapping_is_read_only(self) -> None:
        region = get_region("520102")
        with pytest.raises(AttributeError):
            region.name_zh = "x"  # type: ignore[misc]
        with pytest.raises(TypeError):
            REGIONS["520199"] = region  # type: ignore[index]

    def test_get_region_returns_a_region(self) -> None:
        assert get_region("520103") == Region(
            "520103",
            "云岩区",
            "Yunyan District",
            RegionLevel.COUNTY,
            "520100",
            AreaGroup.SIX_DISTRICTS,
        )


class TestLookups:
    @pytest.mark.parametrize("code", ["520114", "520199", "5201", "", "110105"])
    def test_unknown_codes(self, code: str) -> None:
        assert not is_known_region(code)
        with pytest.raises(UnknownRegionError) as info:
            get_region(code)
        assert info.value.reason == "region_code_unknown"
        assert "520102" in info.value.message_en
        assert info.value.message_zh

    def test_unknown_region_error_is_a_lookup_error(self) -> None:
        with pytest.raises(LookupError):
            get_region("520199")

    @pytest.mark.parametrize("code", [None, 520102, ["520102"]])
    def test_non_string_codes_are_not_known(self, code: Any) -> None:
        assert not is_known_region(code)
        assert not is_county(code)
        with pytest.raises(UnknownRegionError):
            get_region(code)

    @pytest.mark.parametrize("code", [c for c, _, _ in EXPECTED_TABLE])
    def test_every_table_code_is_known(self, code: str) -> None:
        assert is_known_region(code)
        assert get_region(code).code == code

    def test_is_county(self) -> None:
        assert is_county("520181")
        assert not is_county("520100")
        assert not is_county("520000")
        assert not is_county("520114")

    def test_guiyang_counties(self) -> None:
        counties = guiyang_counties()
        assert [r.code for r in counties] == SIX_DISTRICTS + THREE_COUNTIES_ONE_CITY
        assert len(counties) == 10


class TestAreaGroups:
    def test_groups(self) -> None:
        assert [r.code for r in counties_in_group(AreaGroup.SIX_DISTRICTS)] == SIX_DISTRICTS
        assert [r.code for r in counties_in_group(AreaGroup.THREE_COUNTIES_ONE_CITY)] == THREE_COUNTIES_ONE_CITY

    def test_names(self) -> None:
        assert AreaGroup.SIX_DISTRICTS.name_zh == "六城区"
        assert AreaGroup.THREE_COUNTIES_ONE_CITY.name_zh == "三县一市"
        assert AreaGroup.SIX_DISTRICTS.value == "six_districts"

    @pytest.mark.parametrize("code", SIX_DISTRICTS)
    def test_six_districts(self, code: str) -> None:
        assert area_group_of(code) is AreaGroup.SIX_DISTRICTS

    @pytest.mark.parametrize("code", THREE_COUNTIES_ONE_CITY)
    def test_three_counties_one_city(self, code: str) -> None:
        assert area_group_of(code) is AreaGroup.THREE_COUNTIES_ONE_CITY

    @pytest.mark.parametrize("code", [GUIZHOU_PROVINCE_CODE, GUIYANG_CITY_CODE])
    def test_province_and_city_have_no_group(self, code: str) -> None:
        assert get_region(code).area_group is None
        with pytest.raises(ValueError, match="not a county-level area"):
            area_group_of(code)

    def test_unknown_code_has_no_group(self) -> None:
        with pytest.raises(UnknownRegionError):
            area_group_of("520114")


class Household(BaseModel):
    region: RegionCode
    county: CountyCode


def field_error(data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as info:
        Household.model_validate(data)
    errors = info.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


class TestRegionFields:
    def test_valid(self) -> None:
        household = Household(region="520100", county="520115")
        assert (household.region, household.county) == ("520100", "520115")
        assert household.model_dump_json() == '{"region":"520100","county":"520115"}'

    def test_whitespace_is_stripped_and_full_width_digits_normalised(self) -> None:
        assert Household(region=" 520102 ", county="520102\n").county == "520102"
        assert Household(region="５２０１０２", county="520102").region == "520102"

    @pytest.mark.parametrize("field", ["region", "county"])
    @pytest.mark.parametrize("value", ["5201", "52010a", "52 01 02", "5201020"])
    def test_format(self, field: str, value: str) -> None:
        data = {"region": "520102", "county": "520102", field: value}
        error = field_error(data)
        assert error["type"] == "region_code_format"
        assert error["loc"] == (field,)
        assert "6 digits" in error["msg"]

    def test_unknown_region_lists_the_guiyang_codes(self) -> None:
        error = field_error({"region": "520114", "county": "520102"})
        assert error["type"] == "region_code_unknown"
        assert error["loc"] == ("region",)
        for code, _, _ in EXPECTED_TABLE:
            assert code in error["msg"]
        assert "贵阳市" in error["msg"]

    def test_unknown_county_lists_the_county_codes(self) -> None:
        error = field_error({"region": "520102", "county": "110105"})
        assert error["type"] == "region_code_unknown"
        assert error["loc"] == ("county",)
        assert all(code in error["msg"] for code in SIX_DISTRICTS + THREE_COUNTIES_ONE_CITY)
        assert "520000" not in error["msg"]

    @pytest.mark.parametrize(("code", "name_zh"), [("520100", "贵阳市"), ("520000", "贵州省")])
    def test_county_field_rejects_non_county_levels(self, code: str, name_zh: str) -> None:
        error = field_error({"region": "520102", "county": code})
        assert error["type"] == "region_not_county"
        assert error["loc"] == ("county",)
        assert "not a county-level area" in error["msg"]
        assert name_zh in error["msg"]
        assert set(error["ctx"]) == {"en", "zh"}

    def test_integers_are_not_codes(self) -> None:
        assert field_error({"region": 520102, "county": "520102"})["type"] == "string_type"

    def test_json_schema_enumerates_the_codes(self) -> None:
        properties = Household.model_json_schema()["properties"]
        assert properties["region"]["enum"] == [c for c, _, _ in EXPECTED_TABLE]
        assert properties["county"]["enum"] == SIX_DISTRICTS + THREE_COUNTIES_ONE_CITY
