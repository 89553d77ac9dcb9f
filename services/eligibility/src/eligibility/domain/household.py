"""The household as the rules see it: plain, immutable values in integer fen (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COUNTED_INCOME = frozenset({"wage", "business", "property", "transfer", "other", "old_age_allowance"})
"""Income categories that count (DOMAIN-RULES §1.2); every `excluded_*` kind is left out."""

NOT_COUNTED_FOR_TEKUN = frozenset({"old_age_allowance"})
"""高龄津贴 is left out of a 特困 applicant's own income (DOMAIN-RULES §3.1, Art. 6 para. 2)
but counts for 低保 (§1.2 does not exclude it)."""

EXCLUSION_STATUSES = frozenset({"religious_away_3y", "imprisoned", "compulsory_rehab", "declared_missing"})


@dataclass(frozen=True, slots=True)
class MemberFacts:
    member_id: str
    birth_date: date
    masked_id: str
    relationship: str
    co_resident: bool
    status: str
    in_full_time_education: bool
    able_to_live_independently: bool
    has_labour_capacity: bool
    disability_category: str | None
    disability_grade: int | None
    serious_illness: bool
    sanwu: bool
    self_care_failed: int
    has_able_supporter: bool
    incomes: tuple[tuple[str, tuple[int, ...]], ...]  # (category, monthly fen, oldest first)


@dataclass(frozen=True, slots=True)
class TemporaryFacts:
    kind: str  # emergency | expenditure
    cause: str
    requested: int  # fen
    prior_grants_same_cause_12m: int


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    region_code: str
    hukou: str  # urban | rural
    benefit_month: date  # first day of the benefit month
    members: tuple[MemberFacts, ...]
    financial_assets: int  # fen
    vehicles: tuple[tuple[int, str], ...]  # (value fen, purpose)
    dwellings: int
    floor_area_centi_m2: int  # m² × 100
    company_shareholding: bool
    rigid_expenditure: tuple[int, int, int, int] | None  # medical, education, rehabilitation, living (fen, 12 months)
    irregular_income: bool
    single_person_member_id: str | None
    temporary: TemporaryFacts | None
    current_benefit: int | None  # fen per month of the current 低保 case
    income_rise_from_employment: bool
    cpi_rise: int | None  # per mille of a percent point: 3.8% → 3800
    food_cpi_rise: int | None
