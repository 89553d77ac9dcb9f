"""Payroll rules (pure): the run's steps, holds, four-eyes, the budget, bank results.

Decisions where the rules are silent:
- a programme with no budget recorded for the county and year is not limited (the report shows
  it unbudgeted); a recorded budget is enforced at approval: committed (approved runs of the
  year) plus this run may not exceed it without an override reason, which is kept on the run;
- an account changed less than `ACCOUNT_COOLING_DAYS` before the calculation is held until an
  officer other than who changed it confirms it (the next calculation then releases the line);
- a bank result for an instruction already paid or failed is ignored (the first result counts;
  a contradicting second one is reported, never applied)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from payment.domain.model import PayrollRun
from payment.domain.model import PayrollRunStatus as RunStatus
from payment.payroll.domain.errors import BudgetExceeded, RunNotInStatus, SameOfficer
from payment.payroll.domain.model import BankResult, HoldReason, InstructionStatus

ACCOUNT_COOLING_DAYS = 7


def _require(run: PayrollRun, *allowed: RunStatus) -> None:
    if run.status not in allowed:
        raise RunNotInStatus(run.status.value, " / ".join(s.value for s in allowed))


def start_calculation(run: PayrollRun, by: str) -> None:
    _require(run, RunStatus.DRAFT, RunStatus.CALCULATING, RunStatus.CALCULATED)
    run.status, run.calculated_by = RunStatus.CALCULATING, by


def finish_calculation(run: PayrollRun, at: datetime) -> None:
    _require(run, RunStatus.CALCULATING)
    run.status, run.calculated_at = RunStatus.CALCULATED, at


def approve(
    run: PayrollRun,
    by: str,
    at: datetime,
    *,
    budgets: Mapping[str, int],
    committed: Mapping[str, int],
    this_run: Mapping[str, int],
    override: str | None,
) -> None:
    """审核: by another officer than who calculated, within each programme's budget (budgets
    and committed by programme, fen) unless `override` says why."""
    _require(run, RunStatus.CALCULATED)
    if by == run.calculated_by:
        raise SameOfficer()
    for programme, fen in sorted(this_run.items()):
        budget = budgets.get(programme)
        needed = committed.get(programme, 0) + fen
        if budget is not None and needed > budget and not override:
            raise BudgetExceeded(programme, budget, needed)
    run.status, run.approved_by, run.approved_at, run.budget_override = RunStatus.APPROVED, by, at, override


def export(run: PayrollRun, at: datetime) -> None:
    _require(run, RunStatus.APPROVED, RunStatus.EXPORTED, RunStatus.SETTLED)
    if run.status is RunStatus.APPROVED:
        run.status, run.exported_at = RunStatus.EXPORTED, at


def settle_if_done(run: PayrollRun, still_exported: int, at: datetime) -> None:
    if run.status is RunStatus.EXPORTED and still_exported == 0:
        run.status, run.settled_at = RunStatus.SETTLED, at


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the hold rule needs of a payee's current account."""

    changed_at: datetime
    confirmed: bool


def hold_reason(*, deceased: bool, account: AccountState | None, at: datetime) -> HoldReason | None:
    """Why a line must not go to the bank now (None: it may)."""
    if deceased:
        return HoldReason.PAYEE_DECEASED
    if account is None:
        return HoldReason.NO_ACCOUNT
    if not account.confirmed and at - account.changed_at < timedelta(days=ACCOUNT_COOLING_DAYS):
        return HoldReason.ACCOUNT_RECENTLY_CHANGED
    return None


def status_in_run(stored: InstructionStatus, *, run_exported: bool) -> InstructionStatus:
    """A line's status: a line stored as pending in a run whose file is made has gone to the
    bank (exported); every other status is as stored."""
    if stored is InstructionStatus.PENDING and run_exported:
        return InstructionStatus.EXPORTED
    return stored


def after_result(status: InstructionStatus, result: BankResult) -> InstructionStatus | None:
    """The instruction's status after a bank result; None when the result changes nothing."""
    if status is not InstructionStatus.EXPORTED:
        return None
    return InstructionStatus.PAID if result.paid else InstructionStatus.FAILED
