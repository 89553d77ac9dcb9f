"""Payment instructions (pure) of a run (`payment.domain.model.PayrollRun`), their lives from
calculated to paid or failed at the bank.

Instruction: pending (calculated) → exported → paid | failed; or held (not exported, with a
reason: no account, the payee reported dead, an account changed too recently without a second
approval) → pending once the reason is gone (the next calculation of its run), or cancelled when
its run is exported without it (its hold reason kept; the next run owes the month again); or
cancelled (the case was terminated backdated before the money left).

Exported is the run's mark, not a write to each line: exporting a run records when its file was
made (`PayrollRun.exported_at`), and from then on every line of it stored as pending is exported
(`rules.status_in_run`; one row written for a county's million lines, where a line-by-line
update rewrote the table). Lines stored as exported (before this) mean the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from shared.events.payment import PaymentFailureReason


class InstructionStatus(StrEnum):
    PENDING = "pending"
    HELD = "held"
    EXPORTED = "exported"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


LIVE = frozenset(
    {InstructionStatus.PENDING, InstructionStatus.HELD, InstructionStatus.EXPORTED, InstructionStatus.PAID}
)
"""An instruction that pays (or will pay) its month: no second one may be made for it."""


class HoldReason(StrEnum):
    NO_ACCOUNT = "no_account"  # 未登记收款账户
    PAYEE_DECEASED = "payee_deceased"  # 领取人已报死亡
    ACCOUNT_RECENTLY_CHANGED = "account_recently_changed"  # 账户近期变更，待第二人确认


@dataclass(frozen=True, slots=True)
class RunTotals:
    """What a run holds, by status (counts and fen)."""

    count: int
    total_fen: int
    by_status: dict[str, tuple[int, int]]
    by_programme: dict[str, int]
    """Programme → fen of the instructions that pay (pending, exported, paid)."""
    arrears_fen: int


@dataclass(frozen=True, slots=True)
class BankResult:
    """One instruction's result from the bank's file."""

    instruction_id: UUID
    paid: bool
    failure_reason: PaymentFailureReason | None
    bank_reference: str
    settled_on: date
