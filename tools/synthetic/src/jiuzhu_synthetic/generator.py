"""Seeded synthetic households for Guiyang (贵阳市), in the public ``AssessmentCreate`` shape.

Every household is a plain JSON-able ``dict`` shaped exactly like the eligibility service's
``AssessmentCreate`` request (``services/eligibility/src/eligibility/assessment/api/schemas.py``):
money is a string with two decimals (``"1234.50"``), resident IDs are valid GB 11643 numbers,
incomes are ``months`` monthly amounts, oldest first. This package never imports the
eligibility service: the request shape is the contract, so the same data can also feed other
consumers (the verification service's department data).

Determinism and scale
---------------------
Household ``i`` of seed ``s`` is a pure function of ``(s, i)`` (and of ``benefit_month`` and
``months``): its ``random.Random`` is seeded with a BLAKE2b digest of ``"s:i"``, so any slice
can be regenerated alone (``generate(s, 10, start=500)`` equals items 500..509 of a longer
run) and generation holds one household at a time. Only ``Random.random()`` and
``Random.gauss()`` are used, whose streams CPython keeps stable; ``GENERATOR_VERSION`` changes
whenever the output for a given ``(seed, index)`` changes.

Target shares (by construction; all values illustrative, not statistics)
-----------------------------------------------------------------------
Region (households), rough 2020-census population weights:

===========  ====  ===========  ====
六城区        74%  三县一市       26%
南明 520102  17.5%  开阳 520121   6.2%
云岩 520103  18.0%  息烽 520122   4.0%
花溪 520111  14.0%  修文 520123   5.2%
乌当 520112   6.5%  清镇 520181  10.6%
白云 520113   7.5%
观山湖 520115 10.5%
===========  ====  ===========  ====

Hukou: urban in 85% of six-district households, 30% of 三县一市 ones (≈ 71% urban overall).

Latent band (``Labels.band``; ``expected_band``), chosen *first*, then the household is built
to fit it. Shares per 10,000 households by area and hukou (the rest is ``none``):

=================  =====  =====  ========  =====  ================
area / hukou       tekun  dibao  marginal  rigid  asset-ineligible
=================  =====  =====  ========  =====  ================
six districts         80    400       260    180               250
三县一市 urban        100    450       300    200               250
三县一市 rural        160    800       400    250               250
=================  =====  =====  ========  =====  ================

Overall ≈ tekun 1.0%, dibao 4.8%, marginal 2.9%, rigid 1.9%, ``none`` 89.4% (of which 2.5%
are low-income households that fail the asset test); per-capita counted income ≥ 1.5× the
standard in ≈ 89% of households (``none`` proper plus ``rigid``). ``target_band_shares()``
gives the exact values.

- ``tekun`` (特困-like): one person, aged ≥ 60 (85%) or an adult with a 特困-qualifying
  disability (智力/精神 1–3, 肢体 1–2, 视力 1), no labour capacity, no able supporter
  (``has_able_supporter`` false), own income (特困 exclusions applied) < 0.85 × the
  standard (55% have none), assets pass the one-person 低保 test; ``sanwu`` for 30%.
- ``dibao``: per-capita counted income in [0, 0.88) × the standard (12% have none); assets
  pass the 低保 test (financial ≤ 18 × standard per capita, at most one vehicle < 45,000 for
  work or a disabled member, at most one dwelling, no company).
- ``marginal`` (边缘): per-capita counted income in [1.08, 1.42] × the standard; assets pass
  the 边缘 test (financial ≤ 30 × standard per capita, otherwise as above).
- ``rigid`` (刚性支出): per-capita income in [1.6 × standard, 0.92 × the prior-year
  per-capita disposable income (urban 47,000 / rural 21,000 元 a year; six districts urban)],
  rigid expenditure over 12 months ≥ 0.8 × all household income over 12 months, assets pass
  the 边缘 test.
- ``none``: everything else, by one of two routes: per-capita counted income ≥ 1.6 × the
  standard *even when* the ambiguous members (parents-in-law, children-in-law, siblings)
  count as members without their income (lognormal above that floor, medians ≈ 3,300 元 a
  month in the six districts and urban 三县一市, 1,500 元 rural 三县一市), rigid expenditure
  ≤ 0.5 × counted income unless per-capita income ≥ 1.05 × the disposable-income line, and
  single persons without an able supporter hold savings ≥ 45 × the standard; or income in
  the low range [0, 1.42) × standard with one asset that fails both the 低保 and the 边缘
  test (a private car of 60,000–250,000 元, per-capita savings ≥ 45 × the standard, a
  company shareholding, or three dwellings) and rigid expenditure ≤ 0.5 × counted income.

Counted income follows POLICY-DEFAULTS: the average of the last ``min(6, months)`` months (the
generator makes both that window and the earlier months average exactly the latent monthly
mean), the national excluded items left out (``old_age_allowance``, 高龄津贴, counts for 低保
but not for 特困; it is kept out of the latent target and every band's interval leaves room
for it, so the band holds either way), wages less 20% (at most 945 元) per employed member;
a wage item's months are all on one side of the 4,725 元 cap so the deduction is the same per
month or on the average. The household unit is DOMAIN-RULES §1.1: self, spouse (even away),
minor children and children in
education or unable to live alone (even away), co-resident adult children, parents,
grandparents and grandchildren are in; members with a ``status``, lodgers (``other``) and
non-co-resident independent adult children are out. Only ``none`` households contain the
ambiguous relations. Standards: six districts 850, 三县一市 urban 800 / rural 525 from
2024-07-01 (800 / 760 / 500 before), by the benefit month's first day.

Other shares (people unless stated):

- household sizes 1–6: ≈ 22 / 29 / 23 / 15 / 9 / 3.5% of households, 2.7 members on average;
  sizes 1 and 2 are ≈ 80% of the households headed by someone ≥ 60;
- disability ≈ 6% (grade 1 ≈ 8%, 2 ≈ 17%, 3 ≈ 30%, 4 ≈ 45% of them; ~2.5× as common in
  low-income households); serious illness ≈ 2% (~3× in low-income households);
- self-care failures for some people ≥ 75 and about half the severely disabled (1–3 of the six
  indicators usually, 4–6 for ~30% of them), failing in the Katz order bathing → dressing →
  toileting → indoor walking → bed transfer → eating;
- resident-ID address code drawn as the household's county 86%, another Guiyang county 8% (or
  the retired 小河区 520114 for births ≤ 2012), another province or Guizhou prefecture 6%; 观山湖
  520115 (created 2012) is replaced by 乌当 or 白云 for births before 2012, so the IDs show
  ≈ 79% / 15% / 6%; IDs are unique within a household, the sequence parity gives the sex;
- ``in_full_time_education`` for ≈ 97% of ages 6–17 and 45% of 18–22 (half of those away at
  university, still in the unit); ``status`` exclusions ≈ 0.4% of adults other than the
  applicant (no income, not co-resident);
- households: rigid expenditure on ≈ 86%; ``temporary`` on ≈ 3% (emergency 45% / expenditure
  55%); a ``current_case`` on 55% of ``dibao`` households, 20% of ``marginal`` ones (half of
  those with ``income_rise_from_employment``) and 0.3% of the others; ``irregular_income`` when
  a counted item varies month to month; ``prices``, ``single_person_member_id`` and
  ``applicant_name`` never.

Resident IDs carry birth dates strictly before the benefit month's first day; the API also
refuses birth dates after *today*, so a benefit month in the future can produce babies the API
rejects until that date.
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum
from itertools import accumulate
from typing import Any

from shared.regions import AreaGroup, area_group_of, guiyang_counties
from shared.types import Period, format_centi_m2, format_fen, to_fen

__all__ = [
    "GENERATOR_VERSION",
    "Band",
    "Household",
    "Labels",
    "expected_band",
    "generate",
    "generate_with_labels",
    "target_band_shares",
]

GENERATOR_VERSION = 2  # 2: no negative transfer months
"""Bumped whenever the output for a given (seed, index, benefit_month, months) changes."""

Household = dict[str, Any]
"""One household: a JSON-able dict in the ``AssessmentCreate`` shape."""


class Band(StrEnum):
    """The latent classification a household is built for (not computed by any rules engine)."""

    NONE = "none"  # not eligible for anything below
    RIGID = "rigid_expenditure"  # 刚性支出困难家庭
    MARGINAL = "marginal"  # 低保边缘家庭
    DIBAO = "dibao"  # 低保
    TEKUN = "tekun"  # 特困 (the single member)


@dataclass(frozen=True, slots=True)
class Labels:
    """The generator's latent variables for one household (never part of the household dict).

    Amounts are integer fen (分). ``per_capita_income_fen`` is the latent monthly counted
    income per member of the §1.1 unit (for ``none`` households the ambiguous members count in
    the denominator; for ``tekun`` it is the person's own income with the 特困 exclusions);
    it leaves out the 高龄津贴; realised items match it to within a fen per item.
    ``phase_out`` marks a ``current_case`` with ``income_rise_from_employment``: a rules engine
    may keep such a household on 低保 for the 渐退 months whatever its band.
    """

    index: int
    band: Band
    household_type: str
    income_band: str  # "below_standard" | "standard_to_1_5" | "above_1_5"
    assets_fail: bool  # fails both the 低保 and the 边缘 asset tests
    standard_fen: int  # the household's monthly dibao standard
    unit_size: int  # members in the §1.1 household unit
    per_capita_income_fen: int
    tekun_member_id: str | None
    phase_out: bool  # a current 低保 case whose income rose through employment (渐退)


def expected_band(labels: Labels) -> str:
    """The band household ``labels.index`` was built for: ``"none"``, ``"rigid_expenditure"``,
    ``"marginal"``, ``"dibao"`` or ``"tekun"``.

    It comes only from the generator's latent variables (chosen before any income is drawn),
    never from re-reading the household dict, which stays exactly ``AssessmentCreate``-shaped;
    get the labels with ``generate_with_labels``.
    """
    return labels.band.value


# ------------------------------------------------------------------------------ parameters

# Module-level aliases: enum attribute access is slow in the hot loop.
_NONE, _RIGID, _MARGINAL, _DIBAO, _TEKUN = Band.NONE, Band.RIGID, Band.MARGINAL, Band.DIBAO, Band.TEKUN


# County-level areas with rough population weights (per mille of households).
_COUNTY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("520102", 175),  # 南明区
    ("520103", 180),  # 云岩区
    ("520111", 140),  # 花溪区
    ("520112", 65),  # 乌当区
    ("520113", 75),  # 白云区
    ("520115", 105),  # 观山湖区
    ("520121", 62),  # 开阳县
    ("520122", 40),  # 息烽县
    ("520123", 52),  # 修文县
    ("520181", 106),  # 清镇市
)
if {code for code, _ in _COUNTY_WEIGHTS} != {r.code for r in guiyang_counties()}:  # pragma: no cover
    raise RuntimeError("jiuzhu_synthetic: the county table no longer matches shared.regions")

_COUNTY_CODES = tuple(code for code, _ in _COUNTY_WEIGHTS)
_COUNTY_CUM = tuple(accumulate(w for _, w in _COUNTY_WEIGHTS))
_SIX = {code: area_group_of(code) is AreaGroup.SIX_DISTRICTS for code in _COUNTY_CODES}
_URBAN_SHARE_SIX = 0.85
_URBAN_SHARE_THREE = 0.30

_OLD_XIAOHE = "520114"  # 小河区, merged into 花溪区 in 2012: IDs keep the code for life
_GUANSHANHU_BEFORE_2012 = ("520112", "520113")  # 观山湖区 was created in 2012
# Address codes from elsewhere: other provinces (北京朝阳, 昆明五华, 成都锦江, 重庆渝中, 长沙芙蓉,
# 南宁兴宁, 广州天河, 杭州西湖) and other Guizhou prefectures (六盘水钟山, 遵义红花岗, 凯里, 毕节).
_ELSEWHERE: tuple[str, ...] = ("110105", "530102", "510104", "500103", "430102", "450102", "440106", "330106")
_ELSEWHERE += ("520201", "520302", "522601", "520502")

# Dibao standards in fen by effective date: (six districts, 三县一市 urban, 三县一市 rural).
_STANDARDS: tuple[tuple[date, tuple[int, int, int]], ...] = (
    (date(2023, 7, 1), (80000, 76000, 50000)),
    (date(2024, 7, 1), (85000, 80000, 52500)),
)
_DISPOSABLE_URBAN_MONTHLY = 4_700_000 // 12  # 47,000 元 a year
_DISPOSABLE_RURAL_MONTHLY = 2_100_000 // 12  # 21,000 元 a year
_WAGE_DEDUCTION_CAP = 94_500  # 0.5 × the tier-1 minimum wage (1,890 元)
_WAGE_CAP_GROSS = 472_500  # the wage at which 20% reaches the cap

# Bands per 10,000 households: tekun, dibao, marginal, rigid, asset-ineligible; the rest none.
# A draw picks a position in a row of weights, or the position after the last (the rest);
# _BAND_DRAWS says what each position is: (band, fails both asset tests).
_BAND_DRAWS: tuple[tuple[Band, bool], ...] = (
    (_TEKUN, False),
    (_DIBAO, False),
    (_MARGINAL, False),
    (_RIGID, False),
    (_NONE, True),  # asset-ineligible: a low income and one asset that fails the 低保 and 边缘 tests
    (_NONE, False),  # the rest
)
_BAND_WEIGHTS: dict[str, tuple[int, int, int, int, int]] = {
    "six": (80, 400, 260, 180, 250),
    "three_urban": (100, 450, 300, 200, 250),
    "three_rural": (160, 800, 400, 250, 250),
}
_BAND_CUM = {key: tuple(accumulate(w)) for key, w in _BAND_WEIGHTS.items()}

# Household types.
_SINGLE_ADULT = "single_adult"
_SINGLE_ELDER = "single_elderly"
_COUPLE_ADULT = "couple"
_COUPLE_ELDER = "elderly_couple"
_NUCLEAR = "nuclear"
_SINGLE_PARENT = "single_parent"
_THREE_UP = "three_generations"  # the applicant lives with their parents (and children)
_THREE_DOWN = "three_generations_elder_head"  # an elderly applicant with a married child
_SKIP = "skipped_generation"  # grandparents with grandchildren (留守儿童)
_SINGLE_DISABLED = "single_disabled"

_TYPES: tuple[str, ...] = (
    _SINGLE_ADULT,
    _SINGLE_ELDER,
    _COUPLE_ADULT,
    _COUPLE_ELDER,
    _NUCLEAR,
    _SINGLE_PARENT,
    _THREE_UP,
    _THREE_DOWN,
    _SKIP,
)
# Weights (percent) by (general | low-income) × (urban | rural).
_TYPE_WEIGHTS: dict[tuple[bool, bool], tuple[int, ...]] = {
    (False, True): (11, 11, 11, 14, 33, 4, 10, 5, 1),
    (False, False): (8, 10, 8, 14, 30, 4, 12, 7, 7),
    (True, True): (10, 20, 6, 15, 24, 12, 10, 0, 3),
    (True, False): (8, 20, 4, 15, 21, 10, 9, 0, 13),
}
_TYPE_CUM = {key: tuple(accumulate(w)) for key, w in _TYPE_WEIGHTS.items()}

_DISABILITY_CATEGORIES = ("physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple")
_DISABILITY_CUM = tuple(accumulate((45, 10, 15, 2, 8, 12, 8)))
_GRADE_CUM = tuple(accumulate((8, 17, 30, 45)))

_SELF_CARE_KEYS = ("eating", "dressing", "bed_transfer", "toileting", "indoor_walking", "bathing")
_FAILURE_ORDER = ("bathing", "dressing", "toileting", "indoor_walking", "bed_transfer", "eating")
_SELF_CARE_TEMPLATES = tuple(
    {key: key not in _FAILURE_ORDER[:failed] for key in _SELF_CARE_KEYS} for failed in range(7)
)

_EMERGENCY_CAUSES = ("住房火灾", "交通事故", "突发重病", "自然灾害损毁住房", "意外伤害", "家庭成员死亡")
_EXPENDITURE_CAUSES = ("大病医疗费用", "子女教育费用", "意外事故医疗费用", "慢性病长期治疗费用", "残疾康复费用")
_STATUS_EXCLUSIONS = ("imprisoned", "imprisoned", "compulsory_rehab", "declared_missing", "religious_away_3y")

# --------------------------------------------------------------------------- resident IDs

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK = "10X98765432"


def _digit_sum(digits: str, offset: int) -> int:
    return sum(int(d) * _RID_WEIGHTS[offset + k] for k, d in enumerate(digits))


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # Feb 29 is never drawn
_MMDD = tuple(f"{m:02d}{d:02d}" for m in range(1, 13) for d in range(1, _DAYS_IN_MONTH[m - 1] + 1))
_MMDD_SUM = tuple(_digit_sum(md, 10) for md in _MMDD)
_SEQ_SUM = tuple(_digit_sum(f"{s:03d}", 14) for s in range(1000))
_YEAR_SUM = {y: _digit_sum(str(y), 6) for y in range(1850, 2200)}
_AREA_SUM = {code: _digit_sum(code, 0) for code in (*_COUNTY_CODES, _OLD_XIAOHE, *_ELSEWHERE)}


# -------------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class _Config:
    benefit_month: str
    ref_year: int
    ref_idx: int  # index of the benefit month's first day in _MMDD
    months: int
    window: int  # the look-back window for counted income: min(6, months)
    standards: tuple[int, int, int]


def _config(benefit_month: str, months: int) -> _Config:
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
        raise ValueError("months must be an int from 1 to 24 (IncomeItem.monthly holds at most 24)")
    period = Period.parse(benefit_month)
    first = period.first_day
    if first.year - 101 < 1850:
        raise ValueError("benefit_month is too early for plausible birth dates")
    standards = _STANDARDS[0][1]
    for effective, values in _STANDARDS:
        if effective <= first:
            standards = values
    return _Config(
        benefit_month=str(period),
        ref_year=first.year,
        ref_idx=_MMDD.index(f"{first.month:02d}01"),
        months=months,
        window=min(6, months),
        standards=standards,
    )


# -------------------------------------------------------------------------------- people


class _Membership(Enum):
    """Where a person stands in the DOMAIN-RULES §1.1 household unit."""

    IN = "in"
    OUT = "out"
    AMBIGUOUS = "ambiguous"  # a co-resident parent-in-law, child-in-law or sibling: readings differ


# Module-level aliases, as for the bands (the hot loop).
_IN, _OUT, _AMBIGUOUS = _Membership.IN, _Membership.OUT, _Membership.AMBIGUOUS


class _Person:
    """One member under construction (latent)."""

    __slots__ = (
        "age",
        "allowance",
        "co_resident",
        "disability_category",
        "disability_grade",
        "has_able_supporter",
        "has_labour_capacity",
        "in_education",
        "incomes",
        "independent",
        "male",
        "membership",
        "pension",
        "recent_income",
        "relationship",
        "sanwu",
        "self_care_failures",
        "seriously_ill",
        "status",
        "total_income",
    )

    def __init__(self, relationship: str, age: int, male: bool) -> None:
        self.relationship = relationship
        self.age = age
        self.male = male
        self.co_resident = True
        self.status = "none"
        self.in_education = False
        self.independent = True  # able to live independently
        self.has_labour_capacity = True
        self.disability_category = ""
        self.disability_grade = 0  # 0: no disability
        self.seriously_ill = False
        self.sanwu = False
        self.self_care_failures = 0  # how many of the six self-care indicators fail
        self.has_able_supporter = True
        self.membership = _IN
        self.pension = False  # a retirement pension (then no 基础养老金)
        self.allowance = 0  # 高龄津贴, fen a month
        self.recent_income = 0  # sum of all income items over the look-back window, fen
        self.total_income = 0  # sum of all income items over all months, fen
        self.incomes: list[dict[str, Any]] = []

    def severely_disabled(self) -> bool:
        grade = self.disability_grade
        return 0 < grade <= 2 or (grade == 3 and self.disability_category in ("intellectual", "mental"))


def _pick(cum: Sequence[int], r: float) -> int:
    return bisect_right(cum, r * cum[-1])


def _spouse_age(rng: random.Random, age: int, male: bool) -> int:
    # Husbands are on average ~2 years older.
    delta = int(rng.random() * 9) - 4 + (-2 if male else 2)
    return max(18, min(99, age + delta))


def _children(rng: random.Random, parent_age: int, count: int, relationship: str = "child") -> list[_Person]:
    out: list[_Person] = []
    gap = 21 + int(rng.random() * 14)
    age = parent_age - gap
    if age < 0:
        age = int(rng.random() * 3)
    age = min(age, parent_age - 20)
    for _ in range(count):
        if age < 0 or parent_age - age > 42:
            break
        out.append(_Person(relationship, age, rng.random() < 0.52))
        age -= 1 + int(rng.random() * 4)
    return out


def _compose(rng: random.Random, household_type: str, general: bool, rural: bool) -> list[_Person]:
    """The household's people: relationships, ages and sexes (the applicant first)."""
    r = rng.random
    if household_type == _SINGLE_ADULT:
        people = [_Person("self", 18 + int(42 * r() ** 1.3), r() < 0.55)]
        if general and r() < 0.08:
            people.append(_Person("sibling", max(18, people[0].age + int(r() * 11) - 5), r() < 0.5))
        return people
    if household_type == _SINGLE_ELDER:
        return [_Person("self", 60 + int(36 * r() ** 1.6), r() < 0.4)]
    if household_type == _SINGLE_DISABLED:
        return [_Person("self", 18 + int(42 * r()), r() < 0.55)]
    if household_type in (_COUPLE_ADULT, _COUPLE_ELDER):
        age = 22 + int(38 * r()) if household_type == _COUPLE_ADULT else 60 + int(33 * r() ** 1.4)
        male = r() < 0.6
        return [_Person("self", age, male), _Person("spouse", _spouse_age(rng, age, male), not male)]
    if household_type in (_NUCLEAR, _SINGLE_PARENT):
        age = 25 + int(31 * r())
        male = r() < (0.6 if household_type == _NUCLEAR else 0.25)
        people = [_Person("self", age, male)]
        youngest_parent = age
        if household_type == _NUCLEAR and r() < 0.94:
            spouse = _Person("spouse", _spouse_age(rng, age, male), not male)
            people.append(spouse)
            youngest_parent = min(age, spouse.age)
        x = r()
        n_children = 1 if x < (0.45 if rural else 0.55) else (2 if x < (0.85 if rural else 0.92) else 3)
        if household_type == _SINGLE_PARENT:
            n_children = min(n_children, 2)
        people += _children(rng, youngest_parent, n_children)
        return people
    if household_type == _THREE_UP:
        age = 28 + int(28 * r())
        male = r() < 0.65
        people = [_Person("self", age, male)]
        youngest_parent = age
        if r() < 0.88:
            spouse = _Person("spouse", _spouse_age(rng, age, male), not male)
            people.append(spouse)
            youngest_parent = min(age, spouse.age)
        people += _children(rng, youngest_parent, int(r() * 3))
        parent_age = age + 22 + int(r() * 13)
        n_parents = 1 if r() < 0.55 else 2
        for j in range(n_parents):
            a = parent_age + (0 if j == 0 else int(r() * 7) - 3)
            if a <= 98:
                people.append(_Person("parent", a, j == 1 if n_parents == 2 else r() < 0.35))
        if general and len(people) < 6 and r() < 0.15:
            people.append(_Person("parent_in_law", min(98, parent_age + int(r() * 7) - 3), r() < 0.35))
        return people
    if household_type == _THREE_DOWN:
        age = 55 + int(24 * r())
        male = r() < 0.6
        people = [_Person("self", age, male)]
        if r() < 0.8:
            people.append(_Person("spouse", _spouse_age(rng, age, male), not male))
        child = _children(rng, min(p.age for p in people), 1)[0]
        child.age = max(child.age, 22)
        people.append(child)
        people.append(_Person("child_in_law", max(20, child.age + int(r() * 7) - 3), not child.male))
        people += _children(rng, child.age, 1 + int(r() * 2), "grandchild")
        return people
    # _SKIP: grandparents raising grandchildren; the parents work elsewhere (or are gone).
    age = 55 + int(26 * r())
    male = r() < 0.45
    people = [_Person("self", age, male)]
    if r() < 0.6:
        people.append(_Person("spouse", _spouse_age(rng, age, male), not male))
    n_grandchildren = 1 + int(r() * 3)
    max_grandchild = min(15, age - 42)
    ages = sorted((int(r() * (max_grandchild + 1)) for _ in range(n_grandchildren)), reverse=True)
    people += [_Person("grandchild", a, r() < 0.52) for a in ages]
    if general and r() < 0.6:
        migrant = _Person("child", min(age - 20, max(age - 38, ages[0] + 20 + int(r() * 12))), r() < 0.5)
        migrant.co_resident = False
        people.append(migrant)
    return people


def _disability_rate(age: int) -> float:
    if age < 18:
        return 0.011
    if age < 45:
        return 0.026
    if age < 60:
        return 0.048
    if age < 70:
        return 0.08
    if age < 80:
        return 0.125
    return 0.19


def _illness_rate(age: int) -> float:
    if age < 18:
        return 0.004
    if age < 45:
        return 0.009
    if age < 60:
        return 0.022
    return 0.035


_DISABILITY_BY_AGE = tuple(_disability_rate(a) for a in range(121))
_ILLNESS_BY_AGE = tuple(_illness_rate(a) for a in range(121))


def _attributes(rng: random.Random, people: list[_Person], poor: bool, general: bool, rural: bool) -> None:
    """Education, disability, illness, labour capacity, self-care, status, co-residence, unit."""
    r = rng.random
    dis_mult = 2.5 if poor else 1.0
    ill_mult = 3.0 if poor else 1.0
    for p in people:
        age = p.age
        if 6 <= age <= 17:
            p.in_education = r() < 0.97
        elif 18 <= age <= 22 and p.relationship in ("child", "grandchild", "sibling"):
            p.in_education = r() < 0.45
            if p.in_education and p.relationship != "self" and r() < 0.5:
                p.co_resident = False  # at university elsewhere: still in the unit (§1.1 item 3)
        if r() < _DISABILITY_BY_AGE[age] * dis_mult:
            p.disability_category = _DISABILITY_CATEGORIES[_pick(_DISABILITY_CUM, r())]
            p.disability_grade = 1 + _pick(_GRADE_CUM, r())
        if r() < _ILLNESS_BY_AGE[age] * ill_mult:
            p.seriously_ill = True
        severe = p.severely_disabled()
        if severe and age >= 18 and r() < 0.7:
            p.independent = False
        if 16 <= age < 60 and ((p.seriously_ill and r() < 0.6) or r() < 0.015):
            p.has_labour_capacity = False
        if severe or age >= 75:
            x = r()
            threshold = 0.45 if severe else (0.12 if age < 85 else 0.3)
            if x < threshold:
                p.self_care_failures = 1 + int(r() * 3) if r() < 0.7 else 4 + int(r() * 3)
        if p.relationship == "self":
            continue
        if age >= 18 and r() < 0.004:
            p.status = _STATUS_EXCLUSIONS[int(r() * len(_STATUS_EXCLUSIONS))]
            p.co_resident = False
            continue
        if p.relationship == "spouse" and rural and 18 <= age < 60 and r() < 0.08:
            p.co_resident = False  # working away (外出务工): a spouse stays in the unit
        elif (
            p.relationship == "child"
            and age >= 18
            and not p.in_education
            and p.independent
            and p.co_resident
            and r() < 0.22
        ):
            p.co_resident = False  # an independent adult child living elsewhere: out of the unit
    if general and r() < 0.005 and len(people) < 6:
        lodger = _Person("other", 18 + int(r() * 42), r() < 0.5)
        lodger.membership = _OUT
        people.append(lodger)
    for p in people:
        p.membership = _membership(p)


def _membership(p: _Person) -> _Membership:
    """DOMAIN-RULES §1.1: in the household unit, out of it, or ambiguous."""
    if p.status != "none":
        return _OUT
    relationship = p.relationship
    if relationship in ("self", "spouse"):
        return _IN
    if relationship == "child":
        if p.age < 18 or p.in_education or not p.independent:
            return _IN
        return _IN if p.co_resident else _OUT
    if relationship in ("parent", "grandparent", "grandchild"):
        return _IN if p.co_resident else _OUT
    if relationship in ("parent_in_law", "child_in_law", "sibling"):
        return _AMBIGUOUS if p.co_resident else _OUT
    return _OUT


# ------------------------------------------------------------------------------- incomes


def _series(rng: random.Random, mean: int, amp: float, cfg: _Config) -> list[int]:
    """``cfg.months`` monthly amounts (fen) whose look-back window and earlier months each
    average exactly ``mean``; ``amp`` is the relative month-to-month spread (0 = constant)."""
    months = cfg.months
    if amp <= 0.0 or mean == 0:
        return [mean] * months
    r = rng.random
    out: list[int] = []
    for length in (months - cfg.window, cfg.window):
        if length == 0:
            continue
        factors = [1.0 + amp * (2.0 * r() - 1.0) for _ in range(length)]
        total = mean * length
        scale = total / sum(factors)
        values = [int(f * scale) for f in factors]
        values[-1] += total - sum(values)
        out += values
    return out


def _lump(rng: random.Random, amount: int, months: int) -> list[int]:
    """One payment in a random month, zero in the others."""
    values = [0] * months
    values[int(rng.random() * months)] = amount
    return values


def _add_income(p: _Person, category: str, values: list[int], window: int) -> None:
    p.recent_income += sum(values[-window:])
    p.total_income += sum(values)
    p.incomes.append({"category": category, "monthly": list(map(format_fen, values))})


def _add_constant(p: _Person, category: str, amount: int, cfg: _Config) -> None:
    p.recent_income += amount * cfg.window
    p.total_income += amount * cfg.months
    p.incomes.append({"category": category, "monthly": [format_fen(amount)] * cfg.months})


def _wage_gross(counted: int) -> int:
    """The gross monthly wage whose counted amount (less 20%, at most 945 元) is ``counted``."""
    if counted * 5 <= _WAGE_CAP_GROSS * 4:
        return (counted * 5 + 3) // 4
    return counted + _WAGE_DEDUCTION_CAP


def _wage_series(rng: random.Random, gross: int, amp: float, cfg: _Config) -> list[int]:
    values = _series(rng, gross, amp, cfg)
    # Keep every month on the same side of the deduction cap as the mean.
    if amp > 0.0 and (
        (gross <= _WAGE_CAP_GROSS and max(values) > _WAGE_CAP_GROSS)
        or (gross > _WAGE_CAP_GROSS and min(values) < _WAGE_CAP_GROSS)
    ):
        return [gross] * cfg.months
    return values


_Slot = tuple[_Person, str, float, float]  # person, category, weight, relative monthly spread


def _counted_incomes(
    rng: random.Random, cfg: _Config, people: list[_Person], band: Band, target: int, urban: bool
) -> tuple[int, bool]:
    """Give the unit's members counted incomes whose monthly means add up to ``target`` fen
    (the 高龄津贴 of ``p.allowance`` comes on top, see ``_build``).

    Returns (realised counted total, whether some counted income is irregular). Only members
    in the unit (``membership is _IN``) receive counted income here.
    """
    r = rng.random
    general = band is _NONE
    low = band in (_DIBAO, _MARGINAL, _TEKUN)
    employ_p = 0.86 if general else (0.72 if band is _RIGID else 0.5)
    slots: list[_Slot] = []
    fixed: list[tuple[_Person, str, int]] = []
    for p in people:
        if p.membership is not _IN or p.status != "none":
            continue
        age = p.age
        if 16 <= age < 60 and not p.in_education and p.has_labour_capacity and not p.severely_disabled():
            if r() < employ_p:
                if r() < (0.35 if not urban else 0.15):
                    slots.append((p, "business", 0.9, 0.25 + 0.5 * r() if r() < 0.75 else 0.0))
                else:
                    irregular = r() < (0.2 if general else 0.55)
                    slots.append((p, "wage", 1.0, 0.15 + 0.45 * r() if irregular else 0.0))
        elif age >= 60:
            if urban and r() < (0.85 if general else 0.35):
                slots.append((p, "transfer", 0.75, 0.0))  # retirement pension
                p.pension = True
            elif r() < 0.5:
                slots.append((p, "transfer", 0.15, 0.0 if r() < 0.6 else 0.3))  # support money
            if not urban and age < 70 and r() < 0.3:
                slots.append((p, "business", 0.3, 0.4 + 0.5 * r()))  # farming
            if p.allowance:
                # 高龄津贴: outside the target; the band's bounds were drawn so that it holds
                # whether the allowance counts for 低保 or not (see _build).
                _add_constant(p, "old_age_allowance", p.allowance, cfg)
    applicant = people[0]
    if general and r() < 0.03:
        slots.append((applicant, "property", 0.2, 0.0 if r() < 0.7 else 0.2))
    elif low and r() < 0.01:
        slots.append((applicant, "property", 0.1, 0.0))
    if r() < 0.01:
        slots.append((applicant, "other", 0.05, 0.9))
    if band is _TEKUN:
        slots = [(applicant, "transfer" if r() < 0.6 else "other", 1.0, 0.0 if r() < 0.5 else 0.6)]
    # Incomes are never negative (the assessment API refuses them: a net-negative month is
    # entered as 0), so support paid to relatives elsewhere is not modelled as negative transfer.
    negative = 0
    variable = target
    if variable > 0 and not slots:
        slots.append((applicant, "transfer", 1.0, 0.0))  # support from relatives
    irregular = False
    realised = -negative
    if variable > 0:
        weights = [s[2] * (0.5 + r()) for s in slots]
        total_weight = sum(weights)
        shares = [int(variable * w / total_weight) for w in weights]
        shares[0] += variable - sum(shares)
        for (person, category, _, amp), share in zip(slots, shares, strict=True):
            if share <= 0:
                continue
            realised += share
            amount = _wage_gross(share) if category == "wage" else share
            if amp <= 0.0:
                _add_constant(person, category, amount, cfg)
                continue
            irregular = True
            if category == "wage":
                _add_income(person, "wage", _wage_series(rng, amount, amp, cfg), cfg.window)
            else:
                _add_income(person, category, _series(rng, amount, amp, cfg), cfg.window)
    for p, category, amount in fixed:
        _add_constant(p, category, amount, cfg)
    return realised, irregular


def _other_incomes(rng: random.Random, cfg: _Config, people: list[_Person], urban: bool) -> None:
    """Incomes that never count (the national exclusions) and the incomes of members outside
    the unit or of ambiguous status (only present in `none` households)."""
    r = rng.random
    months = cfg.months
    for p in people:
        if p.status != "none":
            continue
        age = p.age
        if p.membership is _IN:
            if age >= 60:
                if not p.pension and r() < 0.9:
                    _add_constant(p, "excluded_basic_pension", 15000 + 100 * int(r() * 110), cfg)
                if not urban and r() < 0.15:
                    _add_constant(p, "excluded_family_planning", 8000 + 1000 * int(r() * 3), cfg)
                if p.male and r() < 0.01:
                    _add_constant(p, "excluded_preferential_care", 60000 + 1000 * int(r() * 90), cfg)
            elif p.in_education and age >= 18 and r() < 0.06:
                _add_income(p, "excluded_reward", _lump(rng, 200000 + 10000 * int(r() * 31), months), cfg.window)
        elif age >= 18 and not p.in_education and p.relationship != "other" and r() < 0.75:
            gross = 250000 + 1000 * int(r() * 450)
            if r() < 0.7:
                _add_constant(p, "wage", gross, cfg)
            else:
                _add_income(p, "wage", _series(rng, gross, 0.3, cfg), cfg.window)


# -------------------------------------------------------------------------------- assets


def _assets(rng: random.Random, band: Band, asset_fail: bool, n: int, standard: int, rural: bool) -> dict[str, Any]:
    r = rng.random
    vehicles: list[dict[str, str]] = []
    company = False
    if band is _NONE and not asset_fail:
        financial = 0 if r() < 0.05 else int(4_000_000 * math.sqrt(n) * math.exp(1.1 * rng.gauss(0.0, 1.0)))
        if r() < (0.25 if rural else 0.4):
            work = r() < 0.15
            value = int(9_000_000 * math.exp(0.7 * rng.gauss(0.0, 1.0)))
            vehicles.append({"value": format_fen(value - value % 100), "purpose": "work" if work else "private"})
            if r() < 0.08:
                value = int(6_000_000 * math.exp(0.6 * rng.gauss(0.0, 1.0)))
                vehicles.append({"value": format_fen(value - value % 100), "purpose": "private"})
        x = r()
        dwellings = 0 if x < 0.1 else (1 if x < 0.78 else (2 if x < 0.97 else 3))
        area = sum(5000 + int(r() * 11000) for _ in range(dwellings))
        company = r() < 0.03
    else:
        # Low-income households: pass the 低保 (or 边缘) asset test by construction.
        limit = 18 if band in (_DIBAO, _TEKUN) or asset_fail else 30
        financial = 0 if r() < 0.35 else int(r() * limit * standard * n)
        if r() < 0.06 and band is not _TEKUN:
            value = 300_000 + int(r() * 4_200_000)  # < 45,000 元
            vehicles.append({"value": format_fen(value - value % 100), "purpose": "work"})
        dwellings = 1 if r() < (0.9 if rural else 0.62) else 0
        if band is _TEKUN:
            area = dwellings * (1500 + int(r() * 6500))
        else:
            area = dwellings * ((5000 + int(r() * 11000)) if rural else (2500 + int(r() * 6000)))
        if asset_fail:
            x = r()
            if x < 0.4:
                value = 6_000_000 + int(r() * 19_000_000)
                vehicles = [{"value": format_fen(value - value % 100), "purpose": "private"}]
            elif x < 0.7:
                financial = (45 + int(r() * 105)) * standard * n + int(r() * 100_000)
            elif x < 0.8:
                company = True
            else:
                dwellings = 3
                area = 9000 + int(r() * 15000) + 4000 * n
    financial -= financial % 100 if financial > 1_000_000 else 0
    return {
        "financial": format_fen(financial),
        "vehicles": vehicles,
        "dwellings": dwellings,
        "floor_area_m2": format_centi_m2(area),
        "company_shareholding": company,
    }


# ----------------------------------------------------------------------- rigid expenditure


def _education_cost(rng: random.Random, age: int) -> int:
    r = rng.random()
    if age <= 5:
        return 200_000 + int(r * 400_000)
    if age <= 14:
        return int(r * 120_000)
    if age <= 17:
        return 100_000 + int(r * 250_000)
    return 400_000 + int(r * 250_000)


def _rigid_amounts(medical: int, education: int, rehabilitation: int, living: int) -> dict[str, str]:
    return {
        "medical": format_fen(medical),
        "education": format_fen(education),
        "rehabilitation": format_fen(rehabilitation),
        "living": format_fen(living),
    }


def _rigid(
    rng: random.Random,
    people: list[_Person],
    band: Band,
    asset_fail: bool,
    counted12: int,
    all12: int,
    per_capita: int,
    disposable: int,
) -> dict[str, str] | None:
    r = rng.random
    in_unit = [p for p in people if p.membership is _IN]
    if band is _RIGID:
        total = int(all12 * (0.8 + r()))
        living = int(all12 * (0.3 + 0.15 * r()))
        rest = max(0, total - living)
        students = [p for p in in_unit if p.in_education or 3 <= p.age <= 5]
        disabled = [p for p in in_unit if p.disability_grade]
        x = r()
        education = rehabilitation = 0
        if students and x < 0.3:
            education = sum(_education_cost(rng, p.age) for p in students)
        if disabled and x > 0.75:
            rehabilitation = min(rest, 50_000 + int(r() * 1_500_000))
        medical = max(0, rest - education - rehabilitation)
        if medical + education + rehabilitation + living < total:
            medical = total - education - rehabilitation - living
        return _rigid_amounts(medical, education, rehabilitation, living)
    present = 0.85 if band is _NONE else 0.95
    if r() >= present or (asset_fail and counted12 <= 0):
        return None
    medical = education = rehabilitation = 0
    for p in in_unit:
        medical += int(r() * (300_000 if p.age >= 60 else 80_000))
        if p.seriously_ill:
            medical += 800_000 + int(r() * 7_000_000)
        if p.in_education or 3 <= p.age <= 5:
            education += _education_cost(rng, p.age)
        if p.disability_grade and r() < 0.3:
            rehabilitation += 50_000 + int(r() * 550_000)
    if band is _NONE or asset_fail:
        living = int(counted12 * (0.15 + 0.2 * r()))
    else:
        living = max(int(counted12 * (0.6 + 0.4 * r())), len(in_unit) * (240_000 + int(r() * 240_000)))
    total = medical + education + rehabilitation + living
    if (band is _NONE or asset_fail) and per_capita * 100 < disposable * 105:
        cap = counted12 // 2
        if total > cap:
            medical = medical * cap // total
            education = education * cap // total
            rehabilitation = rehabilitation * cap // total
            living = living * cap // total
    return _rigid_amounts(medical, education, rehabilitation, living)


# ----------------------------------------------------------------------------- household


def _seed_for(seed: int, index: int) -> int:
    digest = hashlib.blake2b(b"%d:%d" % (seed, index), digest_size=16, person=b"jiuzhu-synth-v1").digest()
    return int.from_bytes(digest, "big")


def _build(rng: random.Random, cfg: _Config, index: int) -> tuple[Household, Labels]:
    r = rng.random
    county = _COUNTY_CODES[_pick(_COUNTY_CUM, r())]
    six = _SIX[county]
    urban = r() < (_URBAN_SHARE_SIX if six else _URBAN_SHARE_THREE)
    rural = not urban
    if six:
        standard, band_key = cfg.standards[0], "six"
    elif urban:
        standard, band_key = cfg.standards[1], "three_urban"
    else:
        standard, band_key = cfg.standards[2], "three_rural"
    disposable = _DISPOSABLE_URBAN_MONTHLY if (six or urban) else _DISPOSABLE_RURAL_MONTHLY

    # The latent band, first.
    cum = _BAND_CUM[band_key]
    band, asset_fail = _BAND_DRAWS[_pick(cum, r() * 10_000 / cum[-1])]
    general = band is _NONE and not asset_fail
    poor = not general

    # People.
    if band is _TEKUN:
        household_type = _SINGLE_ELDER if r() < 0.85 else _SINGLE_DISABLED
    else:
        household_type = _TYPES[_pick(_TYPE_CUM[(poor, urban)], r())]
    people = _compose(rng, household_type, general, rural)
    del people[6:]
    _attributes(rng, people, poor, general, rural)
    applicant = people[0]
    memberships = [p.membership for p in people]
    n_unit = memberships.count(_IN)
    n_denominator = n_unit + memberships.count(_AMBIGUOUS)

    if band is _TEKUN:
        applicant.has_able_supporter = False
        applicant.has_labour_capacity = False
        applicant.sanwu = r() < 0.3
        if household_type == _SINGLE_DISABLED:
            x = r()
            if x < 0.5:
                applicant.disability_category = "intellectual" if r() < 0.5 else "mental"
                applicant.disability_grade = 1 + int(r() * 3)
            elif x < 0.9:
                applicant.disability_category, applicant.disability_grade = "physical", 1 + int(r() * 2)
            else:
                applicant.disability_category, applicant.disability_grade = "visual", 1
            applicant.independent = r() < 0.3
            if applicant.self_care_failures == 0 and r() < 0.45:
                applicant.self_care_failures = 1 + int(r() * 6)
        elif applicant.self_care_failures == 0 and r() < 0.3:
            applicant.self_care_failures = 1 + int(r() * 3) if r() < 0.6 else 4 + int(r() * 3)
    elif general and len(people) == 1 and (applicant.age >= 60 or applicant.severely_disabled()) and r() < 0.3:
        applicant.has_able_supporter = False  # lives alone with no able supporter, but has means

    # 高龄津贴 (aged ≥ 80). The schema calls it excluded for 特困 only, a rules engine may also
    # leave it out for 低保: each band's interval is drawn so that the band holds either way.
    allowance = 0
    for p in people:
        if p.age >= 80 and p.membership is _IN and p.status == "none" and r() < 0.6:
            p.allowance = 5000 + 1000 * int(r() * 6)
            allowance += p.allowance
    allowance_per_capita = allowance / n_unit if band is not _TEKUN else 0.0  # excluded for 特困 anyway

    # Income: the latent per-capita target (without the allowance) for the band.
    if band is _TEKUN:
        per_capita = 0 if r() < 0.55 else int(standard * (0.05 + 0.75 * r()))
    elif band is _DIBAO:
        per_capita = 0 if r() < 0.12 else int((standard * 0.88 - allowance_per_capita) * (0.034 + 0.966 * r()))
    elif band is _MARGINAL:
        per_capita = int(standard * 1.08 + (standard * 0.34 - allowance_per_capita) * r())
    elif band is _RIGID:
        lo, hi = standard * 1.6, disposable * 0.92 - allowance_per_capita
        per_capita = int(lo + (hi - lo) * r() ** 2)
    elif asset_fail:
        per_capita = 0 if r() < 0.1 else int((standard * 1.42 - allowance_per_capita) * r())
    else:
        median = 330_000 if urban else (200_000 if six else 150_000)
        floor = standard * 1.62
        extra = max(median - floor, 30_000.0)
        per_capita = int(floor + extra * math.exp(0.75 * rng.gauss(0.0, 1.0)))
    denominator = n_denominator if general else n_unit
    target = per_capita * denominator
    realised, irregular = _counted_incomes(rng, cfg, people, band, target, urban)
    _other_incomes(rng, cfg, people, urban)

    # Current case, and the assistance already received (recorded, never counted).
    current: dict[str, Any] | None = None
    phase_out = False
    benefit = 0
    if band is _DIBAO and r() < 0.55:
        gap = max(-(-(standard * n_unit - realised) // 100), 10 * n_unit)
        benefit = int(gap * (0.9 + 0.2 * r())) * 100
        current = {"monthly_benefit": format_fen(benefit), "income_rise_from_employment": False}
    elif band is _MARGINAL and r() < 0.2:
        phase_out = r() < 0.5
        benefit = (10 * n_unit + int(r() * 0.3 * standard * n_unit / 100)) * 100
        current = {"monthly_benefit": format_fen(benefit), "income_rise_from_employment": phase_out}
    elif general and r() < 0.003:
        benefit = (10 + int(r() * 200)) * 100 * n_unit
        phase_out = r() < 0.5
        current = {"monthly_benefit": format_fen(benefit), "income_rise_from_employment": phase_out}
    if benefit:
        _add_constant(applicant, "excluded_social_assistance", benefit, cfg)
    elif r() < 0.015:
        _add_income(
            applicant, "excluded_social_assistance", _lump(rng, 50_000 + 1000 * int(r() * 250), cfg.months), cfg.window
        )

    # Rigid expenditure over 12 months: counted income (pessimistic, for the `none` cap) and
    # all in-unit income including the excluded items (pessimistic, for the `rigid` floor).
    in_unit = [p for p in people if p.membership is _IN]
    all12 = max(
        sum(p.recent_income for p in in_unit) * 12 // cfg.window,
        sum(p.total_income for p in in_unit) * 12 // cfg.months,
    )
    rigid = _rigid(rng, people, band, asset_fail, realised * 12, all12, per_capita, disposable)
    assets = _assets(rng, band, asset_fail, n_unit, standard, rural)
    if general and applicant.has_able_supporter is False:
        floor_financial = 45 * standard + int(r() * 5_000_000)
        if to_fen(Decimal(assets["financial"])) < floor_financial:
            assets["financial"] = format_fen(floor_financial - floor_financial % 100)

    temporary: dict[str, Any] | None = None
    if r() < (0.024 if general else 0.08):
        if r() < 0.45:
            cause = _EMERGENCY_CAUSES[int(r() * len(_EMERGENCY_CAUSES))]
            requested, kind = (5 + int(r() * 46)) * 10_000, "emergency"
        else:
            cause = _EXPENDITURE_CAUSES[int(r() * len(_EXPENDITURE_CAUSES))]
            requested, kind = (20 + int(r() * 581)) * 10_000 + int(r() * 100) * 100, "expenditure"
        x = r()
        temporary = {
            "kind": kind,
            "cause": cause,
            "requested": format_fen(requested),
            "prior_grants_same_cause_12m": 0 if x < 0.8 else (1 if x < 0.95 else 2),
        }

    # Resident IDs and member dicts.
    members = _members(rng, cfg, people, county)
    household: Household = {
        "region_code": county,
        "hukou_type": "urban" if urban else "rural",
        "benefit_month": cfg.benefit_month,
        "members": members,
        "assets": assets,
    }
    if rigid is not None:
        household["rigid_expenditure_12m"] = rigid
    household["irregular_income"] = irregular
    if temporary is not None:
        household["temporary"] = temporary
    if current is not None:
        household["current_case"] = current

    if per_capita < standard:
        income_band = "below_standard"
    elif per_capita * 2 < standard * 3:
        income_band = "standard_to_1_5"
    else:
        income_band = "above_1_5"
    labels = Labels(
        index=index,
        band=band,
        household_type=household_type,
        income_band=income_band,
        assets_fail=asset_fail,
        standard_fen=standard,
        unit_size=n_unit,
        per_capita_income_fen=per_capita,
        tekun_member_id="m1" if band is _TEKUN else None,
        phase_out=phase_out,
    )
    return household, labels


_MEMBER_IDS = tuple(f"m{k}" for k in range(1, 31))


def _members(rng: random.Random, cfg: _Config, people: list[_Person], county: str) -> list[dict[str, Any]]:
    r = rng.random
    ref_year, ref_idx = cfg.ref_year, cfg.ref_idx
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for n, p in enumerate(people):
        age = p.age
        idx = int(r() * 365)
        if age == 0 and idx == ref_idx:
            idx = (idx - 1) % 365
        year = ref_year - age if idx <= ref_idx else ref_year - age - 1
        x = r()
        if x < 0.86:
            area = county
        elif x < 0.94:
            j = int(r() * 11)
            area = _OLD_XIAOHE if j == 10 and year <= 2012 else _COUNTY_CODES[j % 10]
        else:
            area = _ELSEWHERE[int(r() * len(_ELSEWHERE))]
        if area == "520115" and year < 2012:
            area = _GUANSHANHU_BEFORE_2012[int(r() * 2)]
        seq = 2 * int(r() * 500) + 1 if p.male else 2 + 2 * int(r() * 499)
        partial = _AREA_SUM[area] + _YEAR_SUM[year] + _MMDD_SUM[idx]
        mmdd = _MMDD[idx]
        rid = f"{area}{year}{mmdd}{seq:03d}{_RID_CHECK[(partial + _SEQ_SUM[seq]) % 11]}"
        while rid in seen:
            seq = (seq + 2) % 1000 or 2
            rid = f"{area}{year}{mmdd}{seq:03d}{_RID_CHECK[(partial + _SEQ_SUM[seq]) % 11]}"
        seen.add(rid)
        out.append(
            {
                "member_id": _MEMBER_IDS[n],
                "resident_id": rid,
                "relationship": p.relationship,
                "co_resident": p.co_resident,
                "status": p.status,
                "in_full_time_education": p.in_education,
                "able_to_live_independently": p.independent,
                "has_labour_capacity": p.has_labour_capacity,
                "disability": {"category": p.disability_category, "grade": p.disability_grade}
                if p.disability_grade
                else None,
                "serious_illness": p.seriously_ill,
                "sanwu": p.sanwu,
                "self_care": _SELF_CARE_TEMPLATES[p.self_care_failures].copy(),
                "has_able_supporter": p.has_able_supporter,
                "incomes": p.incomes,
            }
        )
    return out


# ---------------------------------------------------------------------------------- API


def _check_range(seed: int, count: int, start: int) -> None:
    for name, value in (("seed", seed), ("count", count), ("start", start)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int")
    if count < 0 or start < 0:
        raise ValueError("count and start must be ≥ 0")


def generate_with_labels(
    seed: int, count: int, *, start: int = 0, benefit_month: str = "2026-03", months: int = 12
) -> Iterator[tuple[Household, Labels]]:
    """Households ``start .. start + count - 1`` of ``seed`` with their latent labels, lazily.

    Arguments are checked now; households are built one at a time as the iterator is consumed.
    """
    _check_range(seed, count, start)
    cfg = _config(benefit_month, months)
    return _iterate(seed, count, start, cfg)


def _iterate(seed: int, count: int, start: int, cfg: _Config) -> Iterator[tuple[Household, Labels]]:
    rng = random.Random()
    for index in range(start, start + count):
        rng.seed(_seed_for(seed, index))
        yield _build(rng, cfg, index)


def generate(
    seed: int, count: int, *, start: int = 0, benefit_month: str = "2026-03", months: int = 12
) -> Iterator[Household]:
    """Households ``start .. start + count - 1`` of ``seed``, lazily, as ``AssessmentCreate``-
    shaped dicts. Household ``i`` depends only on ``(seed, i, benefit_month, months)``."""
    _check_range(seed, count, start)
    cfg = _config(benefit_month, months)
    return (household for household, _ in _iterate(seed, count, start, cfg))


def target_band_shares() -> dict[str, float]:
    """The expected share of each band (and of the asset-ineligible low-income households, key
    ``"none_assets"``, included in ``"none"``) implied by the weight tables."""
    shares = dict.fromkeys([*(b.value for b in Band), "none_assets"], 0.0)
    total_county = sum(w for _, w in _COUNTY_WEIGHTS)
    for code, w in _COUNTY_WEIGHTS:
        mixes: tuple[tuple[str, float], ...]
        if _SIX[code]:
            mixes = (("six", 1.0),)
        else:
            mixes = (("three_urban", _URBAN_SHARE_THREE), ("three_rural", 1 - _URBAN_SHARE_THREE))
        for key, p_hukou in mixes:
            weight = w / total_county * p_hukou
            tk, db, mg, rg, af = (x / 10_000 for x in _BAND_WEIGHTS[key])
            shares[Band.TEKUN.value] += weight * tk
            shares[Band.DIBAO.value] += weight * db
            shares[Band.MARGINAL.value] += weight * mg
            shares[Band.RIGID.value] += weight * rg
            shares["none_assets"] += weight * af
            shares[Band.NONE.value] += weight * (1 - tk - db - mg - rg)
    return shares
