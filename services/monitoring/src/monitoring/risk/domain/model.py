"""A household's risk score (风险评分), recomputed for the whole register (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from shared.events.monitoring import RiskLevel


@dataclass(frozen=True, slots=True)
class HouseholdInputs:
    """What a household's score is computed from: its active categories, where it is, and the
    latest day of each kind of signal its people gave in the rules' window."""

    household_id: UUID
    region_code: str
    town_code: str | None
    categories: frozenset[str]
    latest: dict[str, date]


@dataclass(frozen=True, slots=True)
class HouseholdRisk:
    """The household's highest score under a rule watching one of its categories; `reached`:
    the score is at the rule's threshold (an alert is, or was, due)."""

    household_id: UUID
    region_code: str
    town_code: str | None
    score: int
    rule: str
    level: RiskLevel
    reasons: tuple[str, ...]
    reached: bool
    rules_version: str
    computed_on: date
