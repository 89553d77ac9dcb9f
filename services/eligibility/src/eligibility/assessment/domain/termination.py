"""停发/终止 triggers for active cases (DOMAIN-RULES §2.9 for 低保, §3.5 for 特困), pure.

A trigger comes either from a fresh assessment (the household no longer passes a test) or from
a reported event (death, prison, fraud …). Each trigger names its rule; what follows (notice
with reasons, 公示 for 特困, effect from the next month) is procedure, not computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eligibility.assessment.domain.model import CATEGORY_DIBAO, CATEGORY_PHASE_OUT, Assessment


class CaseEvent(StrEnum):
    """Reported facts that can end (or reduce) a case."""

    DEATH_OF_SOLE_MEMBER = "death_of_sole_member"  # 单人户 member died
    DEATH = "death"  # 特困: death, 宣告死亡
    DECLARED_MISSING = "declared_missing"  # 宣告失踪
    LABOUR_CAPACITY_RECOVERED = "labour_capacity_recovered"
    IMPRISONED = "imprisoned"
    SUPPORTER_NOW_CAPABLE = "supporter_now_capable"  # a legal supporter gains capacity / appears
    VOLUNTARY_EXIT = "voluntary_exit"
    REFUSED_REVIEW = "refused_review"  # refuses to cooperate with a review
    FRAUD = "fraud"  # 骗取: stop, recover, fine 1–3 ×
    JOB_REFERRALS_REFUSED = "job_referrals_refused"  # 3 consecutive suitable referrals (one member)


@dataclass(frozen=True, slots=True)
class Trigger:
    code: str
    scope: str  # household | member
    rule: str


DIBAO_EVENT_RULES: dict[CaseEvent, tuple[str, str]] = {
    CaseEvent.DEATH_OF_SOLE_MEMBER: ("household", "DOMAIN-RULES §2.9 (death of a single-person household)"),
    CaseEvent.REFUSED_REVIEW: ("household", "DOMAIN-RULES §2.9 (refusal to cooperate with a review)"),
    CaseEvent.FRAUD: ("household", "DOMAIN-RULES §2.9 (fraud: stop, recover, fine 1–3 ×; S8 Art. 68)"),
    CaseEvent.JOB_REFERRALS_REFUSED: (
        "member",
        "DOMAIN-RULES §2.9 (3 refused job referrals: that member's share; S1 Art. 34)",
    ),
}

TEKUN_EVENT_RULES: dict[CaseEvent, str] = {
    CaseEvent.DEATH: "DOMAIN-RULES §3.5 (1) death or 宣告死亡",
    CaseEvent.DECLARED_MISSING: "DOMAIN-RULES §3.5 (1) 宣告失踪",
    CaseEvent.LABOUR_CAPACITY_RECOVERED: "DOMAIN-RULES §3.5 (2) acquires or recovers labour capacity",
    CaseEvent.IMPRISONED: "DOMAIN-RULES §3.5 (3) serving a prison sentence",
    CaseEvent.SUPPORTER_NOW_CAPABLE: "DOMAIN-RULES §3.5 (5) a capable legal supporter",
    CaseEvent.VOLUNTARY_EXIT: "DOMAIN-RULES §3.5 (6) voluntary exit",
}


def dibao_triggers(assessment: Assessment, events: frozenset[CaseEvent]) -> list[Trigger]:
    """Why an active 低保 case must stop (or one member's share be cut). A household in 渐退
    is not stopped for its income until the phase-out ends."""
    triggers = [Trigger(e.value, *DIBAO_EVENT_RULES[e]) for e in sorted(events) if e in DIBAO_EVENT_RULES]
    if assessment.category in (CATEGORY_DIBAO, CATEGORY_PHASE_OUT):
        return triggers
    failed = {r.code for r in assessment.reasons if not r.passed}
    if "dibao.income" in failed:
        triggers.append(Trigger("income_at_or_above_standard", "household", "DOMAIN-RULES §2.9 (after any 渐退期)"))
    if failed & {"assets.financial", "assets.vehicles", "assets.dwellings", "assets.company"}:
        triggers.append(Trigger("assets_exceed_limits", "household", "DOMAIN-RULES §2.9"))
    if not triggers:
        triggers.append(Trigger("no_longer_eligible", "household", "DOMAIN-RULES §2.9 (member-composition change)"))
    return triggers


def tekun_triggers(member_id: str, assessment: Assessment, events: frozenset[CaseEvent]) -> list[Trigger]:
    """Why a 特困 person's support must end (§3.5): a reported event, or the person no longer
    passing the 特困 tests (4) income or property."""
    triggers = [Trigger(e.value, "member", TEKUN_EVENT_RULES[e]) for e in sorted(events) if e in TEKUN_EVENT_RULES]
    if member_id not in {p.member_id for p in assessment.tekun_persons} and not triggers:
        triggers.append(Trigger("no_longer_meets_tekun_tests", "member", "DOMAIN-RULES §3.5 (4) income or property"))
    return triggers
