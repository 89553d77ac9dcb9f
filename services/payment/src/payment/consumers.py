"""Payment's event handlers: the ledger of what each case is owed, from eligibility's decisions,
and the deaths verification hears of.

- `eligibility.case_approved` → an entitlement from its effective month (a backdated month is
  paid as arrears by the next run);
- `eligibility.benefit_changed` → new amounts from their month (suspension: zero amounts);
- `eligibility.case_terminated` → the last entitled month; lines of later months not yet sent
  to the bank are cancelled, those already paid open a recovery (`payment.recovery_opened`);
- `eligibility.temporary_assistance_granted` → a one-off grant (by bank: the next run; cash at
  the town: recorded, nothing to send);
- `verification.department_notice_received` (death) → the person is held from every later run.

The platform's `EventConsumer` owns the transaction, the inbox row and the offset."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.definition import ConsumerDefinition
from jiuzhu_platform.runtime import Runtime
from payment.ledger.adapters.repository import LedgerRepository
from payment.ledger.domain import rules as ledger_rules
from payment.ledger.domain.model import Entitlement, Grant, Version
from payment.payroll.adapters.repository import InstructionRepository
from payment.payroll.domain.model import InstructionStatus
from payment.recoveries import service as recoveries
from shared.events import (
    BenefitChanged,
    CaseApproved,
    CaseTerminated,
    DepartmentNoticeReceived,
    Event,
    TemporaryAssistanceGranted,
)
from shared.events.eligibility import PayoutChannel
from shared.events.verification import DepartmentNoticeKind
from shared.topics import ELIGIBILITY_EVENTS, VERIFICATION_EVENTS
from shared.types import Period, to_fen

logger = logging.getLogger(__name__)


async def on_case_approved(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, CaseApproved)
    d = event.data
    ledger = LedgerRepository(session)
    if await ledger.get(d.case_id) is not None:
        return  # the case is already in the ledger (an approval is told once)
    await ledger.save(
        Entitlement(
            case_id=d.case_id,
            household_id=d.household_id,
            county_code=d.region_code,
            town_code=d.town_code,
            category=d.category,
            payee_ref=d.payee.ref,
            payee_masked=d.payee.masked_id,
            versions=[Version(d.effective_from, ledger_rules.amounts_fen(d.amounts))],
        ),
        now,
    )


async def on_benefit_changed(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, BenefitChanged)
    d = event.data
    ledger = LedgerRepository(session)
    entitlement = await ledger.get(d.case_id)
    if entitlement is None:
        logger.warning("benefit_changed for case %s, which payment does not know", d.case_id)
        return
    ledger_rules.with_version(entitlement, Version(d.effective_from, ledger_rules.amounts_fen(d.amounts)))
    await ledger.save(entitlement, now)
    await _settle_changed_months(session, entitlement, str(d.effective_from.prev()), "amount_reduced", event, now)


async def on_case_terminated(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, CaseTerminated)
    d = event.data
    ledger = LedgerRepository(session)
    entitlement = await ledger.get(d.case_id)
    if entitlement is None:
        logger.warning("case_terminated for case %s, which payment does not know", d.case_id)
        return
    entitlement.entitled_until = ledger_rules.entitled_until(d.terminated_on, d.overpaid_from)
    await ledger.save(entitlement, now)
    await _settle_changed_months(session, entitlement, str(entitlement.entitled_until), d.reason.value, event, now)


async def _settle_changed_months(
    session: AsyncSession, entitlement: Entitlement, after: str, reason: str, event: Event, now: datetime
) -> None:
    """After a change of what the months after `after` are owed: their lines not yet sent to
    the bank are cancelled (the next calculation owes them anew at the new amounts) and what was
    paid beyond what is owed now is recovered."""
    instructions = InstructionRepository(session)
    later = await instructions.of_case_after(entitlement.case_id, after)
    await instructions.cancel(
        [r["instruction_id"] for r in later if r["status"] in (InstructionStatus.PENDING, InstructionStatus.HELD)], now
    )
    await recoveries.recover_paid_after(
        session,
        entitlement,
        await instructions.paid_of_case(entitlement.case_id),
        termination_reason=reason,
        now=now,
        correlation_id=event.correlation_id,
    )


async def on_grant(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, TemporaryAssistanceGranted)
    d = event.data
    await LedgerRepository(session).add_grant(
        Grant(
            grant_id=d.grant_id,
            household_id=d.household_id,
            county_code=d.region_code,
            town_code=d.town_code,
            payee_ref=d.payee.ref,
            payee_masked=d.payee.masked_id,
            amount_fen=to_fen(d.amount),
            period=Period.from_date(d.granted_on),
            by_bank=d.payout is PayoutChannel.BANK,
        ),
        d.granted_on,
    )


async def on_notice(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, DepartmentNoticeReceived)
    if event.data.kind is DepartmentNoticeKind.DEATH:
        await LedgerRepository(session).mark_deceased(event.data.person.ref, event.data.occurred_on, now)


def build(runtime: Runtime) -> ConsumerDefinition:
    return ConsumerDefinition(
        name="ledger",
        topics=(ELIGIBILITY_EVENTS, VERIFICATION_EVENTS),
        handlers={
            CaseApproved.event_type: on_case_approved,
            BenefitChanged.event_type: on_benefit_changed,
            CaseTerminated.event_type: on_case_terminated,
            TemporaryAssistanceGranted.event_type: on_grant,
            DepartmentNoticeReceived.event_type: on_notice,
        },
    )
