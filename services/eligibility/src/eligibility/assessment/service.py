"""Assessment use cases: what-ifs, nothing is stored. The route hands over the household as
domain facts (in integer fen, the domain's vocabulary) in an `AssessHousehold` command."""

from __future__ import annotations

from typing import Literal

from eligibility.assessment.domain.commands import AssessHousehold
from eligibility.assessment.domain.model import Assessment, HukouType
from eligibility.assessment.domain.rules import assess
from eligibility.assessment.domain.termination import Trigger, dibao_triggers, tekun_triggers
from eligibility.policy.domain.model import PolicyBook


def assess_household(cmd: AssessHousehold, book: PolicyBook) -> tuple[Assessment, list[Trigger]]:
    """Assess; for a household with an active case also say what would stop it (§2.9, §3.5)."""
    facts = cmd.facts
    hukou: Literal["urban", "rural"] = "urban" if facts.hukou == HukouType.URBAN else "rural"
    assessment = assess(facts, book.resolve(facts.region_code, hukou, facts.benefit_month))
    triggers: list[Trigger] = []
    if cmd.has_current_case:
        events = cmd.case_events
        triggers = dibao_triggers(assessment, events)
        for person in assessment.tekun_persons:
            triggers += tekun_triggers(person.member_id, assessment, events)
    return assessment, triggers
