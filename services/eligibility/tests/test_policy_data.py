"""The demo policy set as data (`policies/guiyang-demo.yaml`): it loads and validates, every
version is complete, its values are those of POLICY-DEFAULTS.md, the models refuse bad data, and
the version in force is picked by date."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from eligibility.policy.adapters.policy_files import POLICY_DIR, load_policy_set, policy_book
from eligibility.policy.domain.errors import PolicyNotInForce, PolicyVersionNotFound, RegionNotCovered
from eligibility.policy.domain.model import (
    REQUIRED_PARAMETERS,
    Parameter,
    PolicyBook,
    PolicySet,
    PolicyVersion,
    area_group,
    resolve,
)

DEMO = POLICY_DIR / "guiyang-demo.yaml"

# Values that DOMAIN-RULES gives as national; everything else in the demo set is illustrative.
NATIONAL = {
    "marginal.income_multiple",  # §5.2: 1.5 × the standard
    "rigid.lookback_months",  # §5.3: 12 months before application
    "rigid.validity_months",  # §5.3: ≤ 12 months
    "tekun.elderly_age",  # §3.1: ≥ 60
    "tekun.minor_age",  # §3.1: < 16
    "tekun.minor_extended_age",  # §3.1: extended to 18
    "tekun.care.partial_from_failed",  # §3.3: 1–3 failed
    "tekun.care.full_from_failed",  # §3.3: ≥ 4 failed
    "price.cpi_trigger_percent",  # §7.3: 3.5%
    "price.food_cpi_trigger_percent",  # §7.3: 6%
    "review.stable_months",  # §2.9
    "review.variable_months",
    "review.tekun_months",
    "review.working_age_from",
    "review.working_age_to",
    "phase_out.months",  # §2.9: 6 months (S6)
}


def raw() -> dict[str, Any]:
    with DEMO.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def policy_set() -> PolicySet:
    return load_policy_set(DEMO)


def value(policy_set: PolicySet, version: str, name: str) -> Decimal:
    return policy_set.get(version).parameters[name].value


# ------------------------------------------------------------------------------ loading


class TestDemoFile:
    def test_loads_and_validates(self, policy_set: PolicySet) -> None:
        assert policy_set.name == "guiyang-demo"
        assert policy_set.region == "520100"
        assert [(v.version, v.effective_from) for v in policy_set.versions] == [
            ("2023-07", date(2023, 7, 1)),
            ("2024-07", date(2024, 7, 1)),
        ]
        assert all(v.title for v in policy_set.versions)

    def test_the_service_uses_the_same_set(self, policy_set: PolicySet) -> None:
        assert policy_book().policy_set == policy_set

    def test_every_version_has_every_required_parameter_and_the_same_names(self, policy_set: PolicySet) -> None:
        names = [set(v.parameters) for v in policy_set.versions]
        for version_names in names:
            assert version_names >= REQUIRED_PARAMETERS
        assert all(n == names[0] for n in names)

    def test_every_version_is_written_in_full_in_the_file(self) -> None:
        # YAML merge keys (<<: *base) are resolved by the loader: the parsed versions are complete
        for version in raw()["versions"]:
            assert set(version["parameters"]) >= REQUIRED_PARAMETERS

    def test_values_are_strings_in_the_file(self) -> None:
        for version in raw()["versions"]:
            for name, parameter in version["parameters"].items():
                assert isinstance(parameter["value"], str), name

    def test_every_non_national_value_is_illustrative(self, policy_set: PolicySet) -> None:
        for version in policy_set.versions:
            assert version.is_illustrative
            for name, parameter in version.parameters.items():
                expected = "national" if name in NATIONAL else "illustrative"
                assert parameter.source == expected, (version.version, name)
                assert parameter.unit, name


# ------------------------------------------------------------------------------ values


class TestValuesMatchPolicyDefaults:
    @pytest.mark.parametrize(
        ("version", "name", "expected"),
        [
            ("2023-07", "dibao_standard.six_districts.urban", "800"),
            ("2023-07", "dibao_standard.six_districts.rural", "800"),
            ("2023-07", "dibao_standard.three_counties_one_city.urban", "760"),
            ("2023-07", "dibao_standard.three_counties_one_city.rural", "500"),  # 6,000 / 12
            ("2024-07", "dibao_standard.six_districts.urban", "850"),
            ("2024-07", "dibao_standard.six_districts.rural", "850"),
            ("2024-07", "dibao_standard.three_counties_one_city.urban", "800"),
            ("2024-07", "dibao_standard.three_counties_one_city.rural", "525"),  # 6,300 / 12
        ],
    )
    def test_dibao_standards(self, policy_set: PolicySet, version: str, name: str, expected: str) -> None:
        assert value(policy_set, version, name) == Decimal(expected)

    @pytest.mark.parametrize("version", ["2023-07", "2024-07"])
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("minimum_wage.tier1", "1890"),
            ("minimum_wage.tier2", "1760"),
            ("minimum_wage.tier3", "1660"),
            ("income.lookback_months", "6"),
            ("income.employment_cost_rate", "0.20"),
            ("income.employment_cost_cap_min_wage_multiple", "0.5"),
            ("assets.financial_limit_months", "24"),
            ("assets.vehicle_value_limit", "50000"),
            ("assets.exempt_vehicles_max", "1"),
            ("assets.second_dwelling_area_per_person", "30"),
            ("dibao.benefit_floor_per_member", "10"),
            ("dibao.supplement.sanwu", "0.30"),
            ("dibao.supplement.severe_disability", "0.20"),
            ("dibao.supplement.serious_illness", "0.20"),
            ("dibao.supplement.aged", "0.15"),
            ("dibao.supplement.aged_from_age", "70"),
            ("dibao.supplement.minor", "0.10"),
            ("dibao.supplement.minor_below_age", "18"),
            ("marginal.income_multiple", "1.5"),
            ("marginal.financial_limit_months", "36"),
            ("rigid.disposable_income.urban", "47000"),
            ("rigid.disposable_income.rural", "21000"),
            ("rigid.expense_ratio", "0.60"),
            ("rigid.lookback_months", "12"),
            ("rigid.validity_months", "12"),
            ("tekun.elderly_age", "60"),
            ("tekun.minor_age", "16"),
            ("tekun.minor_extended_age", "18"),
            ("tekun.basic_multiple", "1.3"),
            ("tekun.care.self", "0.20"),
            ("tekun.care.partial", "0.50"),
            ("tekun.care.full", "1.00"),
            ("tekun.care.partial_from_failed", "1"),
            ("tekun.care.full_from_failed", "4"),
            ("temporary.emergency_multiple", "3"),
            ("temporary.expenditure_cap_multiple", "6"),
            ("temporary.town_approval_multiple", "3"),
            ("temporary.max_grants_same_cause_12m", "2"),
            ("price.cpi_trigger_percent", "3.5"),
            ("price.food_cpi_trigger_percent", "6"),
            ("review.stable_months", "12"),
            ("review.variable_months", "6"),
            ("review.tekun_months", "12"),
            ("review.working_age_from", "16"),
            ("review.working_age_to", "59"),
            ("phase_out.months", "6"),
        ],
    )
    def test_other_parameters(self, policy_set: PolicySet, version: str, name: str, expected: str) -> None:
        assert value(policy_set, version, name) == Decimal(expected)

    @pytest.mark.parametrize(
        ("region", "hukou", "day", "standard", "urban", "disposable"),
        [
            # fen: standard, the area's urban standard, the prior-year disposable income used
            ("520102", "urban", date(2024, 7, 1), 85_000, 85_000, 4_700_000),
            ("520113", "rural", date(2024, 7, 1), 85_000, 85_000, 4_700_000),  # six districts use urban
            ("520122", "urban", date(2024, 7, 1), 80_000, 80_000, 4_700_000),
            ("520123", "rural", date(2024, 7, 1), 52_500, 80_000, 2_100_000),
            ("520181", "rural", date(2024, 6, 30), 50_000, 76_000, 2_100_000),
            ("520111", "urban", date(2024, 6, 30), 80_000, 80_000, 4_700_000),
        ],
    )
    def test_resolved_values_for_the_rules(
        self, region: str, hukou: Any, day: date, standard: int, urban: int, disposable: int
    ) -> None:
        policy = policy_book().resolve(region, hukou, day)

        assert policy.standard == standard
        assert policy.urban_standard == urban
        assert policy.disposable_income_year == disposable
        assert policy.six_district_standard == (85_000 if day >= date(2024, 7, 1) else 80_000)
        assert policy.employment_cost_cap == 94_500  # 0.5 × 1890
        assert policy.min_wage_tier1 == 189_000
        assert policy.cpi_trigger == 3500
        assert policy.food_cpi_trigger == 6000
        assert policy.marginal_income_multiple == 1500
        assert policy.tekun_basic_multiple == 1300
        assert policy.refs["dibao_standard"].value * 100 == standard
        assert policy.refs["dibao_standard"].source == "illustrative"
        assert policy.illustrative

    @pytest.mark.parametrize(
        ("region", "group"),
        [
            ("520102", "six_districts"),
            ("520103", "six_districts"),
            ("520111", "six_districts"),
            ("520112", "six_districts"),
            ("520113", "six_districts"),
            ("520115", "six_districts"),
            ("520121", "three_counties_one_city"),
            ("520122", "three_counties_one_city"),
            ("520123", "three_counties_one_city"),
            ("520181", "three_counties_one_city"),
        ],
    )
    def test_area_groups(self, region: str, group: str) -> None:
        assert area_group(region) == group

    @pytest.mark.parametrize("region", ["520100", "999999", "110105", "520000"])
    def test_other_regions_are_not_covered(self, region: str) -> None:
        with pytest.raises(RegionNotCovered):
            policy_book().resolve(region, "urban", date(2024, 7, 1))


# ------------------------------------------------------------------------------ validation


def parameter(value: Any = "850", source: str = "illustrative") -> dict[str, Any]:
    return {"value": value, "unit": "yuan", "source": source}


def complete_parameters(**overrides: Any) -> dict[str, Any]:
    parameters = copy.deepcopy(raw()["versions"][1]["parameters"])
    parameters.update(overrides)
    return parameters


def version_dict(version: str = "2024-07", effective: str = "2024-07-01", **parameters: Any) -> dict[str, Any]:
    return {
        "version": version,
        "effective_from": effective,
        "title": "t",
        "parameters": complete_parameters(**parameters),
    }


def set_dict(*versions: dict[str, Any]) -> dict[str, Any]:
    return {"name": "test", "region": "520100", "versions": list(versions)}


class TestModelsRefuseBadData:
    def test_a_complete_version_is_accepted(self) -> None:
        assert PolicyVersion.model_validate(version_dict()).version == "2024-07"

    @pytest.mark.parametrize("bad", [850.0, 0.2, 1.5])
    def test_a_float_value_is_refused(self, bad: float) -> None:
        with pytest.raises(ValidationError, match="floats lose precision"):
            Parameter.model_validate(parameter(bad))
        with pytest.raises(ValidationError, match="floats lose precision"):
            PolicyVersion.model_validate(version_dict(**{"minimum_wage.tier1": parameter(bad)}))

    @pytest.mark.parametrize("good", ["850", "0.20", 850])
    def test_strings_and_integers_are_accepted(self, good: Any) -> None:
        assert Parameter.model_validate(parameter(good)).value == Decimal(str(good))

    def test_an_empty_source_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Parameter.model_validate(parameter(source=""))

    def test_an_unknown_field_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Parameter.model_validate({**parameter(), "sourse": "illustrative"})

    @pytest.mark.parametrize("missing", sorted(REQUIRED_PARAMETERS))
    def test_a_missing_parameter_is_refused(self, missing: str) -> None:
        data = version_dict()
        del data["parameters"][missing]

        with pytest.raises(ValidationError, match=missing.replace(".", r"\.")):
            PolicyVersion.model_validate(data)

    @pytest.mark.parametrize(
        "versions",
        [
            [("2024-07", "2024-07-01"), ("2023-07", "2023-07-01")],  # out of order
            [("2023-07", "2023-07-01"), ("2023-07b", "2023-07-01")],  # same effective date
            [("2023-07", "2023-07-01"), ("2023-07", "2024-07-01")],  # same name
        ],
    )
    def test_versions_must_be_distinct_and_ascending(self, versions: list[tuple[str, str]]) -> None:
        with pytest.raises(ValidationError, match=r"distinct effective dates|version names must be unique"):
            PolicySet.model_validate(set_dict(*(version_dict(v, d) for v, d in versions)))

    def test_a_set_needs_a_version(self) -> None:
        with pytest.raises(ValidationError):
            PolicySet.model_validate(set_dict())

    @pytest.mark.parametrize("name", ["24-07", "2024-7", "version-1", ""])
    def test_version_names_are_dated(self, name: str) -> None:
        with pytest.raises(ValidationError):
            PolicyVersion.model_validate(version_dict(name))

    def test_a_standard_finer_than_a_fen_cannot_be_resolved(self) -> None:
        v = PolicyVersion.model_validate(version_dict(**{"dibao_standard.six_districts.urban": parameter("850.001")}))

        with pytest.raises(ValueError, match="fen"):
            resolve(v, "six_districts", "urban")

    def test_a_rate_with_more_than_three_decimals_cannot_be_resolved(self) -> None:
        v = PolicyVersion.model_validate(version_dict(**{"dibao.supplement.aged": parameter("0.1525")}))

        with pytest.raises(ValueError, match="three decimals"):
            resolve(v, "six_districts", "urban")

    def test_a_new_version_is_a_data_change(self) -> None:
        # a third version with a new standard changes the amounts from its date, with no code change
        later = version_dict("2025-07", "2025-07-01", **{"dibao_standard.six_districts.urban": parameter("900")})
        book = PolicyBook(PolicySet.model_validate(set_dict(*raw()["versions"], later)))

        assert book.resolve("520102", "urban", date(2025, 6, 1)).standard == 85_000
        assert book.resolve("520102", "urban", date(2025, 7, 1)).standard == 90_000
        assert book.resolve("520102", "urban", date(2025, 7, 1)).version == "2025-07"


# ------------------------------------------------------------------------------ in force


class TestInForce:
    @pytest.mark.parametrize(
        ("day", "version"),
        [
            (date(2023, 7, 1), "2023-07"),  # the first version's first day
            (date(2024, 6, 30), "2023-07"),  # the day before the boundary
            (date(2024, 7, 1), "2024-07"),  # the boundary day
            (date(2024, 7, 2), "2024-07"),
            (date(2030, 1, 1), "2024-07"),
        ],
    )
    def test_picks_by_date(self, policy_set: PolicySet, day: date, version: str) -> None:
        assert policy_set.in_force(day).version == version
        assert policy_book().resolve("520102", "urban", day).version == version

    @pytest.mark.parametrize("day", [date(2023, 6, 30), date(2020, 1, 1)])
    def test_nothing_before_the_first_version(self, policy_set: PolicySet, day: date) -> None:
        with pytest.raises(PolicyNotInForce):
            policy_set.in_force(day)
        with pytest.raises(PolicyNotInForce):
            policy_book().resolve("520102", "urban", day)

    def test_get_by_name(self, policy_set: PolicySet) -> None:
        assert policy_set.get("2023-07").effective_from == date(2023, 7, 1)
        with pytest.raises(PolicyVersionNotFound):
            policy_set.get("2022-07")

    def test_resolutions_are_cached_per_version(self) -> None:
        book = policy_book()
        first = book.resolve("520102", "urban", date(2024, 7, 1))

        assert book.resolve("520102", "urban", date(2024, 9, 1)) is first
        assert book.resolve("520103", "urban", date(2025, 1, 1)) is first  # same group, same version
        assert book.resolve("520102", "urban", date(2024, 6, 1)) is not first
