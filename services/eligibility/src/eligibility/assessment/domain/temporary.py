"""临时救助 (DOMAIN-RULES §4): 急难型 up to the first-aid ceiling, 支出型 within the limits (pure)."""

from __future__ import annotations

from eligibility.assessment.domain.assets import AssetTests, financial_reason
from eligibility.assessment.domain.model import (
    Assessment,
    HouseholdFacts,
    Reason,
    TemporaryResult,
)
from eligibility.policy.domain.model import ResolvedPolicy


def temporary_assistance(
    facts: HouseholdFacts, n: int, n_all: int, assets: AssetTests, result: Assessment, policy: ResolvedPolicy
) -> TemporaryResult:
    request = facts.temporary
    assert request is not None
    reasons: list[Reason] = []
    if request.kind == "emergency":
        ceiling = policy.temporary_emergency_multiple * policy.six_district_standard
        granted = min(request.requested, ceiling)
        reasons.append(
            Reason(
                "temporary.emergency_ceiling",
                request.requested <= ceiling,
                request.requested,
                ceiling,
                "fen",
                "POLICY-DEFAULTS 临时救助 急难型 (先行救助 up to 3 × the six-district standard); DOMAIN-RULES §4.2",
                policy.cites[("temporary.emergency_multiple", "dibao_standard.six_districts.urban")],
            )
        )
        return TemporaryResult("emergency", granted, "town", request.requested > ceiling, tuple(reasons))
    within_limit = request.prior_grants_same_cause_12m < policy.temporary_max_grants
    reasons.append(
        Reason(
            "temporary.repeat_limit",
            within_limit,
            request.prior_grants_same_cause_12m,
            policy.temporary_max_grants,
            "count",
            "POLICY-DEFAULTS 临时救助 (at most twice in 12 months for the same cause)",
            policy.cites[("temporary.max_grants_same_cause_12m",)],
        )
    )
    year_limit_x = policy.disposable_income_year * n * result.income_scale
    income_ok = result.household_income_x * 12 < year_limit_x if result.members_counted else True
    reasons.append(
        Reason(
            "temporary.income",
            income_ok,
            result.household_income_x * 12 // max(result.income_scale, 1),
            policy.disposable_income_year * n,
            "fen",
            "POLICY-DEFAULTS 临时救助 支出型 (annualised per-capita income below the prior-year disposable income)",
            policy.cites[("rigid.disposable_income",)],
        )
    )
    financial = financial_reason(
        facts, n_all, policy, policy.marginal_financial_limit_months, "marginal.financial_limit_months"
    )
    reasons.append(financial)
    assets_ok = financial.passed and assets.physical_passed
    reasons.extend(r for r in assets.physical if not r.passed)
    cap = policy.temporary_cap_multiple * policy.standard * n
    town_limit = policy.temporary_town_multiple * policy.standard * n
    if not (within_limit and income_ok and assets_ok):
        return TemporaryResult("expenditure", 0, "refused", False, tuple(reasons))
    granted = min(request.requested, cap)
    reasons.append(
        Reason(
            "temporary.cap",
            request.requested <= cap,
            request.requested,
            cap,
            "fen",
            "POLICY-DEFAULTS 临时救助 支出型 (cap 6 × standard × members; above it 一事一议)",
            policy.cites[("temporary.expenditure_cap_multiple", "dibao_standard")],
        )
    )
    level = "town" if granted <= town_limit else "county"
    return TemporaryResult("expenditure", granted, level, request.requested > cap, tuple(reasons))
