"""Recovery use cases: open or grow a recovery when money turns out paid after a case's last
entitled month (a backdated termination, or a bank result arriving after it), and record
repayments, a schedule, a write-off and the fraud fine. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.outbox import add_event
from payment.adapters.orm import outbox
from payment.ledger.domain import rules as ledger_rules
from payment.ledger.domain.model import Entitlement
from payment.recoveries.adapters.repository import RecoveryRepository
from payment.recoveries.domain import rules
from payment.recoveries.domain.errors import RecoveryNotFound
from payment.recoveries.domain.model import Recovery
from shared.events import RecoveryOpened, RecoveryOpenedData
from shared.types import Period, PersonRef, business_date, from_fen


async def recover_paid_after(
    session: AsyncSession,
    entitlement: Entitlement,
    paid_rows: list[dict[str, Any]],
    *,
    termination_reason: str,
    now: datetime,
    correlation_id: str,
) -> Recovery | None:
    """Money paid (`paid_rows`: every paid instruction of the case) beyond what the case is owed
    now (after its last entitled month, or above a backdated reduction) is owed back: a
    recovery opens (or grows to the new total) and `payment.recovery_opened` says so."""
    months, amount = ledger_rules.overpayments(
        entitlement, [(Period.parse(r["period"]), r["component"], int(r["amount_fen"])) for r in paid_rows]
    )
    repository = RecoveryRepository(session)
    existing = await repository.of_case(entitlement.case_id)
    if existing is not None:
        if amount <= existing.amount_fen:
            return existing  # nothing more overpaid than already recovered
        rules.add_months(existing, [m for m in months if m not in existing.months], amount - existing.amount_fen)
        await repository.save(existing, by="system", on=business_date(now), note="more found overpaid", now=now)
        recovery = existing
    elif not months:
        return None
    else:
        recovery = Recovery(
            recovery_id=uuid.uuid4(),
            case_id=entitlement.case_id,
            household_id=entitlement.household_id,
            county_code=entitlement.county_code,
            payee_ref=entitlement.payee_ref,
            payee_masked=entitlement.payee_masked,
            termination_reason=termination_reason,
            months=months,
            amount_fen=amount,
            opened_on=business_date(now),
        )
        await repository.add(recovery)
    await add_event(
        session,
        outbox,
        RecoveryOpened.create(
            RecoveryOpenedData(
                recovery_id=recovery.recovery_id,
                case_id=recovery.case_id,
                household_id=recovery.household_id,
                payee=PersonRef(ref=recovery.payee_ref, masked_id=recovery.payee_masked),
                months=tuple(recovery.months),
                amount_owed=from_fen(recovery.outstanding_fen),
                opened_on=recovery.opened_on,
            ),
            subject=str(recovery.household_id),
            correlation_id=correlation_id,
            now=now,
        ),
        now=now,
    )
    return recovery


async def get(session: AsyncSession, scope: RegionScope, recovery_id: UUID, *, for_update: bool = False) -> Recovery:
    found = await RecoveryRepository(session).get(recovery_id, for_update=for_update)
    if found is None:
        raise RecoveryNotFound(recovery_id)
    scope.require(region_code=found.county_code)
    return found


async def change(
    session: AsyncSession,
    scope: RegionScope,
    recovery_id: UUID,
    decide: Callable[[Recovery], object],
    *,
    by: str,
    note: str,
    now: datetime,
) -> Recovery:
    recovery = await get(session, scope, recovery_id, for_update=True)
    decide(recovery)
    await RecoveryRepository(session).save(recovery, by=by, on=business_date(now), note=note, now=now)
    return recovery
