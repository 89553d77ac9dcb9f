"""A recovery (追缴, pure): months paid after a case's last entitled month, owed back; paid back
in instalments (a schedule) or written off by an authorised officer; for fraud (虚报冒领) a fine
of 1–3 times the amount (DOMAIN-RULES, the fraud rules) kept apart from what is owed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from shared.types import Period


class RecoveryStatus(StrEnum):
    OPEN = "open"  # 待追缴
    SETTLED = "settled"  # 已追回 (repaid, or the rest written off)


@dataclass(slots=True)
class Recovery:
    recovery_id: UUID
    case_id: UUID
    household_id: UUID
    county_code: str
    payee_ref: str
    payee_masked: str
    termination_reason: str
    months: list[Period]
    amount_fen: int
    opened_on: date
    repaid_fen: int = 0
    written_off_fen: int = 0
    fine_fen: int = 0
    fine_multiple: int | None = None
    fine_paid_fen: int = 0
    schedule_monthly_fen: int | None = None
    schedule_first_month: Period | None = None
    status: RecoveryStatus = RecoveryStatus.OPEN
    version: int = 1
    entries: list[tuple[str, int]] = field(default_factory=list)
    """New entries (kind, fen) to store with this change."""

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.repaid_fen - self.written_off_fen
