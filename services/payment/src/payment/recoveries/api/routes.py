"""Recovery endpoints (追缴): list and read, record repayments, agree a schedule, write off the
rest (an authorised officer), decide the fraud fine (1–3×, apart from what is owed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Limit, Offset
from payment.domain.errors import RunChanged
from payment.recoveries import service
from payment.recoveries.adapters.repository import RecoveryRepository
from payment.recoveries.domain import rules
from payment.recoveries.domain.errors import (
    AmountAboveOutstanding,
    FineAlreadyDecided,
    FineNotForThisReason,
    RecoveryClosed,
    RecoveryNotFound,
)
from payment.recoveries.domain.model import Recovery, RecoveryStatus
from shared.types import NonEmptyStr, NonNegativeMoney, Period, from_fen, to_fen

router = APIRouter(prefix="/v1/payment", tags=["recoveries"])

Reader = Annotated[Principal, requires("payment:payroll:read")]
Writer = Annotated[Principal, requires("payment:recoveries:write")]
Decider = Annotated[Principal, requires("payment:recoveries:decide")]


class RecoveryRead(BaseModel):
    recovery_id: UUID
    case_id: UUID
    household_id: UUID
    county_code: str
    payee_masked: str
    termination_reason: str
    months: list[str]
    amount: Decimal = Field(description="Paid after the last entitled month (元)")
    repaid: Decimal
    written_off: Decimal
    outstanding: Decimal
    fine: Decimal = Field(description="罚款, apart from the amount owed (元)")
    fine_multiple: int | None
    schedule_monthly: Decimal | None
    schedule_first_month: str | None
    status: RecoveryStatus
    opened_on: date


def recovery_read(r: Recovery) -> RecoveryRead:
    return RecoveryRead(
        recovery_id=r.recovery_id,
        case_id=r.case_id,
        household_id=r.household_id,
        county_code=r.county_code,
        payee_masked=r.payee_masked,
        termination_reason=r.termination_reason,
        months=[str(m) for m in r.months],
        amount=from_fen(r.amount_fen),
        repaid=from_fen(r.repaid_fen),
        written_off=from_fen(r.written_off_fen),
        outstanding=from_fen(r.outstanding_fen),
        fine=from_fen(r.fine_fen),
        fine_multiple=r.fine_multiple,
        schedule_monthly=None if r.schedule_monthly_fen is None else from_fen(r.schedule_monthly_fen),
        schedule_first_month=None if r.schedule_first_month is None else str(r.schedule_first_month),
        status=r.status,
        opened_on=r.opened_on,
    )


class RecoveryPage(BaseModel):
    items: list[RecoveryRead]
    total: int
    limit: int
    offset: int


class Repayment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount": "300.00", "note": "现金退回"}]}
    )
    amount: NonNegativeMoney = Field(gt=0)
    note: NonEmptyStr = Field(default="退回", max_length=200)


class Schedule(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"monthly": "100.00", "first_month": "2027-01"}]}
    )
    monthly: NonNegativeMoney = Field(gt=0)
    first_month: Period


class WriteOff(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "当事人死亡且无遗产，经县局批准核销"}]}
    )
    reason: NonEmptyStr = Field(max_length=200)


class Fine(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"multiple": 2, "reason": "虚报收入骗取低保金"}]}
    )
    multiple: int = Field(ge=1, le=3, description="1–3 times the amount obtained by fraud")
    reason: NonEmptyStr = Field(max_length=200)


REFUSALS = (*PROTECTED, RegionNotAllowed, RecoveryNotFound, RecoveryClosed, RunChanged, RequestInvalid)


@router.get("/recoveries", summary="Recoveries in your area", responses=refusals(*PROTECTED, RequestInvalid))
async def list_recoveries(
    caller: Reader,
    session: ReadSessionDep,
    recovery_status: Annotated[RecoveryStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> RecoveryPage:
    prefix = RegionScope.for_principal(caller).region_prefix
    if prefix is None:
        return RecoveryPage(items=[], total=0, limit=limit, offset=offset)
    items, total = await RecoveryRepository(session).page(
        area_prefix=prefix,
        status=None if recovery_status is None else recovery_status.value,
        limit=limit,
        offset=offset,
    )
    return RecoveryPage(items=[recovery_read(r) for r in items], total=total, limit=limit, offset=offset)


@router.get("/recoveries/{recovery_id}", summary="A recovery", responses=refusals(*REFUSALS))
async def get_recovery(recovery_id: UUID, caller: Reader, session: ReadSessionDep) -> RecoveryRead:
    return recovery_read(await service.get(session, RegionScope.for_principal(caller), recovery_id))


@router.post(
    "/recoveries/{recovery_id}/repayments",
    summary="A repayment received (退回)",
    responses=refusals(*REFUSALS, AmountAboveOutstanding),
)
async def repay(
    recovery_id: UUID, body: Repayment, caller: Writer, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> RecoveryRead:
    fen = to_fen(body.amount)
    recovery = await service.change(
        session,
        RegionScope.for_principal(caller),
        recovery_id,
        lambda r: rules.repay(r, fen),
        by=caller.subject,
        note=body.note,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=recovery_id, details={"action": "repayment", "fen": fen})
    return recovery_read(recovery)


@router.post(
    "/recoveries/{recovery_id}/schedule",
    summary="分期: agree monthly instalments",
    responses=refusals(*REFUSALS, AmountAboveOutstanding),
)
async def schedule(
    recovery_id: UUID, body: Schedule, caller: Writer, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> RecoveryRead:
    fen = to_fen(body.monthly)
    recovery = await service.change(
        session,
        RegionScope.for_principal(caller),
        recovery_id,
        lambda r: rules.schedule(r, fen, body.first_month),
        by=caller.subject,
        note=f"schedule from {body.first_month}",
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=recovery_id, details={"action": "schedule"})
    return recovery_read(recovery)


@router.post(
    "/recoveries/{recovery_id}/write-off",
    summary="核销: stop pursuing the rest (an authorised officer, with the reason)",
    responses=refusals(*REFUSALS),
)
async def write_off(
    recovery_id: UUID, body: WriteOff, caller: Decider, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> RecoveryRead:
    recovery = await service.change(
        session,
        RegionScope.for_principal(caller),
        recovery_id,
        rules.write_off,
        by=caller.subject,
        note=body.reason,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=recovery_id, details={"action": "write_off"})
    return recovery_read(recovery)


@router.post(
    "/recoveries/{recovery_id}/fine",
    summary="罚款: 1–3 times the amount obtained by fraud, kept apart from what is owed",
    responses=refusals(*REFUSALS, FineNotForThisReason, FineAlreadyDecided),
)
async def fine(
    recovery_id: UUID, body: Fine, caller: Decider, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> RecoveryRead:
    recovery = await service.change(
        session,
        RegionScope.for_principal(caller),
        recovery_id,
        lambda r: rules.fine(r, body.multiple),
        by=caller.subject,
        note=body.reason,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=recovery_id, details={"action": "fine", "multiple": body.multiple})
    return recovery_read(recovery)
