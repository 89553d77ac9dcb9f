"""Ledger rules (pure): entitlements from eligibility's decisions, and what a run owes.

Decisions where the rules are silent:
- a termination ends the entitlement with the month before `overpaid_from` when eligibility
  names one (the backdated case), otherwise with the month of `terminated_on` (DOMAIN-RULES
  §2.9: a death stops payment from the next month);
- an amount change replaces the amounts from its effective month on, later versions included
  (eligibility's newest decision counts); earlier versions keep their months;
- arrears (补发) are not a separate object: a run owes every entitled month up to its own that
  has not been paid or is not on its way, so a backdated approval is paid in the next run;
- a month that failed at the bank is owed again (a retry is a new instruction, attempt + 1);
- a backdated change is settled month by month: owed more than was paid, the difference is
  paid with the next run (补发); paid more than is owed, the difference is recovered (追缴),
  like the months paid after a backdated termination."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from payment.ledger.domain.model import GRANT_COMPONENT, Entitlement, Grant, Programme, Version, programme_of
from shared.events.eligibility import BenefitAmounts
from shared.types import Period, to_fen

INSTRUCTION_NAMESPACE = uuid.UUID("6f1c3e9a-5b7d-4c2e-9f0a-1d2e3f4a5b6c")


def amounts_fen(amounts: BenefitAmounts) -> dict[str, int]:
    """Component → fen per month, the members' lines summed."""
    total: dict[str, int] = {}
    for line in amounts.lines:
        total[line.component.value] = total.get(line.component.value, 0) + to_fen(line.monthly)
    return total


def with_version(entitlement: Entitlement, version: Version) -> None:
    """New amounts from `version.effective_from` on: they replace every version from that month
    (a later change decided earlier is superseded: eligibility's newest decision counts)."""
    entitlement.versions = [v for v in entitlement.versions if v.effective_from < version.effective_from] + [version]


def entitled_until(terminated_on: date, overpaid_from: Period | None) -> Period:
    return overpaid_from.prev() if overpaid_from is not None else Period.from_date(terminated_on)


def instruction_id(key: str, period: Period, component: str, attempt: int) -> uuid.UUID:
    """The same line of the same month and attempt has the same id in every calculation, so a
    calculation run twice (or resumed after a crash) inserts nothing twice. A name-based UUID
    of version 3 (MD5) rather than 5 (SHA-1): PostgreSQL computes the same id with its
    built-in `md5()` (the set-based calculation, `InstructionRepository.calculate_range`), no extension
    needed; the id is a key, not a secret."""
    return uuid.uuid3(INSTRUCTION_NAMESPACE, f"{key}|{period}|{component}|{attempt}")


@dataclass(frozen=True, slots=True)
class Due:
    """A line a run owes: one month of one component of a case (or a grant)."""

    instruction_id: uuid.UUID
    case_id: uuid.UUID | None
    grant_id: uuid.UUID | None
    household_id: uuid.UUID
    payee_ref: str
    payee_masked: str
    period: Period
    component: str
    amount_fen: int
    programme: Programme
    attempt: int
    arrears: bool


def due_for_case(
    entitlement: Entitlement,
    run_period: Period,
    live: Mapping[tuple[str, str], int],
    attempts: Mapping[tuple[str, str], int],
) -> list[Due]:
    """What `entitlement` is owed through `run_period` beyond what is paid or on its way:
    `live` is the fen of the (period, component) lines paid or pending; `attempts` how many
    lines each (period, component) already has (the next one's number). A month owed more than
    it got (a backdated increase, a line that failed) is owed the difference."""
    lines = []
    for month in entitlement.months(run_period):
        for component, fen in sorted(entitlement.owed(month).items()):
            key = (str(month), component)
            missing = fen - live.get(key, 0)
            if missing <= 0:
                continue
            attempt = attempts.get(key, 0)
            lines.append(
                Due(
                    instruction_id=instruction_id(str(entitlement.case_id), month, component, attempt),
                    case_id=entitlement.case_id,
                    grant_id=None,
                    household_id=entitlement.household_id,
                    payee_ref=entitlement.payee_ref,
                    payee_masked=entitlement.payee_masked,
                    period=month,
                    component=component,
                    amount_fen=missing,
                    programme=programme_of(entitlement.category, component),
                    attempt=attempt,
                    arrears=month < run_period,
                )
            )
    return lines


def due_for_grant(grant: Grant, attempt: int) -> Due:
    return Due(
        instruction_id=instruction_id(str(grant.grant_id), grant.period, GRANT_COMPONENT, attempt),
        case_id=None,
        grant_id=grant.grant_id,
        household_id=grant.household_id,
        payee_ref=grant.payee_ref,
        payee_masked=grant.payee_masked,
        period=grant.period,
        component=GRANT_COMPONENT,
        amount_fen=grant.amount_fen,
        programme=Programme.TEMPORARY,
        attempt=attempt,
        arrears=False,
    )


def overpayments(entitlement: Entitlement, paid: Iterable[tuple[Period, str, int]]) -> tuple[list[Period], int]:
    """追缴: the months paid more than they are owed now (after the last entitled month, or
    above a backdated reduction), and by how much in all (fen)."""
    by_key: dict[tuple[Period, str], int] = {}
    for period, component, fen in paid:
        by_key[(period, component)] = by_key.get((period, component), 0) + fen
    months: set[Period] = set()
    total = 0
    for (period, component), fen in by_key.items():
        over = fen - entitlement.owed(period).get(component, 0)
        if over > 0:
            months.add(period)
            total += over
    return sorted(months), total
