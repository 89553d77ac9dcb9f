"""Response bodies of the risk scores (no personal data: the household id, codes, the score)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from monitoring.risk.domain.model import HouseholdRisk


class RiskRead(BaseModel):
    household_id: UUID
    region_code: str
    town_code: str | None
    score: int = Field(description="The highest score under a rule watching the household's categories")
    rule: str = Field(description="That rule")
    level: str
    reasons: list[str] = Field(description="The signal kinds the rule weighed (in its window)")
    reached: bool = Field(description="The score is at the rule's threshold: an alert is, or was, due")
    rules_version: str
    computed_on: date

    @classmethod
    def of(cls, r: HouseholdRisk) -> RiskRead:
        return cls(
            household_id=r.household_id,
            region_code=r.region_code,
            town_code=r.town_code,
            score=r.score,
            rule=r.rule,
            level=r.level.value,
            reasons=list(r.reasons),
            reached=r.reached,
            rules_version=r.rules_version,
            computed_on=r.computed_on,
        )


class RiskPage(BaseModel):
    items: list[RiskRead]
    total: int
    limit: int
    offset: int
