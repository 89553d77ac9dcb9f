"""Policy sets as data: versioned, effective-dated, region-scoped parameters with their sources.

A policy set (e.g. `guiyang-demo`) has complete versions, each in force from its
`effective_from` date until the next one. A decision for a benefit month uses the version in
force on the month's first day, and records it.

`PolicyBook.resolve(region_code, hukou, day)` returns a `ResolvedPolicy`: the version's values
for one area and hukou type, already converted to integer fen / fixed-point numbers for the
rules, and each paired with a `ParamRef` (name, value, version, source) that explanations cite.
Resolutions are cached, so assessing a million households resolves a handful of times.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eligibility.policy.domain.errors import PolicyNotInForce, PolicyVersionNotFound, RegionNotCovered
from shared.regions import area_group_of
from shared.types import per_mille, to_centi_m2, to_fen

SIX = "six_districts"
THREE = "three_counties_one_city"

REQUIRED_PARAMETERS: frozenset[str] = frozenset(
    {
        "dibao_standard.six_districts.urban",
        "dibao_standard.six_districts.rural",
        "dibao_standard.three_counties_one_city.urban",
        "dibao_standard.three_counties_one_city.rural",
        "minimum_wage.tier1",
        "income.lookback_months",
        "income.employment_cost_rate",
        "income.employment_cost_cap_min_wage_multiple",
        "assets.financial_limit_months",
        "assets.vehicle_value_limit",
        "assets.exempt_vehicles_max",
        "assets.second_dwelling_area_per_person",
        "dibao.benefit_floor_per_member",
        "dibao.supplement.sanwu",
        "dibao.supplement.severe_disability",
        "dibao.supplement.serious_illness",
        "dibao.supplement.aged",
        "dibao.supplement.aged_from_age",
        "dibao.supplement.minor",
        "dibao.supplement.minor_below_age",
        "marginal.income_multiple",
        "marginal.financial_limit_months",
        "rigid.disposable_income.urban",
        "rigid.disposable_income.rural",
        "rigid.expense_ratio",
        "rigid.lookback_months",
        "rigid.validity_months",
        "tekun.elderly_age",
        "tekun.minor_age",
        "tekun.minor_extended_age",
        "tekun.basic_multiple",
        "tekun.care.self",
        "tekun.care.partial",
        "tekun.care.full",
        "tekun.care.partial_from_failed",
        "tekun.care.full_from_failed",
        "temporary.emergency_multiple",
        "temporary.expenditure_cap_multiple",
        "temporary.town_approval_multiple",
        "temporary.max_grants_same_cause_12m",
        "price.cpi_trigger_percent",
        "price.food_cpi_trigger_percent",
        "review.stable_months",
        "review.variable_months",
        "review.tekun_months",
        "review.working_age_from",
        "review.working_age_to",
        "phase_out.months",
    }
)


VERSION_PATTERN = r"^[0-9]{4}-[0-9]{2}[a-z0-9-]*$"
"""Policy version names: the month they take effect, optionally a suffix (`2024-07`, `2024-07-rev2`)."""


class Parameter(BaseModel):
    """One parameter value with where it comes from: `national`, `illustrative` or a document
    number (e.g. `筑民发〔2024〕12号`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: Decimal
    unit: str
    source: str = Field(min_length=1)
    note: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _no_floats(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("write parameter values as strings (floats lose precision)")
        return value


class PolicyVersion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(pattern=VERSION_PATTERN)
    effective_from: date
    title: str
    parameters: dict[str, Parameter]

    @model_validator(mode="after")
    def _complete(self) -> PolicyVersion:
        missing = REQUIRED_PARAMETERS - set(self.parameters)
        if missing:
            raise ValueError(f"version {self.version} lacks parameters: {sorted(missing)}")
        return self

    @property
    def is_illustrative(self) -> bool:
        return any(p.source == "illustrative" for p in self.parameters.values())


class PolicySet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    region: str = Field(pattern=r"^[0-9]{6}$")
    versions: list[PolicyVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> PolicySet:
        dates = [v.effective_from for v in self.versions]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("versions must have distinct effective dates in ascending order")
        names = [v.version for v in self.versions]
        if len(set(names)) != len(names):
            raise ValueError("version names must be unique")
        return self

    def in_force(self, day: date) -> PolicyVersion:
        """The version in force on `day` (the latest whose effective date is not after it)."""
        index = bisect.bisect_right([v.effective_from for v in self.versions], day) - 1
        if index < 0:
            raise PolicyNotInForce(day)
        return self.versions[index]

    def get(self, version: str) -> PolicyVersion:
        for candidate in self.versions:
            if candidate.version == version:
                return candidate
        raise PolicyVersionNotFound(version)


@dataclass(frozen=True, slots=True)
class ParamRef:
    """What an explanation cites: the parameter's name, value, version and source."""

    name: str
    value: Decimal
    unit: str
    version: str
    source: str


class Citations(dict[tuple[str, ...], tuple[ParamRef, ...]]):
    """`cites[("a", "b")]` → the ParamRefs of parameters a and b, built once per policy and then
    shared by every explanation that cites them (the rules' hot path allocates nothing)."""

    def __init__(self, refs: Mapping[str, ParamRef]) -> None:
        super().__init__()
        self.refs = refs

    def __missing__(self, names: tuple[str, ...]) -> tuple[ParamRef, ...]:
        value = self[names] = tuple(self.refs[name] for name in names)
        return value


@dataclass(frozen=True, slots=True)
class ResolvedPolicy:
    """One version's values for one area and hukou type, ready for the rules.

    Money in integer fen; rates in thousandths (‰); floor areas in hundredths of a m²; counts
    and ages as ints.
    """

    version: str
    effective_from: date
    area_group: str
    hukou: str
    illustrative: bool
    refs: Mapping[str, ParamRef]
    cites: Citations
    standard: int  # the household's monthly dibao standard, fen per person
    urban_standard: int  # the area's urban standard (特困 basic living)
    six_district_standard: int  # 急难型 first-aid ceiling base
    min_wage_tier1: int
    lookback_months: int
    employment_cost_rate: int  # ‰
    employment_cost_cap: int  # fen per employed member per month
    financial_limit_months: int
    vehicle_value_limit: int
    exempt_vehicles_max: int
    second_dwelling_centi_m2_per_person: int  # floor area, m² × 100
    benefit_floor_per_member: int
    supplement_sanwu: int  # ‰
    supplement_severe_disability: int
    supplement_serious_illness: int
    supplement_aged: int
    supplement_aged_from_age: int
    supplement_minor: int
    supplement_minor_below_age: int
    marginal_income_multiple: int  # ‰
    marginal_financial_limit_months: int
    disposable_income_year: int  # fen per person per year
    rigid_expense_ratio: int  # ‰
    rigid_lookback_months: int
    rigid_validity_months: int
    tekun_elderly_age: int
    tekun_minor_age: int
    tekun_minor_extended_age: int
    tekun_basic_multiple: int  # ‰
    tekun_care_self: int  # ‰
    tekun_care_partial: int
    tekun_care_full: int
    tekun_partial_from_failed: int
    tekun_full_from_failed: int
    temporary_emergency_multiple: int
    temporary_cap_multiple: int
    temporary_town_multiple: int
    temporary_max_grants: int
    cpi_trigger: int  # ‰ of a percent point: 3.5% → 3500
    food_cpi_trigger: int
    review_stable_months: int
    review_variable_months: int
    review_tekun_months: int
    working_age_from: int
    working_age_to: int
    phase_out_months: int

    def ref(self, name: str) -> ParamRef:
        return self.refs[name]


def resolve(version: PolicyVersion, area_group: str, hukou: Literal["urban", "rural"]) -> ResolvedPolicy:
    p = version.parameters

    def v(name: str) -> Decimal:
        return p[name].value

    standard_name = f"dibao_standard.{area_group}.{hukou}"
    # 六城区 run urban and rural dibao as one; in 三县一市 the hukou type picks the standard.
    # The prior-year disposable income follows the same split (six districts use urban).
    disposable_hukou = "urban" if area_group == SIX else hukou
    refs = {
        name: ParamRef(name, parameter.value, parameter.unit, version.version, parameter.source)
        for name, parameter in p.items()
    }
    refs["dibao_standard"] = refs[standard_name]
    refs["dibao_standard.urban"] = refs[f"dibao_standard.{area_group}.urban"]
    refs["rigid.disposable_income"] = refs[f"rigid.disposable_income.{disposable_hukou}"]
    min_wage = to_fen(v("minimum_wage.tier1"))
    return ResolvedPolicy(
        version=version.version,
        effective_from=version.effective_from,
        area_group=area_group,
        hukou=hukou,
        illustrative=version.is_illustrative,
        refs=refs,
        cites=Citations(refs),
        standard=to_fen(v(standard_name)),
        urban_standard=to_fen(v(f"dibao_standard.{area_group}.urban")),
        six_district_standard=to_fen(v("dibao_standard.six_districts.urban")),
        min_wage_tier1=min_wage,
        lookback_months=int(v("income.lookback_months")),
        employment_cost_rate=per_mille(v("income.employment_cost_rate")),
        employment_cost_cap=to_fen(v("income.employment_cost_cap_min_wage_multiple") * v("minimum_wage.tier1")),
        financial_limit_months=int(v("assets.financial_limit_months")),
        vehicle_value_limit=to_fen(v("assets.vehicle_value_limit")),
        exempt_vehicles_max=int(v("assets.exempt_vehicles_max")),
        second_dwelling_centi_m2_per_person=to_centi_m2(v("assets.second_dwelling_area_per_person")),
        benefit_floor_per_member=to_fen(v("dibao.benefit_floor_per_member")),
        supplement_sanwu=per_mille(v("dibao.supplement.sanwu")),
        supplement_severe_disability=per_mille(v("dibao.supplement.severe_disability")),
        supplement_serious_illness=per_mille(v("dibao.supplement.serious_illness")),
        supplement_aged=per_mille(v("dibao.supplement.aged")),
        supplement_aged_from_age=int(v("dibao.supplement.aged_from_age")),
        supplement_minor=per_mille(v("dibao.supplement.minor")),
        supplement_minor_below_age=int(v("dibao.supplement.minor_below_age")),
        marginal_income_multiple=per_mille(v("marginal.income_multiple")),
        marginal_financial_limit_months=int(v("marginal.financial_limit_months")),
        disposable_income_year=to_fen(v(f"rigid.disposable_income.{disposable_hukou}")),
        rigid_expense_ratio=per_mille(v("rigid.expense_ratio")),
        rigid_lookback_months=int(v("rigid.lookback_months")),
        rigid_validity_months=int(v("rigid.validity_months")),
        tekun_elderly_age=int(v("tekun.elderly_age")),
        tekun_minor_age=int(v("tekun.minor_age")),
        tekun_minor_extended_age=int(v("tekun.minor_extended_age")),
        tekun_basic_multiple=per_mille(v("tekun.basic_multiple")),
        tekun_care_self=per_mille(v("tekun.care.self")),
        tekun_care_partial=per_mille(v("tekun.care.partial")),
        tekun_care_full=per_mille(v("tekun.care.full")),
        tekun_partial_from_failed=int(v("tekun.care.partial_from_failed")),
        tekun_full_from_failed=int(v("tekun.care.full_from_failed")),
        temporary_emergency_multiple=int(v("temporary.emergency_multiple")),
        temporary_cap_multiple=int(v("temporary.expenditure_cap_multiple")),
        temporary_town_multiple=int(v("temporary.town_approval_multiple")),
        temporary_max_grants=int(v("temporary.max_grants_same_cause_12m")),
        cpi_trigger=per_mille(v("price.cpi_trigger_percent")),
        food_cpi_trigger=per_mille(v("price.food_cpi_trigger_percent")),
        review_stable_months=int(v("review.stable_months")),
        review_variable_months=int(v("review.variable_months")),
        review_tekun_months=int(v("review.tekun_months")),
        working_age_from=int(v("review.working_age_from")),
        working_age_to=int(v("review.working_age_to")),
        phase_out_months=int(v("phase_out.months")),
    )


class PolicyBook:
    """A policy set with cached resolutions, keyed by (month, area group, hukou)."""

    def __init__(self, policy_set: PolicySet) -> None:
        self.policy_set = policy_set
        self._by_version: dict[tuple[str, str, str], ResolvedPolicy] = {}
        self._by_day: dict[tuple[date, str, str], ResolvedPolicy] = {}

    def resolve(self, region_code: str, hukou: Literal["urban", "rural"], day: date) -> ResolvedPolicy:
        group = area_group(region_code)
        key = (day, group, hukou)
        cached = self._by_day.get(key)
        if cached is not None:
            return cached
        version = self.policy_set.in_force(day)
        vkey = (version.version, group, hukou)
        resolved = self._by_version.get(vkey)
        if resolved is None:
            resolved = self._by_version[vkey] = resolve(version, group, hukou)
        self._by_day[key] = resolved
        return resolved


@cache
def area_group(region_code: str) -> str:
    """`six_districts` or `three_counties_one_city` for a Guiyang county-level code."""
    try:
        return area_group_of(region_code).value
    except (LookupError, ValueError):
        raise RegionNotCovered(region_code) from None
