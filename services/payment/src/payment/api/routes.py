"""Payment HTTP endpoints."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from payment import service as payment_service
from payment.api.schemas import PayrollRunCreate, PayrollRunRead
from payment.domain.commands import OpenPayrollRun
from payment.domain.errors import PayrollPeriodTooFarAhead, PayrollRunExists, PayrollRunNotFound

router = APIRouter(prefix="/v1/payment", tags=["payment"])

PayrollWriter = Annotated[Principal, requires("payment:payroll:write")]
PayrollReader = Annotated[Principal, requires("payment:payroll:read")]


@router.post(
    "/payroll-runs",
    status_code=status.HTTP_201_CREATED,
    summary="Open a monthly payroll run (月度发放批次) for a county",
    responses=refusals(*PROTECTED, RegionNotAllowed, PayrollPeriodTooFarAhead, PayrollRunExists, RequestInvalid),
)
async def create_payroll_run(
    body: PayrollRunCreate,
    caller: PayrollWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> PayrollRunRead:
    command = OpenPayrollRun(period=body.period, county_code=body.county_code, correlation_id=correlation_id)
    run = await payment_service.open_payroll_run(session, RegionScope.for_principal(caller), command, now=runtime.now)
    await audit.state_change(session, target_id=run.id)
    return PayrollRunRead.model_validate(run, from_attributes=True)


@router.get(
    "/payroll-runs/{payroll_run_id}",
    summary="Read a payroll run",
    responses=refusals(*PROTECTED, RegionNotAllowed, PayrollRunNotFound, RequestInvalid),
)
async def get_payroll_run(payroll_run_id: UUID, caller: PayrollReader, session: ReadSessionDep) -> PayrollRunRead:
    run = await payment_service.get_payroll_run(session, RegionScope.for_principal(caller), payroll_run_id)
    return PayrollRunRead.model_validate(run, from_attributes=True)
