"""特困 (DOMAIN-RULES §3.1): the per-person test and the care tier from self-care ability (§3.3) (pure)."""

from __future__ import annotations

from datetime import date

from eligibility.assessment.domain.model import (
    MemberFacts,
    Reason,
)
from eligibility.assessment.domain.unit import (
    disability_means_no_labour_capacity,
)
from eligibility.policy.domain.model import ParamRef, ResolvedPolicy
from shared.types import age_in_years


def care_tier(m: MemberFacts, policy: ResolvedPolicy) -> tuple[str, int, ParamRef]:
    failed = m.self_care_failed
    if failed >= policy.tekun_full_from_failed:
        return "full", policy.tekun_care_full, policy.ref("tekun.care.full")
    if failed >= policy.tekun_partial_from_failed:
        return "partial", policy.tekun_care_partial, policy.ref("tekun.care.partial")
    return "self", policy.tekun_care_self, policy.ref("tekun.care.self")


def tekun_test(
    m: MemberFacts, own_income_x1000: int, assets_ok: bool, policy: ResolvedPolicy, day: date, out: list[Reason]
) -> bool:
    """特困 (§3.1): no labour capacity, no source of living, no able supporter — all three.
    A person with an able supporter is not 特困 and gets no 特困 reasons listed."""
    if m.has_able_supporter:
        return False
    age = age_in_years(m.birth_date, day)
    # minors are covered to 18; an existing recipient keeps it past 18 while in 义务教育, 普通高中 or
    # 中职 (DOMAIN-RULES §3.1, S5 item 5)
    in_school_past_18 = m.current_tekun and m.in_secondary_school and age >= policy.tekun_minor_extended_age
    by_age = age >= policy.tekun_elderly_age or age < policy.tekun_minor_extended_age or in_school_past_18
    incapable = by_age or disability_means_no_labour_capacity(m)
    income_limit = policy.standard * policy.lookback_months * 1000
    no_living = own_income_x1000 < income_limit and assets_ok
    out.append(
        Reason(
            "tekun.no_labour_capacity",
            incapable,
            age,
            policy.tekun_elderly_age,
            "years",
            "DOMAIN-RULES §3.1 (age ≥ 60, under 18 — or past 18 for a recipient still in 义务教育/高中/中职 — "
            "or the listed disability grades)",
            policy.cites[("tekun.elderly_age", "tekun.minor_extended_age")],
            m.member_id,
        )
    )
    out.append(
        Reason(
            "tekun.no_source_of_living",
            no_living,
            own_income_x1000 // (policy.lookback_months * 1000),
            policy.standard,
            "fen",
            "DOMAIN-RULES §3.1 (own income below the dibao standard, 低保 asset test)",
            policy.cites[("dibao_standard", "income.lookback_months")],
            m.member_id,
        )
    )
    out.append(
        Reason(
            "tekun.no_able_supporter",
            True,
            0,
            0,
            "flag",
            "DOMAIN-RULES §3.1 (无法定义务人 or 义务人无履行能力, Art. 8)",
            (),
            m.member_id,
        )
    )
    return incapable and no_living
