"""What a caller asks of the assessment: one small command per use case, built by the route."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility.assessment.domain.model import HouseholdFacts
from eligibility.assessment.domain.termination import CaseEvent


@dataclass(frozen=True, slots=True)
class AssessHousehold:
    """A what-if assessment of one household (nothing is stored). `case_events` are the facts
    reported on the household's active 低保 case, if it has one (`has_current_case`)."""

    facts: HouseholdFacts
    has_current_case: bool = False
    case_events: frozenset[CaseEvent] = frozenset()
