"""The eligibility policy engine, table-driven through the pure `assess(facts, policy)`.

Every expected amount is a literal computed by hand from POLICY-DEFAULTS.md (the demo policy
set), with the arithmetic in a comment. Standards (元/person/month): six districts 850 from
2024-07-01 (800 before); 三县一市 urban 800 / rural 525 (760 / 500 before). The benefit month is
2024-07 unless a test says otherwise, so ages are taken on 2024-07-01.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from eligibility.assessment.domain.amounts import add_months, ceil_yuan
from eligibility.assessment.domain.errors import InconsistentHousehold
from eligibility.assessment.domain.model import (
    CATEGORIES,
    Assessment,
    HouseholdFacts,
    MemberFacts,
    Reason,
    TemporaryFacts,
)
from eligibility.assessment.domain.rules import assess
from eligibility.policy.adapters.policy_files import policy_book
from shared.types import age_in_years, round_money

SIX = "520102"  # 南明区, six districts
SIX_OTHER = "520115"  # 观山湖区, six districts
THREE = "520121"  # 开阳县, 三县一市
THREE_CITY = "520181"  # 清镇市, 三县一市
JULY = date(2024, 7, 1)
JUNE = date(2024, 6, 1)

ADULT = date(1984, 3, 15)  # 40 on 2024-07-01
CHILD = date(2014, 3, 15)  # 10
ELDER = date(1949, 3, 15)  # 75
SIXTY_FIVE = date(1959, 3, 15)  # 65


# ------------------------------------------------------------------------------ factories


def fen(yuan: str | int) -> int:
    """Yuan (exact decimal string or int) → integer fen."""
    value = Decimal(str(yuan)) * 100
    assert value == value.to_integral_value()
    return int(value)


def monthly(yuan: str | int, count: int = 6) -> tuple[int, ...]:
    return (fen(yuan),) * count


def income(category: str, yuan: str | int, count: int = 6) -> tuple[str, tuple[int, ...]]:
    return (category, monthly(yuan, count))


def member(
    member_id: str = "self",
    relationship: str = "self",
    born: date = ADULT,
    incomes: tuple[tuple[str, tuple[int, ...]], ...] | list[tuple[str, tuple[int, ...]]] = (),
    **overrides: Any,
) -> MemberFacts:
    fields: dict[str, Any] = {
        "member_id": member_id,
        "birth_date": born,
        "masked_id": "5201**********0011",
        "relationship": relationship,
        "co_resident": True,
        "status": "none",
        "in_full_time_education": False,
        "able_to_live_independently": True,
        "has_labour_capacity": True,
        "disability_category": None,
        "disability_grade": None,
        "serious_illness": False,
        "sanwu": False,
        "self_care_failed": 0,
        "has_able_supporter": True,
        "incomes": tuple(incomes),
    }
    fields.update(overrides)
    return MemberFacts(**fields)


def household(
    *members: MemberFacts, region: str = SIX, hukou: str = "urban", month: date = JULY, **overrides: Any
) -> HouseholdFacts:
    fields: dict[str, Any] = {
        "region_code": region,
        "hukou": hukou,
        "benefit_month": month,
        "members": members or (member(),),
        "financial_assets": 0,
        "vehicles": (),
        "dwellings": 1,
        "floor_area_centi_m2": 60_00,
        "company_shareholding": False,
        "rigid_expenditure": None,
        "irregular_income": False,
        "single_person_member_id": None,
        "temporary": None,
        "current_benefit": None,
        "income_rise_from_employment": False,
        "cpi_rise": None,
        "food_cpi_rise": None,
    }
    fields.update(overrides)
    return HouseholdFacts(**fields)


def run(facts: HouseholdFacts) -> Assessment:
    policy = policy_book().resolve(
        facts.region_code, "urban" if facts.hukou == "urban" else "rural", facts.benefit_month
    )
    return assess(facts, policy)


def reason(a: Assessment, code: str, subject: str | None = None) -> Reason:
    """The first reason with this code (and subject)."""
    for r in a.reasons:
        if r.code == code and (subject is None or r.subject == subject):
            return r
    raise AssertionError(f"no reason {code} ({subject}) in {[r.code for r in a.reasons]}")


def codes(a: Assessment) -> list[str]:
    return [r.code for r in a.reasons]


def step_yuan(a: Assessment, code: str, subject: str | None = None) -> Fraction:
    """A step's exact value in fen (fen_x steps divided by their scale)."""
    for s in a.steps:
        if s.code == code and (subject is None or s.subject == subject):
            assert isinstance(s.value, int)
            return Fraction(s.value, s.scale)
    raise AssertionError(f"no step {code}")


def adults(count: int, *, first: str = "self") -> list[MemberFacts]:
    """`count` adults aged 40: the applicant, a spouse, then co-resident siblings."""
    out = [member(first, "self")]
    if count >= 2:
        out.append(member("spouse", "spouse"))
    out += [member(f"sib{i}", "sibling") for i in range(count - 2)]
    return out


# ------------------------------------------------------------------------------ household unit §1.1


class TestHouseholdUnit:
    @pytest.mark.parametrize(
        ("relationship", "born", "overrides", "included", "why"),
        [
            ("spouse", ADULT, {"co_resident": False}, True, None),
            ("spouse", ADULT, {}, True, None),
            ("child", CHILD, {"co_resident": False}, True, None),  # minor child always
            ("child", date(2004, 1, 1), {"co_resident": False, "in_full_time_education": True}, True, None),
            ("child", date(2000, 1, 1), {"co_resident": False, "able_to_live_independently": False}, True, None),
            ("child", date(2000, 1, 1), {"co_resident": True}, True, None),  # adult, independent, co-resident
            ("child", date(2000, 1, 1), {"co_resident": False}, False, "adult_child_living_apart"),
            ("parent", ELDER, {"co_resident": True}, True, None),
            ("parent", ELDER, {"co_resident": False}, False, "not_co_resident"),
            ("sibling", ADULT, {"co_resident": True}, True, None),
            ("sibling", ADULT, {"co_resident": False}, False, "not_co_resident"),
            ("grandparent", ELDER, {"co_resident": True}, True, None),
            ("grandchild", CHILD, {"co_resident": False}, False, "not_co_resident"),
            ("parent_in_law", ELDER, {"co_resident": False}, False, "not_co_resident"),
            ("other", ADULT, {"co_resident": True}, False, "no_support_relationship"),
            ("other", ADULT, {"co_resident": False}, False, "no_support_relationship"),
        ],
    )
    def test_who_belongs_to_the_unit(
        self, relationship: str, born: date, overrides: dict[str, Any], included: bool, why: str | None
    ) -> None:
        a = run(household(member(), member("x", relationship, born, **overrides)))

        assert ("x" in a.unit_member_ids) is included
        assert a.members_counted == (2 if included else 1)
        if why is not None:
            assert ("x", why) in a.excluded_members

    @pytest.mark.parametrize("status", ["religious_away_3y", "imprisoned", "compulsory_rehab", "declared_missing"])
    def test_excluded_status_leaves_the_unit_with_its_income(self, status: str) -> None:
        # The spouse earns 3000 a month but is excluded: 1 member, income 0;
        # 1 × 850 − 0 = 850 (had the spouse counted: 2 × 850 − 3000 < 0, not eligible).
        spouse = member("spouse", "spouse", incomes=[income("business", 3000)], status=status)

        a = run(household(member(), spouse))

        assert a.unit_member_ids == ("self",)
        assert a.excluded_members == (("spouse", status),)
        assert a.category == "dibao"
        assert a.dibao_total == fen(850)

    def test_an_excluded_status_removes_even_the_applicant(self) -> None:
        a = run(household(member(status="imprisoned"), member("spouse", "spouse")))

        assert a.unit_member_ids == ("spouse",)
        assert ("self", "imprisoned") in a.excluded_members

    def test_no_member_left_in_the_unit_is_inconsistent(self) -> None:
        with pytest.raises(InconsistentHousehold):
            run(household(member(status="declared_missing")))


class TestSinglePersonHousehold:
    """单人户 (§2.2, S6): an adult without work who is severely disabled may apply alone."""

    @pytest.mark.parametrize(
        ("category", "grade", "extra"),
        [
            # 2 members would be 2 × 850 − 3000 × 0.8 < 0; alone: 850 − 0 = 850 + severe disability
            # 20% × 850 = 170 → 1020.
            ("physical", 1, 170),
            ("visual", 2, 170),
            ("intellectual", 3, 170),
            ("mental", 3, 170),
        ],
    )
    def test_allowed(self, category: str, grade: int, extra: int) -> None:
        facts = household(
            member(incomes=[income("wage", 3000)]),
            member("p", "spouse", disability_category=category, disability_grade=grade),
            single_person_member_id="p",
        )

        a = run(facts)

        assert reason(a, "unit.single_person").passed
        assert a.unit_member_ids == ("p",)
        assert ("self", "single_person_application") in a.excluded_members
        assert a.category == "dibao"
        assert a.dibao_base == fen(850)
        assert a.dibao_total == fen(850 + extra)

    @pytest.mark.parametrize(
        ("born", "overrides"),
        [
            (date(2010, 1, 1), {"disability_category": "physical", "disability_grade": 1}),  # a minor (14)
            (ADULT, {"disability_category": "physical", "disability_grade": 1, "incomes": (income("wage", 500),)}),
            (ADULT, {"disability_category": "physical", "disability_grade": 3}),  # grade 3 physical: not severe
            (ADULT, {}),  # not disabled at all
        ],
    )
    def test_refused(self, born: date, overrides: dict[str, Any]) -> None:
        facts = household(member(), member("p", "child", born, **overrides), single_person_member_id="p")

        a = run(facts)

        assert not reason(a, "unit.single_person").passed
        assert set(a.unit_member_ids) == {"self", "p"}
        assert ("self", "single_person_application") not in a.excluded_members

    @pytest.mark.parametrize(
        "overrides",
        [{"serious_illness": True}, {"disability_category": "physical", "disability_grade": 2}],
    )
    def test_art_8_a_seriously_ill_or_disabled_member_of_a_marginal_household(self, overrides: dict[str, Any]) -> None:
        # 单独申请 (§2.2 Art. 8): the household of two is 低保边缘 (other income 2000 → 1000 a head,
        # between 850 and 1.5 × 850); the member applies alone even with a working household member
        facts = household(
            member(incomes=[income("other", 2000)]),
            member("p", "spouse", incomes=[income("wage", 0)], **overrides),
            single_person_member_id="p",
        )
        whole = run(household(*facts.members))
        assert whole.category == "marginal"

        a = run(facts)

        assert reason(a, "unit.single_person").passed
        assert a.unit_member_ids == ("p",)
        assert a.category == "dibao"
        assert a.dibao_base == fen(850)

    def test_art_8_needs_a_marginal_household(self) -> None:
        # the same member in a household above 1.5 × the standard: not a 低保边缘 household
        facts = household(
            member(incomes=[income("other", 4000)]),
            member("p", "spouse", serious_illness=True),
            single_person_member_id="p",
        )

        a = run(facts)

        assert not reason(a, "unit.single_person").passed

    @pytest.mark.parametrize("status", ["imprisoned", "religious_away_3y", "compulsory_rehab", "declared_missing"])
    def test_a_person_with_an_excluded_status_cannot_be_a_single_person_household(self, status: str) -> None:
        # §1.1 removes the person from every household unit: the request is refused and the person is
        # neither in the unit nor paid (the rest: self alone, 850).
        prisoner = member("p", "spouse", status=status, disability_category="physical", disability_grade=1)

        a = run(household(member(), prisoner, single_person_member_id="p"))

        assert not reason(a, "unit.single_person").passed
        assert a.unit_member_ids == ("self",)
        assert a.excluded_members == (("p", status),)
        assert a.dibao_total == fen(850)


# ------------------------------------------------------------------------------ income §1.2


class TestIncome:
    @pytest.mark.parametrize(
        ("category", "expected"),
        [
            # 1 member, 500 a month: counted non-wage → 850 − 500 = 350
            ("business", 350),
            ("property", 350),
            ("transfer", 350),
            ("other", 350),
            ("old_age_allowance", 350),  # 高龄津贴 counts for 低保 (§1.2 does not exclude it)
            # wage: 500 − 20% × 500 = 400 → 850 − 400 = 450
            ("wage", 450),
            # excluded kinds are never counted → 850 − 0 = 850
            ("excluded_preferential_care", 850),
            ("excluded_family_planning", 850),
            ("excluded_reward", 850),
            ("excluded_social_assistance", 850),
            ("excluded_basic_pension", 850),
        ],
    )
    def test_counted_and_excluded_categories(self, category: str, expected: int) -> None:
        a = run(household(member(incomes=[income(category, 500)])))

        assert a.category == "dibao"
        assert a.dibao_total == fen(expected)

    def test_excluded_kinds_may_cover_fewer_months(self) -> None:
        # An excluded item is not in the income window check at all: 850 − 0 = 850.
        a = run(household(member(incomes=[income("excluded_reward", 5000, count=1)])))

        assert a.dibao_total == fen(850)

    def test_only_the_last_six_months_count(self) -> None:
        # 12 months, oldest first: 6 × 5000 then 6 × 300 (business). Last 6 average 300:
        # 850 − 300 = 550. (A 12-month average of 2650 would not be eligible.)
        months = monthly(5000) + monthly(300)

        a = run(household(member(incomes=[("business", months)])))

        assert a.category == "dibao"
        assert a.dibao_total == fen(550)

    def test_the_look_back_window_is_the_most_recent_months(self) -> None:
        # 12 months: 6 × 300 then 6 × 5000 (most recent) → average 5000 ≥ 850 and ≥ 1.5 × 850: not eligible.
        months = monthly(300) + monthly(5000)

        a = run(household(member(incomes=[("business", months)])))

        assert a.category == "not_eligible"

    def test_wage_and_other_income_add_up(self) -> None:
        # wage 1000 − 200 = 800; business 300; household 1100; 2 × 850 − 1100 = 600
        a = run(household(member(incomes=[income("wage", 1000), income("business", 300)]), member("spouse", "spouse")))

        assert a.dibao_base == fen(600)

    def test_three_member_example(self) -> None:
        # 3 members, 520102 from 2024-07: standard 850; income 1000 wage − 20% = 800;
        # 3 × 850 − 800 = 1750; floor 30 → 1750; the minor child (10) adds 10% × 850 = 85 → 1835
        facts = household(
            member(incomes=[income("wage", 1000)]), member("spouse", "spouse"), member("kid", "child", CHILD)
        )

        a = run(facts)

        assert a.category == "dibao"
        assert a.dibao_base == fen(1750)
        assert a.dibao_total == fen(1835)
        assert a.household_income_x == fen(800) * a.income_scale


class TestEmploymentCostDeduction:
    def test_the_deduction_is_capped_at_945(self) -> None:
        # wage 6000: 20% = 1200 > 0.5 × 1890 = 945 → deduction 945; net 5055.
        # 8 adults: 8 × 850 − 5055 = 1745 (with 1200 it would be 2000).
        members = adults(8)
        members[0] = member(incomes=[income("wage", 6000)])

        a = run(household(*members))

        assert step_yuan(a, "income.employment_cost_deduction", "self") == fen(945)
        assert a.dibao_base == fen(1745)

    def test_the_cap_is_per_employed_member(self) -> None:
        # two members each earn 6000 → each deducts 945; net 2 × 5055 = 10110;
        # 14 adults: 14 × 850 = 11900 − 10110 = 1790
        members = adults(14)
        members[0] = member(incomes=[income("wage", 6000)])
        members[1] = member("spouse", "spouse", incomes=[income("wage", 6000)])

        a = run(household(*members))

        assert step_yuan(a, "income.employment_cost_deduction", "self") == fen(945)
        assert step_yuan(a, "income.employment_cost_deduction", "spouse") == fen(945)
        assert a.dibao_base == fen(1790)

    def test_two_wage_items_of_one_member_share_one_cap(self) -> None:
        # 3000 + 3000 wage → 6000; 20% = 1200 capped at 945 → net 5055; 8 × 850 − 5055 = 1745
        members = adults(8)
        members[0] = member(incomes=[income("wage", 3000), income("wage", 3000)])

        a = run(household(*members))

        assert a.dibao_base == fen(1745)

    def test_the_deduction_applies_to_the_average_wage(self) -> None:
        # Decision: deduction on the average monthly wage. Wages 6000, 6000, 6000, 0, 0, 0 →
        # average 3000; 20% = 600 (< 945) → net 2400; 4 × 850 − 2400 = 1000.
        # (Per month it would be 3 × 945 / 6 = 472.50 → net 2527.50 → 872.50 → 873.)
        members = adults(4)
        members[0] = member(incomes=[("wage", monthly(6000, 3) + monthly(0, 3))])

        a = run(household(*members))

        assert step_yuan(a, "income.employment_cost_deduction", "self") == fen(600)
        assert a.dibao_base == fen(1000)

    def test_no_deduction_on_non_wage_income(self) -> None:
        a = run(household(member(incomes=[income("business", 500)])))

        assert not any(s.code == "income.employment_cost_deduction" for s in a.steps)


class TestStandards:
    @pytest.mark.parametrize(
        ("region", "hukou", "month", "version", "standard"),
        [
            (SIX, "urban", JULY, "2024-07", 850),
            (SIX, "rural", JULY, "2024-07", 850),  # 城乡一体化
            (SIX_OTHER, "rural", JULY, "2024-07", 850),
            (SIX, "urban", JUNE, "2023-07", 800),
            (SIX, "rural", JUNE, "2023-07", 800),
            (THREE, "urban", JULY, "2024-07", 800),
            (THREE, "rural", JULY, "2024-07", 525),
            (THREE_CITY, "rural", JULY, "2024-07", 525),
            (THREE, "urban", JUNE, "2023-07", 760),
            (THREE, "rural", JUNE, "2023-07", 500),
            (SIX, "urban", date(2023, 7, 1), "2023-07", 800),
            (SIX, "urban", date(2026, 1, 1), "2024-07", 850),
        ],
    )
    def test_a_lone_adult_without_income_gets_the_standard(
        self, region: str, hukou: str, month: date, version: str, standard: int
    ) -> None:
        # 1 × standard − 0 = standard
        a = run(household(region=region, hukou=hukou, month=month))

        assert a.policy_version == version
        assert a.dibao_total == fen(standard)
        assert step_yuan(a, "policy.standard") == fen(standard)


class TestExactArithmetic:
    def test_fractions_of_a_fen_round_only_at_the_end(self) -> None:
        # business 999.99 then 5 × 1000.00: average = 5999.99 / 6 = 999.998333…;
        # 3 × 850 − 999.998333… = 1550.001666… → ⌈⌉ 1551.
        # (Rounding the income to the fen first, 1000.00, would give exactly 1550.)
        months = (fen("999.99"), *monthly(1000, 5))

        a = run(household(member(incomes=[("business", months)]), member("spouse", "spouse"), member("sib", "sibling")))

        assert a.dibao_base == fen(1551)

    def test_a_fraction_just_above_a_whole_income_rounds_in_the_households_favour(self) -> None:
        # business 1000.01 then 5 × 1000.00: average 1000.001666…; 2550 − 1000.001666… = 1549.998333… → 1550
        months = (fen("1000.01"), *monthly(1000, 5))

        a = run(household(member(incomes=[("business", months)]), member("spouse", "spouse"), member("sib", "sibling")))

        assert a.dibao_base == fen(1550)
        assert Fraction(a.household_income_x, a.income_scale) == Fraction(fen(1000) * 6 + 1, 6)

    def test_wage_deduction_keeps_fractions(self) -> None:
        # wage 1000.01 + 5 × 1000: sum 6000.01; net 80% = 4800.008; average 800.001333…;
        # 2 × 850 − 800.001333… = 899.998666… → 900
        months = (fen("1000.01"), *monthly(1000, 5))

        a = run(household(member(incomes=[("wage", months)]), member("spouse", "spouse")))

        assert a.dibao_base == fen(900)


# ------------------------------------------------------------------------------ 低保 benefit


class TestDibaoBenefit:
    @pytest.mark.parametrize(
        ("members", "income_yuan", "expected"),
        [
            (1, "0", 850),  # 850 − 0
            (1, "845", 10),  # gap 850 − 845 = 5 < floor 10 × 1 → 10
            (1, "849.99", 10),  # gap ⌈0.01⌉ = 1 < 10 → 10
            (1, "840", 10),  # gap 10 = floor → 10
            (1, "839.99", 11),  # gap ⌈10.01⌉ = 11 > 10
            (3, "2549", 30),  # gap 2550 − 2549 = 1 < floor 30 → 30
            (3, "2520.5", 30),  # gap ⌈29.5⌉ = 30 = floor
            (3, "2519.5", 31),  # gap ⌈30.5⌉ = 31
            (2, "1000.4", 700),  # 1700 − 1000.40 = 699.60 → ⌈⌉ 700
        ],
    )
    def test_gap_and_floor(self, members: int, income_yuan: str, expected: int) -> None:
        people = adults(members)
        people[0] = member(incomes=[income("business", income_yuan)])

        a = run(household(*people))

        assert a.category == "dibao"
        assert a.dibao_base == fen(expected)
        assert a.dibao_total == fen(expected)

    @pytest.mark.parametrize(("members", "income_yuan"), [(1, "850"), (3, "2550"), (1, "850.01")])
    def test_income_equal_to_the_standard_is_not_eligible(self, members: int, income_yuan: str) -> None:
        people = adults(members)
        people[0] = member(incomes=[income("business", income_yuan)])

        a = run(household(*people))

        assert not reason(a, "dibao.income").passed
        assert a.category != "dibao"
        assert a.dibao_total == 0


# ------------------------------------------------------------------------------ assets §1.3


class TestAssets:
    @pytest.mark.parametrize(
        ("members", "financial", "passes"),
        [
            (1, "20400", True),  # 24 × 850 × 1 = 20,400
            (1, "20400.01", False),
            (3, "61200", True),  # 24 × 850 × 3 = 61,200
            (3, "61200.01", False),
        ],
    )
    def test_financial_assets(self, members: int, financial: str, passes: bool) -> None:
        a = run(household(*adults(members), financial_assets=fen(financial)))

        assert reason(a, "assets.financial").passed is passes
        assert reason(a, "assets.financial").limit == fen(24 * 850 * members)
        assert (a.category == "dibao") is passes

    def test_financial_limit_uses_the_version_standard(self) -> None:
        # 2024-06 (version 2023-07): 24 × 800 = 19,200
        passes = run(household(month=JUNE, financial_assets=fen(19_200)))
        fails = run(household(month=JUNE, financial_assets=fen("19200.01")))

        assert passes.category == "dibao"
        assert fails.category != "dibao"

    @pytest.mark.parametrize(
        ("vehicles", "passes"),
        [
            ((), True),
            (((fen("49999.99"), "work"),), True),
            (((fen("49999.99"), "disabled_member"),), True),
            (((fen(50_000), "work"),), False),
            (((fen(1_000), "private"),), False),
            (((fen(1_000), "work"), (fen(1_000), "work")), False),
        ],
    )
    def test_vehicles(self, vehicles: tuple[tuple[int, str], ...], passes: bool) -> None:
        a = run(household(vehicles=vehicles))

        assert reason(a, "assets.vehicles").passed is passes
        assert (a.category == "dibao") is passes

    @pytest.mark.parametrize(
        ("members", "dwellings", "area_m2", "passes"),
        [
            (1, 0, "0", True),
            (1, 1, "500", True),  # one dwelling, any area
            (1, 2, "30", True),  # 30 m² × 1
            (1, 2, "30.01", False),
            (3, 2, "90", True),  # 30 m² × 3
            (3, 2, "90.01", False),
            (3, 3, "60", False),  # three dwellings never
        ],
    )
    def test_dwellings(self, members: int, dwellings: int, area_m2: str, passes: bool) -> None:
        a = run(household(*adults(members), dwellings=dwellings, floor_area_centi_m2=fen(area_m2)))

        assert reason(a, "assets.dwellings").passed is passes
        assert (a.category == "dibao") is passes

    def test_company_shareholding_fails(self) -> None:
        a = run(household(company_shareholding=True))

        assert not reason(a, "assets.company").passed
        assert a.category == "not_eligible"


# ------------------------------------------------------------------------------ 分类施保


class TestSupplements:
    @pytest.mark.parametrize(
        ("born", "overrides", "group", "amount"),
        [
            (ADULT, {"sanwu": True}, "sanwu", 255),  # 30% × 850 = 255
            (ADULT, {"disability_category": "physical", "disability_grade": 2}, "severe_disability", 170),  # 20%
            (ADULT, {"disability_category": "hearing", "disability_grade": 1}, "severe_disability", 170),
            (ADULT, {"disability_category": "intellectual", "disability_grade": 3}, "severe_disability", 170),
            (ADULT, {"disability_category": "mental", "disability_grade": 3}, "severe_disability", 170),
            (ADULT, {"serious_illness": True}, "serious_illness", 170),  # 20%
            (date(1954, 7, 1), {}, "aged", 128),  # 70 on 2024-07-01: 15% × 850 = 127.5 → 128
            (date(1949, 3, 15), {}, "aged", 128),
            (date(2006, 7, 2), {}, "minor", 85),  # 17 on 2024-07-01: 10% × 850 = 85
            (CHILD, {}, "minor", 85),
            # the highest share only
            (ELDER, {"sanwu": True, "serious_illness": True}, "sanwu", 255),
            (ELDER, {"disability_category": "visual", "disability_grade": 1}, "severe_disability", 170),
            (CHILD, {"disability_category": "intellectual", "disability_grade": 2}, "severe_disability", 170),
            (CHILD, {"sanwu": True}, "sanwu", 255),
        ],
    )
    def test_each_group(self, born: date, overrides: dict[str, Any], group: str, amount: int) -> None:
        # 2 members, no income: 2 × 850 = 1700 + the member's supplement
        a = run(household(member(), member("x", "child" if born > ADULT else "parent", born, **overrides)))

        assert [(s.member_id, s.group, s.amount) for s in a.supplements] == [("x", group, fen(amount))]
        assert a.dibao_base == fen(1700)
        assert a.dibao_total == fen(1700 + amount)

    @pytest.mark.parametrize(
        ("born", "overrides"),
        [
            (date(1954, 7, 2), {}),  # turns 70 on 2 July: 69 on the first day of the month
            (date(2006, 7, 1), {}),  # 18 on the first day: no longer a minor
            (ADULT, {"disability_category": "physical", "disability_grade": 3}),
            (ADULT, {"disability_category": "visual", "disability_grade": 3}),
            (ADULT, {"disability_category": "physical", "disability_grade": 4}),
            (ADULT, {"has_labour_capacity": False}),
        ],
    )
    def test_no_group(self, born: date, overrides: dict[str, Any]) -> None:
        # 2 × 850 = 1700, no supplement
        a = run(household(member(), member("x", "child" if born > ADULT else "parent", born, **overrides)))

        assert a.supplements == ()
        assert a.dibao_total == fen(1700)

    @pytest.mark.parametrize(
        ("region", "hukou", "overrides", "born", "amount"),
        [
            (THREE, "rural", {}, ELDER, 79),  # 525 × 15% = 78.75 → 79
            (THREE, "rural", {}, CHILD, 53),  # 525 × 10% = 52.5 → 53
            (THREE, "rural", {"sanwu": True}, ADULT, 158),  # 525 × 30% = 157.5 → 158
            (THREE, "rural", {"serious_illness": True}, ADULT, 105),  # 525 × 20% = 105
            (THREE, "urban", {}, ELDER, 120),  # 800 × 15% = 120
        ],
    )
    def test_rounded_up_per_member(
        self, region: str, hukou: str, overrides: dict[str, Any], born: date, amount: int
    ) -> None:
        standard = 525 if hukou == "rural" else 800
        a = run(
            household(
                member(),
                member("x", "parent" if born < ADULT else "child", born, **overrides),
                region=region,
                hukou=hukou,
            )
        )

        assert a.dibao_base == fen(2 * standard)
        assert a.dibao_total == fen(2 * standard + amount)

    def test_two_aged_members_each_round_up(self) -> None:
        # 三县一市 rural, 3 members (40, 75, 75): 3 × 525 = 1575; two × ⌈78.75⌉ = 158 → 1733
        # (rounding the sum 157.5 once would give 1733 too, but each member's amount is 79)
        a = run(
            household(
                member(), member("p1", "parent", ELDER), member("p2", "parent", ELDER), region=THREE, hukou="rural"
            )
        )

        assert [s.amount for s in a.supplements] == [fen(79), fen(79)]
        assert a.dibao_total == fen(1733)

    def test_supplements_are_not_paid_when_not_dibao(self) -> None:
        a = run(household(member(sanwu=True, incomes=[income("business", 900)])))

        assert a.category == "marginal"
        assert a.supplements == ()
        assert a.dibao_total == 0


# ------------------------------------------------------------------------------ 特困 §3.1, §3.3


def tekun_alone(
    born: date = ELDER, region: str = SIX, hukou: str = "urban", month: date = JULY, **kw: Any
) -> Assessment:
    return run(household(member(born=born, has_able_supporter=False, **kw), region=region, hukou=hukou, month=month))


class TestTekun:
    @pytest.mark.parametrize(
        ("born", "overrides"),
        [
            (date(1964, 7, 1), {}),  # 60 on the first day of the month
            (ELDER, {}),
            (CHILD, {}),  # under 16
            (date(2008, 7, 2), {}),  # 15
            (date(2008, 7, 1), {}),  # 16: the minor extension
            (date(2006, 7, 2), {}),  # 17
            (ADULT, {"disability_category": "intellectual", "disability_grade": 3}),
            (ADULT, {"disability_category": "mental", "disability_grade": 1}),
            (ADULT, {"disability_category": "mental", "disability_grade": 3}),
            (ADULT, {"disability_category": "physical", "disability_grade": 1}),
            (ADULT, {"disability_category": "physical", "disability_grade": 2}),
            (ADULT, {"disability_category": "visual", "disability_grade": 1}),
            # an existing recipient past 18 still in 义务教育/高中/中职 keeps it (§3.1, S5 item 5)
            (date(2005, 1, 1), {"current_tekun": True, "in_secondary_school": True}),
        ],
    )
    def test_no_labour_capacity_paths(self, born: date, overrides: dict[str, Any]) -> None:
        # six districts 2024-07: basic ⌈1.3 × 850⌉ = 1105; care 全自理 20% × 1890 = 378; total 1483
        a = tekun_alone(born, **overrides)

        assert a.category == "tekun"
        assert [(p.member_id, p.basic, p.care_tier, p.care, p.total) for p in a.tekun_persons] == [
            ("self", fen(1105), "self", fen(378), fen(1483))
        ]
        assert a.monthly_total == fen(1483)
        assert reason(a, "tekun.no_labour_capacity", "self").passed
        assert a.dibao_total == 0

    @pytest.mark.parametrize(
        ("born", "overrides"),
        [
            (date(1964, 7, 2), {}),  # 59 on the first day
            (date(2006, 7, 1), {}),  # 18, not studying
            # 20 in full-time study: a new applicant past 18 does not qualify by age (decision:
            # keeping the benefit past 18 while in school is a matter for a recipient's review)
            (date(2004, 1, 1), {"in_full_time_education": True}),
            # a recipient past 18 at university is not in 义务教育/高中/中职: the continuation ends
            (date(2004, 1, 1), {"current_tekun": True, "in_full_time_education": True}),
            # a new applicant past 18 in 中职 does not qualify by age: the continuation is a recipient's
            (date(2005, 1, 1), {"in_secondary_school": True}),
            (ADULT, {"disability_category": "physical", "disability_grade": 3}),
            (ADULT, {"disability_category": "visual", "disability_grade": 2}),
            (ADULT, {"disability_category": "intellectual", "disability_grade": 4}),
            (ADULT, {"disability_category": "hearing", "disability_grade": 1}),
            (ADULT, {"has_labour_capacity": False}),  # no age or listed disability: not a path (decision)
        ],
    )
    def test_labour_capacity_blocks_tekun(self, born: date, overrides: dict[str, Any]) -> None:
        a = tekun_alone(born, **overrides)

        assert a.tekun_persons == ()
        assert not reason(a, "tekun.no_labour_capacity", "self").passed
        assert a.category == "dibao"  # as 低保 instead: 1 × 850 − 0 (plus any 分类施保)
        assert a.dibao_base == fen(850)

    @pytest.mark.parametrize(
        ("income_yuan", "tekun"),
        [("849.99", True), ("850", False), ("0", True)],
    )
    def test_own_income_below_the_standard(self, income_yuan: str, tekun: bool) -> None:
        a = tekun_alone(incomes=(income("transfer", income_yuan),))

        assert bool(a.tekun_persons) is tekun
        assert reason(a, "tekun.no_source_of_living", "self").passed is tekun
        if not tekun:
            # 850 a month, 1 person: not dibao (850 is not below 850), marginal (850 < 1275)
            assert a.category == "marginal"

    def test_tekun_income_leaves_out_the_old_age_allowance(self) -> None:
        # 高龄津贴 2000 is not the 特困 person's income (§3.1); transfer 849.99 < 850 → 特困
        a = tekun_alone(
            incomes=(
                income("old_age_allowance", 2000),
                income("excluded_basic_pension", 2000),
                income("transfer", "849.99"),
            )
        )

        assert a.category == "tekun"
        assert reason(a, "tekun.no_source_of_living", "self").actual == fen("849.99")

    def test_the_old_age_allowance_still_counts_for_dibao(self) -> None:
        # with an able supporter (not 特困): 低保 income 900 ≥ 850 → not 低保; 900 < 1275 → 低保边缘
        a = run(household(member(born=ELDER, incomes=[income("old_age_allowance", 900)])))

        assert a.category == "marginal"

    def test_own_income_test_uses_the_rural_standard_in_three_counties(self) -> None:
        # 三县一市 rural: income limit 525; 600 a month fails it (would pass in the city's 850)
        a = tekun_alone(region=THREE, hukou="rural", incomes=(income("transfer", 600),))

        assert a.tekun_persons == ()

    def test_the_asset_test_applies(self) -> None:
        # 1 person: financial limit 24 × 850 = 20,400
        assert tekun_alone().category == "tekun"
        a = run(household(member(born=ELDER, has_able_supporter=False), financial_assets=fen("20400.01")))
        assert a.tekun_persons == ()
        assert not reason(a, "tekun.no_source_of_living", "self").passed

    def test_an_able_supporter_blocks_it(self) -> None:
        # aged 75 with a supporter: 低保 850 + aged 15% ⌈127.5⌉ = 128 → 978
        a = run(household(member(born=ELDER, has_able_supporter=True)))

        assert a.tekun_persons == ()
        assert "tekun.no_labour_capacity" not in codes(a)
        assert a.category == "dibao"
        assert a.dibao_total == fen(978)

    @pytest.mark.parametrize(
        ("region", "hukou", "month", "basic"),
        [
            (SIX, "urban", JULY, 1105),  # ⌈1.3 × 850⌉
            (SIX, "rural", JULY, 1105),
            (THREE, "urban", JULY, 1040),  # ⌈1.3 × 800⌉
            (THREE, "rural", JULY, 1040),  # the area's urban standard, even for a rural hukou
            (SIX, "urban", JUNE, 1040),  # 2023-07: ⌈1.3 × 800⌉
            (THREE, "urban", JUNE, 988),  # 2023-07: ⌈1.3 × 760⌉ = 988
        ],
    )
    def test_basic_living(self, region: str, hukou: str, month: date, basic: int) -> None:
        a = tekun_alone(region=region, hukou=hukou, month=month)

        assert a.tekun_persons[0].basic == fen(basic)
        assert a.monthly_total == fen(basic + 378)

    @pytest.mark.parametrize(
        ("failed", "tier", "care"),
        [
            (0, "self", 378),  # 20% × 1890
            (1, "partial", 945),  # 50% × 1890
            (3, "partial", 945),
            (4, "full", 1890),  # 100% × 1890
            (6, "full", 1890),
        ],
    )
    def test_care_tiers(self, failed: int, tier: str, care: int) -> None:
        a = tekun_alone(self_care_failed=failed)

        person = a.tekun_persons[0]
        assert (person.care_tier, person.care, person.total) == (tier, fen(care), fen(1105 + care))

    def test_every_member_tekun_makes_the_household_tekun(self) -> None:
        # two elderly without supporters: (1105 + 378) + (1105 + 945) = 3533
        facts = household(
            member(born=ELDER, has_able_supporter=False),
            member("spouse", "spouse", ELDER, has_able_supporter=False, self_care_failed=2),
        )

        a = run(facts)

        assert a.category == "tekun"
        assert a.members_counted == 0
        assert a.unit_member_ids == ()
        assert a.monthly_total == fen(3533)
        assert a.next_review == date(2025, 7, 1)  # 特困: 12 months

    def test_mixed_household(self) -> None:
        # parent (75, no supporter, transfer 800 < 850) is 特困: 1105 + 378 = 1483, leaves the unit with
        # the 800. Rest: self wage 2000 − 20% = 1600, spouse 0 → 2 × 850 − 1600 = 100 (floor 20) → 100.
        # Total 100 + 1483 = 1583. (Had the parent stayed: 3 × 850 − 2400 = 150 + aged 128.)
        facts = household(
            member(incomes=[income("wage", 2000)]),
            member("spouse", "spouse"),
            member("parent", "parent", ELDER, has_able_supporter=False, incomes=[income("transfer", 800)]),
        )

        a = run(facts)

        assert a.category == "dibao"
        assert a.unit_member_ids == ("self", "spouse")
        assert a.members_counted == 2
        assert [p.member_id for p in a.tekun_persons] == ["parent"]
        assert a.dibao_base == fen(100)
        assert a.supplements == ()
        assert a.dibao_total == fen(100)
        assert a.monthly_total == fen(1583)
        assert a.household_income_x == fen(1600) * a.income_scale

    def test_assets_are_tested_per_capita_on_the_whole_household(self) -> None:
        # Decision: the asset tests are the household's, per capita (n = 2: 24 × 850 × 2 = 40,800), for
        # the 特困 parent and for the rest alike (the parent keeps a per-capita share), so 30,000 passes.
        # The rest: 1 member, no income → 低保 ⌈850 − 0⌉ = 850; 特困 parent 1105 + 378 = 1483; total 2333.
        facts = household(
            member(), member("parent", "parent", ELDER, has_able_supporter=False), financial_assets=fen(30_000)
        )

        a = run(facts)

        assert [p.member_id for p in a.tekun_persons] == ["parent"]
        assert reason(a, "assets.financial").limit == fen(40_800)
        assert a.category == "dibao"
        assert a.dibao_total == fen(850)
        assert a.monthly_total == fen(2333)


# ------------------------------------------------------------------------------ 渐退 §2.9


class TestPhaseOut:
    def test_income_rise_from_work_keeps_the_current_amount(self) -> None:
        # wage 1500 − 300 = 1200 ≥ 850: out of 低保; active case of 500 and the rise is from work →
        # 渐退 at 500 until 2024-07 + 5 = 2024-12 (6 months including July)
        facts = household(
            member(incomes=[income("wage", 1500)]), current_benefit=fen(500), income_rise_from_employment=True
        )

        a = run(facts)

        assert a.category == "dibao_phase_out"
        assert a.phase_out_amount == fen(500)
        assert a.phase_out_until == date(2024, 12, 1)
        assert a.monthly_total == fen(500)
        assert a.dibao_total == 0
        assert a.next_review == date(2025, 7, 1)

    def test_phase_out_crosses_the_year(self) -> None:
        facts = household(
            member(incomes=[income("wage", 1500)]),
            month=date(2024, 10, 1),
            current_benefit=fen(500),
            income_rise_from_employment=True,
        )

        assert run(facts).phase_out_until == date(2025, 3, 1)

    @pytest.mark.parametrize(
        ("wage", "category"),
        [
            ("1500", "marginal"),  # 1500 × 0.8 = 1200 < 1.5 × 850 = 1275
            ("2000", "not_eligible"),  # 2000 × 0.8 = 1600 ≥ 1275
        ],
    )
    def test_without_the_employment_flag_income_decides(self, wage: str, category: str) -> None:
        facts = household(member(incomes=[income("wage", wage)]), current_benefit=fen(500))

        a = run(facts)

        assert a.category == category
        assert a.monthly_total == 0
        assert a.phase_out_until is None

    def test_a_case_still_below_the_standard_stays_dibao(self) -> None:
        # wage 1000 × 0.8 = 800: 850 − 800 = 50; the current amount is not kept
        facts = household(
            member(incomes=[income("wage", 1000)]), current_benefit=fen(500), income_rise_from_employment=True
        )

        a = run(facts)

        assert a.category == "dibao"
        assert a.dibao_total == fen(50)

    def test_failing_assets_ends_the_case(self) -> None:
        facts = household(
            member(incomes=[income("wage", 1500)]),
            current_benefit=fen(500),
            income_rise_from_employment=True,
            company_shareholding=True,
        )

        assert run(facts).category == "not_eligible"


# ------------------------------------------------------------------------------ 低保边缘 §5.2


class TestMarginal:
    @pytest.mark.parametrize(
        ("income_yuan", "category"),
        [
            ("849.99", "dibao"),
            ("850", "marginal"),  # 1 × standard
            ("1000", "marginal"),
            ("1274.99", "marginal"),
            ("1275", "not_eligible"),  # 1.5 × 850 = 1275, strict
        ],
    )
    def test_income_between_one_and_one_and_a_half_standards(self, income_yuan: str, category: str) -> None:
        a = run(household(member(incomes=[income("business", income_yuan)])))

        assert a.category == category
        if category == "marginal":
            assert a.monthly_total == 0
            assert reason(a, "marginal.income").limit == fen(1275)

    @pytest.mark.parametrize(
        ("financial", "category"),
        [
            ("20400", "dibao"),  # 24 × 850
            ("25500", "marginal"),  # 30 × 850: not dibao, within 36×
            ("30600", "marginal"),  # 36 × 850
            ("30600.01", "not_eligible"),
        ],
    )
    def test_financial_limit_36_months(self, financial: str, category: str) -> None:
        a = run(household(financial_assets=fen(financial)))

        assert a.category == category

    def test_other_asset_rules_still_apply(self) -> None:
        a = run(household(member(incomes=[income("business", 1000)]), vehicles=((fen(1000), "private"),)))

        assert a.category == "not_eligible"


# ------------------------------------------------------------------------------ 刚性支出 §5.3


def rigid_household(
    monthly_income: str | tuple[int, ...],
    medical: str,
    *,
    region: str = SIX,
    hukou: str = "urban",
    members: int = 1,
    rigid: bool = True,
) -> HouseholdFacts:
    months = monthly(monthly_income, 12) if isinstance(monthly_income, str) else monthly_income
    people = adults(members)
    people[0] = member(incomes=[("business", months)])
    return household(
        *people,
        region=region,
        hukou=hukou,
        rigid_expenditure=(fen(medical), 0, 0, 0) if rigid else None,
    )


class TestRigidExpenditure:
    def test_rigid_spending_above_sixty_percent(self) -> None:
        # 2000 a month ≥ 1275: not marginal. 12 months = 24,000 < 47,000; 60% = 14,400 < 14,400.01
        a = run(rigid_household("2000", "14400.01"))

        assert a.category == "rigid_expenditure"
        assert a.valid_until == date(2025, 6, 1)  # 12 months including July 2024
        assert a.monthly_total == 0
        assert reason(a, "rigid.expense_ratio").limit == fen(14_400)

    def test_exactly_sixty_percent_is_not_enough(self) -> None:
        a = run(rigid_household("2000", "14400"))

        assert a.category == "not_eligible"
        assert not reason(a, "rigid.expense_ratio").passed
        assert a.valid_until is None

    def test_all_four_kinds_of_spending_add_up(self) -> None:
        # 3600.01 + 3600 + 3600 + 3600 = 14,400.01 > 14,400
        facts = replace(
            rigid_household("2000", "0"), rigid_expenditure=(fen("3600.01"), fen(3600), fen(3600), fen(3600))
        )

        assert run(facts).category == "rigid_expenditure"

    @pytest.mark.parametrize(
        ("months", "category"),
        [
            # 11 × 3917 + 3913 = 47,000: not below the prior-year 47,000
            ((*monthly(3917, 11), fen(3913)), "not_eligible"),
            ((fen("3912.99"), *monthly(3917, 11)), "rigid_expenditure"),  # 46,999.99
        ],
    )
    def test_below_the_prior_year_disposable_income(self, months: tuple[int, ...], category: str) -> None:
        a = run(rigid_household(months, "40000"))

        assert a.category == category
        assert reason(a, "rigid.income").limit == fen(47_000)

    @pytest.mark.parametrize(
        ("region", "hukou", "category"),
        [
            (SIX, "urban", "rigid_expenditure"),
            (SIX, "rural", "rigid_expenditure"),  # six districts use the urban 47,000 even for rural hukou
            (THREE, "urban", "rigid_expenditure"),
            (THREE, "rural", "not_eligible"),  # 24,000 ≥ rural 21,000
        ],
    )
    def test_urban_or_rural_disposable_income(self, region: str, hukou: str, category: str) -> None:
        # 2000 a month × 12 = 24,000 per capita; rigid 20,000 > 60% × 24,000 = 14,400
        a = run(rigid_household("2000", "20000", region=region, hukou=hukou))

        assert a.category == category

    def test_missing_rigid_data_is_not_eligible(self) -> None:
        a = run(rigid_household("2000", "0", rigid=False))

        assert a.category == "not_eligible"
        assert not reason(a, "rigid.data").passed
        assert a.missing == ["rigid_expenditure_12m"]  # says what to supply

    def test_fewer_than_twelve_months_of_income_is_not_met(self) -> None:
        a = run(rigid_household(monthly("2000", 6), "20000"))

        assert a.category == "not_eligible"
        assert not reason(a, "rigid.data").passed
        assert "rigid.expense_ratio" not in codes(a)
        assert a.missing
        assert all(item.endswith("incomes: 12 months") for item in a.missing)

    def test_rigid_uses_twelve_months_and_the_wage_deduction(self) -> None:
        # wage 2500 × 12 = 30,000; deduction 20% = 6,000 → 24,000 (cap 945 × 12 not reached);
        # 60% × 24,000 = 14,400; rigid 14,400.01 passes; last-6 income 2000 ≥ 1275 → not marginal
        facts = household(member(incomes=[income("wage", 2500, 12)]), rigid_expenditure=(fen("14400.01"), 0, 0, 0))

        a = run(facts)

        assert a.category == "rigid_expenditure"
        assert reason(a, "rigid.income").actual == fen(24_000)


# ------------------------------------------------------------------------------ 临时救助 §4


def temporary(kind: str, requested: str, prior: int = 0) -> TemporaryFacts:
    return TemporaryFacts(kind, "illness", fen(requested), prior)


class TestTemporary:
    @pytest.mark.parametrize(
        ("requested", "granted", "case_by_case"),
        [
            ("3000", 2550, True),  # 3 × 850 = 2550
            ("2550", 2550, False),
            ("2000", 2000, False),
        ],
    )
    def test_emergency_first_aid(self, requested: str, granted: int, case_by_case: bool) -> None:
        a = run(household(temporary=temporary("emergency", requested)))

        t = a.temporary
        assert t is not None
        assert (t.kind, t.granted, t.approval_level, t.case_by_case) == (
            "emergency",
            fen(granted),
            "town",
            case_by_case,
        )

    @pytest.mark.parametrize(
        ("region", "hukou", "month", "ceiling"),
        [
            (THREE, "rural", JULY, 2550),  # always the six-district standard: 3 × 850
            (SIX, "urban", JUNE, 2400),  # 2023-07: 3 × 800
        ],
    )
    def test_emergency_ceiling_follows_the_six_district_standard(
        self, region: str, hukou: str, month: date, ceiling: int
    ) -> None:
        a = run(household(region=region, hukou=hukou, month=month, temporary=temporary("emergency", "9999")))

        assert a.temporary is not None
        assert a.temporary.granted == fen(ceiling)

    def test_emergency_has_no_income_test(self) -> None:
        a = run(household(member(incomes=[income("business", 90_000)]), temporary=temporary("emergency", "1000")))

        assert a.temporary is not None
        assert a.temporary.granted == fen(1000)

    @pytest.mark.parametrize(
        ("requested", "granted", "level", "case_by_case"),
        [
            # 2 members, 850: cap 6 × 850 × 2 = 10,200; town up to 3 × 850 × 2 = 5,100
            ("4000", 4000, "town", False),
            ("5100", 5100, "town", False),
            ("5100.01", "5100.01", "county", False),
            ("10200", 10200, "county", False),
            ("12000", 10200, "county", True),
        ],
    )
    def test_expenditure_cap_and_approval_level(
        self, requested: str, granted: int | str, level: str, case_by_case: bool
    ) -> None:
        a = run(household(*adults(2), temporary=temporary("expenditure", requested)))

        t = a.temporary
        assert t is not None
        assert (t.granted, t.approval_level, t.case_by_case) == (fen(granted), level, case_by_case)

    def test_expenditure_cap_in_three_counties(self) -> None:
        # 三县一市 rural, 1 member: cap 6 × 525 = 3150; town 3 × 525 = 1575
        a = run(household(region=THREE, hukou="rural", temporary=temporary("expenditure", "5000")))

        assert a.temporary is not None
        assert (a.temporary.granted, a.temporary.approval_level) == (fen(3150), "county")

    @pytest.mark.parametrize(("prior", "granted"), [(0, 1000), (1, 1000), (2, 0), (5, 0)])
    def test_at_most_twice_in_twelve_months(self, prior: int, granted: int) -> None:
        a = run(household(temporary=temporary("expenditure", "1000", prior)))

        t = a.temporary
        assert t is not None
        assert t.granted == fen(granted)
        assert t.approval_level == ("refused" if granted == 0 else "town")

    @pytest.mark.parametrize(
        ("monthly_income", "allowed"),
        [
            ("3916.66", True),  # × 12 = 46,999.92 < 47,000
            ("3916.67", False),  # × 12 = 47,000.04
        ],
    )
    def test_expenditure_income_test(self, monthly_income: str, allowed: bool) -> None:
        a = run(
            household(member(incomes=[income("business", monthly_income)]), temporary=temporary("expenditure", "1000"))
        )

        t = a.temporary
        assert t is not None
        assert t.granted == (fen(1000) if allowed else 0)
        assert next(r for r in t.reasons if r.code == "temporary.income").passed is allowed


# ------------------------------------------------------------------------------ price subsidy


class TestPriceSubsidy:
    @pytest.mark.parametrize(
        ("cpi", "food", "per_person"),
        [
            (3500, 0, 30),  # 850 × 3.5% = 29.75 → 30 (≥ fires)
            (3400, 0, 0),  # below 3.5%
            (3600, 0, 31),  # 850 × 3.6% = 30.6 → 31
            (0, 6000, 51),  # food 6%: 850 × 6% = 51
            (0, 5900, 0),
            (3600, 6500, 56),  # both: the higher 6.5% → 55.25 → 56
            (7000, 6000, 60),  # both: 7% → 59.5 → 60
        ],
    )
    def test_triggers_and_amount(self, cpi: int, food: int, per_person: int) -> None:
        a = run(household(*adults(3), cpi_rise=cpi, food_cpi_rise=food))

        assert a.category == "dibao"
        assert a.price_subsidy_per_person == fen(per_person)
        assert a.price_subsidy == fen(per_person * 3 if per_person else 0)

    def test_three_counties_rural_standard(self) -> None:
        # 525 × 3.5% = 18.375 → 19
        a = run(household(region=THREE, hukou="rural", cpi_rise=3500, food_cpi_rise=0))

        assert a.price_subsidy_per_person == fen(19)

    @pytest.mark.parametrize(
        ("facts", "persons"),
        [
            (household(*adults(3)), 3),  # 低保
            (household(member(incomes=[income("business", 1000)])), 1),  # 低保边缘
            (household(member(born=ELDER, has_able_supporter=False)), 1),  # 特困
            (
                household(member(), member("spouse", "spouse"), member("p", "parent", ELDER, has_able_supporter=False)),
                3,
            ),  # 2 on 低保 + 1 特困
            (
                household(
                    member(incomes=[income("wage", 1500)]), current_benefit=fen(500), income_rise_from_employment=True
                ),
                1,
            ),  # 渐退
            (household(member(incomes=[income("business", 5000)])), 0),  # not eligible
            (rigid_household("2000", "20000"), 0),  # 刚性支出: not in the scheme
        ],
    )
    def test_who_is_paid(self, facts: HouseholdFacts, persons: int) -> None:
        # 850 × 3.6% = 30.6 → 31 per person
        a = run(replace(facts, cpi_rise=3600, food_cpi_rise=0))

        assert a.price_subsidy_persons == persons
        assert a.price_subsidy == fen(31 * persons)

    def test_no_prices_no_subsidy(self) -> None:
        a = run(household())

        assert a.price_subsidy == 0


# ------------------------------------------------------------------------------ reviews §2.9


class TestReview:
    @pytest.mark.parametrize(
        ("irregular", "born", "overrides", "months"),
        [
            (False, ADULT, {}, 12),
            (True, ADULT, {}, 6),
            (True, date(2008, 7, 1), {}, 6),  # 16 on the first day
            (True, date(1964, 7, 2), {}, 6),  # 59
            (True, date(1964, 7, 1), {}, 12),  # 60
            (True, date(2008, 7, 2), {}, 12),  # 15
            (True, ADULT, {"has_labour_capacity": False}, 12),
            (True, ADULT, {"disability_category": "physical", "disability_grade": 1}, 12),
        ],
    )
    def test_interval(self, irregular: bool, born: date, overrides: dict[str, Any], months: int) -> None:
        # the applicant is 65 (no working age); the other member decides
        facts = household(
            member(born=SIXTY_FIVE),
            member("x", "child" if born > ADULT else "sibling", born, **overrides),
            irregular_income=irregular,
        )

        a = run(facts)

        assert a.category == "dibao"
        assert a.next_review == add_months(JULY, months)
        step = next(s for s in a.steps if s.code == "review.interval")
        assert step.value == months

    def test_tekun_every_twelve_months(self) -> None:
        a = run(household(member(born=ELDER, has_able_supporter=False), irregular_income=True))

        assert a.next_review == date(2025, 7, 1)

    def test_marginal_has_no_review_date(self) -> None:
        assert run(household(member(incomes=[income("business", 1000)]))).next_review is None


# ------------------------------------------------------------------------------ citations


class TestCitations:
    @pytest.mark.parametrize(
        ("facts", "version"),
        [
            (
                household(*adults(3), cpi_rise=3600, food_cpi_rise=0, temporary=temporary("expenditure", "100")),
                "2024-07",
            ),
            (household(member(born=ELDER, has_able_supporter=False), month=JUNE), "2023-07"),
            (rigid_household("2000", "20000"), "2024-07"),
            (household(member(incomes=[income("wage", 6000)]), *adults(8)[1:]), "2024-07"),
        ],
    )
    def test_every_parameter_cited_carries_version_and_source(self, facts: HouseholdFacts, version: str) -> None:
        a = run(facts)

        assert a.policy_version == version
        assert a.policy_illustrative
        refs = [p for s in a.steps for p in s.params] + [p for r in a.reasons for p in r.params]
        if a.temporary is not None:
            refs += [p for r in a.temporary.reasons for p in r.params]
        assert refs
        for ref in refs:
            assert ref.version == version
            assert ref.source in ("illustrative", "national")
        standard = next(p for p in refs if p.name.startswith("dibao_standard."))
        assert standard.source == "illustrative"

    def test_the_standard_cited_is_the_households(self) -> None:
        a = run(household(region=THREE, hukou="rural"))

        step = next(s for s in a.steps if s.code == "policy.standard")
        assert [(p.name, p.value, p.version, p.source) for p in step.params] == [
            ("dibao_standard.three_counties_one_city.rural", Decimal("525"), "2024-07", "illustrative")
        ]

    def test_every_category_is_known(self) -> None:
        assert run(household()).category in CATEGORIES


# ------------------------------------------------------------------------------ arithmetic helpers


class TestCeilYuan:
    @pytest.mark.parametrize("denominator", [1, 3, 6, 7, 100, 1000, 6000, 100_000])
    def test_matches_round_money_up_to_the_yuan(self, denominator: int) -> None:
        values = [*range(-1050, 1050, 7), 0, 1, 99, 100, 101, 8_500_000, 8_500_001, 123_456_789]
        for numerator in values:
            expected = round_money(Decimal(numerator) / denominator / 100, unit="yuan", mode="up")
            assert ceil_yuan(numerator, denominator) == int(expected * 100), (numerator, denominator)

    def test_examples(self) -> None:
        assert ceil_yuan(7875) == 7900  # 78.75 → 79
        assert ceil_yuan(85_000 * 150, 1000) == 12_800  # 850 × 15% = 127.5 → 128
        assert ceil_yuan(85_000 * 3600, 100_000) == 3100  # 850 × 3.6% = 30.6 → 31
        assert ceil_yuan(100) == 100
        assert ceil_yuan(0) == 0

    def test_refuses_a_non_positive_denominator(self) -> None:
        with pytest.raises(ValueError, match="denominator"):
            ceil_yuan(1, 0)


class TestAges:
    @pytest.mark.parametrize(
        ("born", "day", "age"),
        [
            (date(1954, 7, 1), JULY, 70),
            (date(1954, 7, 2), JULY, 69),
            (date(2000, 2, 29), date(2024, 2, 28), 23),
            (date(2000, 2, 29), date(2023, 3, 1), 23),
            (date(2000, 2, 29), date(2023, 2, 28), 22),
        ],
    )
    def test_age_on(self, born: date, day: date, age: int) -> None:
        assert age_in_years(born, day) == age

    def test_add_months(self) -> None:
        assert add_months(date(2024, 7, 1), 5) == date(2024, 12, 1)
        assert add_months(date(2024, 10, 1), 5) == date(2025, 3, 1)
        assert add_months(date(2024, 12, 1), 12) == date(2025, 12, 1)


# ------------------------------------------------------------------------------ decisions after review


class TestTemporaryExpenditureAssets:
    def test_property_beyond_the_marginal_limit_refuses_expenditure_assistance(self) -> None:
        # 1 member, no income, expense 3000. Financial 30,601 > 36 × 850 = 30,600 → refused.
        request = TemporaryFacts("expenditure", "住院", fen(3000), 0)
        a = run(household(member(), financial_assets=fen("30600.01"), temporary=request))
        assert a.temporary is not None
        assert a.temporary.approval_level == "refused"
        assert a.temporary.granted == 0

    def test_within_the_marginal_limit_it_is_granted(self) -> None:
        # cap 6 × 850 × 1 = 5100; 3000 ≤ town limit 3 × 850 = 2550? no → county approves 3000
        request = TemporaryFacts("expenditure", "住院", fen(3000), 0)
        a = run(household(member(), financial_assets=fen(30_600), temporary=request))
        assert a.temporary is not None
        assert (a.temporary.granted, a.temporary.approval_level) == (fen(3000), "county")


class TestSinglePersonWageWindow:
    def test_an_old_wage_outside_the_look_back_window_does_not_block_it(self) -> None:
        # wage only 11 months ago (12 months supplied): the last 6 months are 0 → "without work".
        wage = ("wage", (fen("0.01"),) + (0,) * 11)
        person = member("p", "spouse", ADULT, incomes=[wage], disability_category="physical", disability_grade=1)
        a = run(household(member(incomes=[income("wage", 5000)]), person, single_person_member_id="p"))
        assert reason(a, "unit.single_person").passed
        assert a.unit_member_ids == ("p",)


class TestBirthOnTheFirstOfTheMonth:
    def test_a_baby_born_on_the_first_day_counts(self) -> None:
        a = run(household(member(), member("baby", "child", JULY)))
        assert a.members_counted == 2


class TestReasonIncomeDisplay:
    def test_the_reason_shows_income_to_the_nearest_fen(self) -> None:
        # 999.99 then 5 × 1000: average 999.998333… → shown 1000.00 (half up), as in the summary
        months = (fen("999.99"), *(fen(1000),) * 5)
        a = run(household(member(incomes=[("business", months)])))
        assert reason(a, "dibao.income").actual == fen(1000)


class TestApplicationPlace:
    """DOMAIN-RULES §2.2 (Art. 5): an explanation of where the household may apply."""

    def test_a_member_with_hukou_here(self) -> None:
        a = run(household(member(hukou_region_code=SIX), member("s", "spouse", hukou_region_code="520103")))
        assert reason(a, "application.place").passed

    def test_no_member_with_hukou_here(self) -> None:
        a = run(household(member(hukou_region_code="520103"), member("s", "spouse", hukou_region_code="520111")))
        assert not reason(a, "application.place").passed
        assert a.category == "dibao"  # an explanation for the caseworker, not a refusal of the what-if

    def test_no_hukou_stated_no_reason(self) -> None:
        assert "application.place" not in codes(run(household()))

    def test_emergency_first_aid_has_no_hukou_condition(self) -> None:
        facts = household(member(hukou_region_code="520103"), temporary=temporary("emergency", "1000"))
        assert "application.place" not in codes(run(facts))
