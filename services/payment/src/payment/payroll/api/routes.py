"""Payroll endpoints: list runs, calculate, approve, the instructions of a run."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from payment.adapters.repository import PayrollRunRepository
from payment.domain.errors import PayrollRunNotFound, RunChanged
from payment.domain.model import PayrollRunStatus
from payment.payroll import service
from payment.payroll.adapters.repository import InstructionRepository
from payment.payroll.api.schemas import (
    Approval,
    InstructionPage,
    RunDetail,
    RunPage,
    instruction_read,
    run_detail,
)
from payment.payroll.domain.errors import BudgetExceeded, RunNotInStatus, SameOfficer
from payment.payroll.domain.model import InstructionStatus

router = APIRouter(prefix="/v1/payment", tags=["payroll"])

Writer = Annotated[Principal, requires("payment:payroll:write")]
Reader = Annotated[Principal, requires("payment:payroll:read")]


@router.get(
    "/payroll-runs",
    summary="Payroll runs in your area, newest month first",
    responses=refusals(*PROTECTED, RequestInvalid),
)
async def list_runs(
    caller: Reader,
    session: ReadSessionDep,
    run_status: Annotated[PayrollRunStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RunPage:
    prefix = RegionScope.for_principal(caller).region_prefix
    if prefix is None:
        return RunPage(items=[], total=0, limit=limit, offset=offset)
    runs, total = await PayrollRunRepository(session).page(
        area_prefix=prefix, status=None if run_status is None else run_status.value, limit=limit, offset=offset
    )
    return RunPage(items=[run_detail(r) for r in runs], total=total, limit=limit, offset=offset)


@router.get(
    "/payroll-runs/{payroll_run_id}/detail",
    summary="A run with its totals (by status, by fund, arrears)",
    responses=refusals(*PROTECTED, RegionNotAllowed, PayrollRunNotFound, RequestInvalid),
)
async def run_with_totals(payroll_run_id: UUID, caller: Reader, session: ReadSessionDep) -> RunDetail:
    run = await service.get_run(session, RegionScope.for_principal(caller), payroll_run_id)
    return run_detail(run, await InstructionRepository(session).totals(run.id))


@router.post(
    "/payroll-runs/{payroll_run_id}/calculate",
    summary="计算: every entitlement owed through the run's month becomes an instruction (arrears included)",
    responses=refusals(*PROTECTED, RegionNotAllowed, PayrollRunNotFound, RunNotInStatus, RunChanged, RequestInvalid),
)
async def calculate_run(payroll_run_id: UUID, caller: Writer, runtime: RuntimeDep, audit: AuditDep) -> RunDetail:
    """Resumable and repeatable until the run is approved: a second calculation adds only what
    is still owed (new approvals, lines whose hold is lifted) and never a line twice."""
    scope = RegionScope.for_principal(caller)
    totals = await service.calculate(
        runtime.database, scope, payroll_run_id, caller.subject, service.PayrollDeps(now=runtime.now)
    )
    async with runtime.database.transaction() as session:
        run = await service.get_run(session, scope, payroll_run_id)
        await audit.state_change(session, target_id=run.id, details={"action": "calculated", "count": totals.count})
    return run_detail(run, totals)


@router.post(
    "/payroll-runs/{payroll_run_id}/approve",
    summary="审核: another officer than who calculated, within budget (or with the reason it may exceed it)",
    responses=refusals(
        *PROTECTED,
        RegionNotAllowed,
        PayrollRunNotFound,
        RunNotInStatus,
        SameOfficer,
        BudgetExceeded,
        RunChanged,
        RequestInvalid,
    ),
)
async def approve_run(
    payroll_run_id: UUID, body: Approval, caller: Writer, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> RunDetail:
    run, totals = await service.approve(
        session, RegionScope.for_principal(caller), payroll_run_id, caller.subject, body.budget_override, runtime.now()
    )
    await audit.state_change(
        session, target_id=run.id, details={"action": "approved", "override": body.budget_override is not None}
    )
    return run_detail(run, totals)


@router.get(
    "/payroll-runs/{payroll_run_id}/instructions",
    summary="The instructions of a run (payees masked), filtered by status",
    responses=refusals(*PROTECTED, RegionNotAllowed, PayrollRunNotFound, RequestInvalid),
)
async def run_instructions(
    payroll_run_id: UUID,
    caller: Reader,
    session: ReadSessionDep,
    instruction_status: Annotated[InstructionStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> InstructionPage:
    run = await service.get_run(session, RegionScope.for_principal(caller), payroll_run_id)
    rows, total = await InstructionRepository(session).page(
        run.id, status=None if instruction_status is None else instruction_status.value, limit=limit, offset=offset
    )
    return InstructionPage(items=[instruction_read(r) for r in rows], total=total, limit=limit, offset=offset)
