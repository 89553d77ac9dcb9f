"""Payment HTTP endpoints."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from payment import service as payment_service
from payment.api.deps import CorrelationIdDep, RuntimeDep, SessionDep
from payment.api.schemas import PayrollRunCreate, PayrollRunRead
from shared.errors import ErrorBody

router = APIRouter(prefix="/v1/payment", tags=["payment"])


@router.post(
    "/payroll-runs",
    status_code=status.HTTP_201_CREATED,
    summary="Open a monthly payroll run (月度发放批次) for a county",
    responses={400: {"model": ErrorBody}, 409: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def create_payroll_run(
    body: PayrollRunCreate, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> PayrollRunRead:
    run = await payment_service.open_payroll_run(
        session, period=body.period, county_code=body.county_code, correlation_id=correlation_id, now=runtime.now
    )
    return PayrollRunRead.model_validate(run, from_attributes=True)


@router.get("/payroll-runs/{payroll_run_id}", summary="Read a payroll run", responses={404: {"model": ErrorBody}})
async def get_payroll_run(payroll_run_id: UUID, session: SessionDep) -> PayrollRunRead:
    run = await payment_service.get_payroll_run(session, payroll_run_id)
    return PayrollRunRead.model_validate(run, from_attributes=True)
