"""Recovery rules (pure)."""

from __future__ import annotations

from payment.recoveries.domain.errors import (
    AmountAboveOutstanding,
    FineAlreadyDecided,
    FineNotForThisReason,
    RecoveryClosed,
)
from payment.recoveries.domain.model import Recovery, RecoveryStatus
from shared.events.eligibility import TerminationReason
from shared.types import Period

FINE_MULTIPLES = (1, 2, 3)


def _open(recovery: Recovery) -> None:
    if recovery.status is not RecoveryStatus.OPEN:
        raise RecoveryClosed()


def _settle_if_done(recovery: Recovery) -> None:
    if recovery.outstanding_fen == 0:
        recovery.status = RecoveryStatus.SETTLED


def add_months(recovery: Recovery, months: list[Period], amount_fen: int) -> None:
    """More months found paid in error (a late bank result): the recovery grows."""
    recovery.months = sorted(set(recovery.months) | set(months))
    recovery.amount_fen += amount_fen
    recovery.status = RecoveryStatus.OPEN if recovery.outstanding_fen else recovery.status


def repay(recovery: Recovery, amount_fen: int) -> None:
    _open(recovery)
    if amount_fen > recovery.outstanding_fen:
        raise AmountAboveOutstanding(recovery.outstanding_fen)
    recovery.repaid_fen += amount_fen
    recovery.entries.append(("repayment", amount_fen))
    _settle_if_done(recovery)


def write_off(recovery: Recovery) -> int:
    """核销: the rest is no longer pursued (by an authorised officer); returns the fen written off."""
    _open(recovery)
    rest = recovery.outstanding_fen
    recovery.written_off_fen += rest
    recovery.entries.append(("write_off", rest))
    _settle_if_done(recovery)
    return rest


def schedule(recovery: Recovery, monthly_fen: int, first_month: Period) -> int:
    """分期: instalments of `monthly_fen` from `first_month`; returns the number of instalments."""
    _open(recovery)
    if monthly_fen > recovery.outstanding_fen:
        raise AmountAboveOutstanding(recovery.outstanding_fen)
    recovery.schedule_monthly_fen, recovery.schedule_first_month = monthly_fen, first_month
    return -(-recovery.outstanding_fen // monthly_fen)


def fine(recovery: Recovery, multiple: int) -> None:
    """罚款 1–3 倍 of the amount obtained by fraud, apart from the amount owed."""
    if recovery.termination_reason != TerminationReason.FRAUD:
        raise FineNotForThisReason()
    if recovery.fine_multiple is not None:
        raise FineAlreadyDecided()
    recovery.fine_multiple, recovery.fine_fen = multiple, multiple * recovery.amount_fen
    recovery.entries.append(("fine", recovery.fine_fen))
