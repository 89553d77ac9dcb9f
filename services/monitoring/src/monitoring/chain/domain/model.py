"""The chain of assistance (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


class Step(StrEnum):
    APPLIED = "applied"  # 申请
    CASE_APPROVED = "case_approved"  # 纳入保障
    CASE_TERMINATED = "case_terminated"  # 退出
    TEMPORARY_GRANTED = "temporary_granted"  # 临时救助
    PAID = "paid"  # 资金发放到账
    ALERT_RAISED = "alert_raised"  # 预警
    ALERT_DISPOSED = "alert_disposed"  # 预警处置


TEMPORARY = "temporary"
"""The register category of a household granted 临时救助 in the last 12 months."""
TEMPORARY_MONTHS = 12


@dataclass(frozen=True, slots=True)
class ChainRecord:
    """One step of a household's assistance: what, when, of which category or rule, how much.
    No personal data: codes, dates and amounts only."""

    record_id: UUID
    household_id: UUID
    step: Step
    occurred_on: date
    region_code: str
    town_code: str | None = None
    category: str | None = None
    """The case category, the temporary grant's kind, or the alert's rule."""
    amount_fen: int | None = None
    detail: str | None = None
    """A code: the termination reason, the disposition, the month paid."""
