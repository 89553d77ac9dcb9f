"""The asset test (POLICY-DEFAULTS 低保 "Assets"; DOMAIN-RULES §1.3), one named reason per test (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility.assessment.domain.model import (
    HouseholdFacts,
    Reason,
)
from eligibility.policy.domain.model import ResolvedPolicy


def financial_reason(facts: HouseholdFacts, n: int, policy: ResolvedPolicy, months: int, name: str) -> Reason:
    """Financial assets per capita at most `months` × the monthly standard."""
    limit = months * policy.standard * n
    return Reason(
        "assets.financial",
        facts.financial_assets <= limit,
        facts.financial_assets,
        limit,
        "fen",
        "POLICY-DEFAULTS 低保 assets; DOMAIN-RULES §1.3",
        policy.cites[(name, "dibao_standard")],
    )


@dataclass(slots=True)
class AssetTests:
    """The asset test, one named reason per test (POLICY-DEFAULTS 低保 "Assets"; §1.3). The
    financial test depends on the kind of assistance (its limit in months); the vehicle,
    dwelling and company tests are the same for all of them (`physical`)."""

    financial: Reason
    vehicles: Reason
    dwellings: Reason
    company: Reason

    @property
    def reasons(self) -> list[Reason]:
        """Every test, the financial one first."""
        return [self.financial, self.vehicles, self.dwellings, self.company]

    @property
    def physical(self) -> tuple[Reason, Reason, Reason]:
        """The tests other than the financial one: vehicles, dwellings, company."""
        return (self.vehicles, self.dwellings, self.company)

    @property
    def physical_passed(self) -> bool:
        return self.vehicles.passed and self.dwellings.passed and self.company.passed

    @property
    def passed(self) -> bool:
        return self.financial.passed and self.physical_passed


def asset_tests(facts: HouseholdFacts, n: int, policy: ResolvedPolicy, financial_months: int, name: str) -> AssetTests:
    """The asset test (all must hold): financial assets per capita, vehicles, dwellings,
    companies (POLICY-DEFAULTS 低保 "Assets"; §1.3)."""
    exempt_ok = True
    if facts.vehicles:
        exempt_ok = len(facts.vehicles) <= policy.exempt_vehicles_max and all(
            value < policy.vehicle_value_limit and purpose in ("work", "disabled_member")
            for value, purpose in facts.vehicles
        )
    area_limit = policy.second_dwelling_centi_m2_per_person * n
    dwellings_ok = facts.dwellings <= 1 or (facts.dwellings == 2 and facts.floor_area_centi_m2 <= area_limit)
    return AssetTests(
        financial_reason(facts, n, policy, financial_months, name),
        Reason(
            "assets.vehicles",
            exempt_ok,
            len(facts.vehicles),
            policy.exempt_vehicles_max,
            "count",
            "POLICY-DEFAULTS 低保 assets (one vehicle under the limit, for work or a disabled member)",
            policy.cites[("assets.vehicle_value_limit", "assets.exempt_vehicles_max")],
        ),
        Reason(
            "assets.dwellings",
            dwellings_ok,
            facts.floor_area_centi_m2 if facts.dwellings == 2 else facts.dwellings,
            area_limit if facts.dwellings == 2 else 1,
            "m2_centi" if facts.dwellings == 2 else "count",
            "POLICY-DEFAULTS 低保 assets (one dwelling, or two within the floor area per person)",
            policy.cites[("assets.second_dwelling_area_per_person",)],
        ),
        Reason(
            "assets.company",
            not facts.company_shareholding,
            int(facts.company_shareholding),
            0,
            "flag",
            "POLICY-DEFAULTS 低保 assets (no company shares or registration)",
        ),
    )
