"""Response body of a household's chain (codes, dates and amounts: no personal data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field

from monitoring.chain.domain.model import ChainRecord
from shared.types import from_fen


class StepRead(BaseModel):
    step: str = Field(
        description="applied, case_approved, case_terminated, temporary_granted, paid, alert_raised, alert_disposed"
    )
    occurred_on: date
    category: str | None = Field(description="The case category, the temporary grant's kind, or the alert's rule")
    amount: Decimal | None = Field(description="Yuan: the monthly total approved, the grant, or the payment")
    detail: str | None = Field(description="A code: the reason, the disposition, the month paid")
    region_code: str
    town_code: str | None

    @classmethod
    def of(cls, r: ChainRecord) -> StepRead:
        return cls(
            step=r.step.value,
            occurred_on=r.occurred_on,
            category=r.category,
            amount=None if r.amount_fen is None else from_fen(r.amount_fen),
            detail=r.detail,
            region_code=r.region_code,
            town_code=r.town_code,
        )


class ChainRead(BaseModel):
    household_id: UUID
    categories: list[str] = Field(
        description="The register categories now: the active cases' (dibao, tekun, marginal, rigid_expenditure, "
        "dibao_phase_out) and `temporary` when granted 临时救助 in the last 12 months"
    )
    steps: list[StepRead] = Field(description="一户一条救助链, oldest first")
