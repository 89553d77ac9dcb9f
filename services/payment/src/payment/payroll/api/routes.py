"""Payroll endpoints: list runs, calculate, approve, the instructions of a run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import Conflict, RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Limit, Offset, limit_query
from payment.adapters.repository import PayrollRunRepository
from payment.bankfiles.domain.errors import ResultFileInvalid
from payment.bankfiles.domain.model import ResultFormat
from payment.domain.errors import PayrollRunNotFound, RunChanged
from payment.domain.model import PayrollRunStatus
from payment.payroll import service
from payment.payroll.adapters.repository import InstructionRepository
from payment.payroll.api.schemas import (
    EXAMPLE_RESULT_CSV,
    EXAMPLE_RESULT_PAIN002,
    Approval,
    InstructionPage,
    RunDetail,
    RunPage,
    instruction_read,
    run_detail,
)
from payment.payroll.bankfile import BatchFormat, FileProcesses, import_results, message_id, write_batch
from payment.payroll.domain.errors import BudgetExceeded, ResultFileRefused, RunNotInStatus, SameOfficer
from payment.payroll.domain.model import InstructionStatus
from payment.settings import Settings

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
    limit: Limit = 50,
    offset: Offset = 0,
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
        runtime.database,
        scope,
        payroll_run_id,
        caller.subject,
        service.PayrollDeps.of(runtime.settings, runtime.now),
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
    limit: Annotated[int, limit_query(le=500)] = 100,
    offset: Offset = 0,
) -> InstructionPage:
    run = await service.get_run(session, RegionScope.for_principal(caller), payroll_run_id)
    rows, total = await InstructionRepository(session).page(
        run.id, status=None if instruction_status is None else instruction_status.value, limit=limit, offset=offset
    )
    return InstructionPage(items=[instruction_read(r) for r in rows], total=total, limit=limit, offset=offset)


Bank = Annotated[Principal, requires("payment:bankfiles:read")]
BankWriter = Annotated[Principal, requires("payment:bankfiles:write")]


class DebtorNotConfigured(Conflict):
    reason = "debtor_not_configured"

    def __init__(self, county_code: str) -> None:
        super().__init__(
            f"no paying account is configured for {county_code} (PAYMENT_DEBTORS)",
            message_zh=f"未配置 {county_code} 的付款账户（PAYMENT_DEBTORS）",
        )


@router.post(
    "/payroll-runs/{payroll_run_id}/export",
    summary="导出: the approved run's pending lines go to the bank (the file is then downloadable)",
    responses=refusals(*PROTECTED, RegionNotAllowed, PayrollRunNotFound, RunNotInStatus, RunChanged, RequestInvalid),
)
async def export_run(
    payroll_run_id: UUID, caller: Writer, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> RunDetail:
    """Once: exporting again changes nothing (the same lines, the same file)."""
    run = await service.mark_exported(session, RegionScope.for_principal(caller), payroll_run_id, runtime.now())
    await audit.state_change(session, target_id=run.id, details={"action": "exported"})
    return run_detail(run, await InstructionRepository(session).totals(run.id))


@router.get(
    "/payroll-runs/{payroll_run_id}/bank-file",
    summary="The run's bank file: ISO 20022 pain.001.001.09 or a CSV 代发 file (for the bank)",
    responses={
        200: {
            "description": "The batch file",
            "content": {"application/xml": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}},
        },
        **refusals(
            *PROTECTED, RegionNotAllowed, PayrollRunNotFound, RunNotInStatus, DebtorNotConfigured, RequestInvalid
        ),
    },
)
async def bank_file(
    payroll_run_id: UUID,
    caller: Bank,
    runtime: RuntimeDep,
    file_format: Annotated[BatchFormat, Query(alias="format")] = "pain001",
) -> StreamingResponse:
    """Streamed from the database (a county of a million lines never sits in memory). The same
    run always gives the same file (one 批次号): a bank that downloads twice sees one batch."""
    async with runtime.database.read() as session:
        run = await service.get_run(session, RegionScope.for_principal(caller), payroll_run_id)
    if run.status not in (PayrollRunStatus.EXPORTED, PayrollRunStatus.SETTLED):
        raise RunNotInStatus(run.status.value, "exported")
    settings = runtime.settings
    assert isinstance(settings, Settings)
    debtor = settings.debtor_of(run.county_code)
    if debtor is None:
        raise DebtorNotConfigured(run.county_code)
    out = await write_batch(
        runtime.database, run, debtor, file_format, now=runtime.now(), processes=FileProcesses.of(settings)
    )
    name = f"{message_id(run)}.{'xml' if file_format == 'pain001' else 'csv'}"

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := out.read(64 * 1024):
                yield chunk
        finally:
            out.close()

    return StreamingResponse(
        chunks(),
        media_type="application/xml" if file_format == "pain001" else "text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class ImportResult(BaseModel):
    duplicate: bool = Field(description="The same file was imported before: nothing changed")
    results: int
    paid: int
    failed: int
    pending: int = Field(description="Accepted by the bank, not settled yet: a later file settles them")
    ignored: int = Field(description="For lines not exported in this run, or already settled (the first result counts)")


@router.post(
    "/payroll-runs/{payroll_run_id}/bank-results",
    summary="回盘: the bank's result file (pain.002, camt.054 or the CSV return file), applied once",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {
                    "schema": {"type": "string"},
                    "examples": {
                        "pain002": {
                            "summary": "pain.002 status report (format=pain002, the default): one paid, one rejected",
                            "value": EXAMPLE_RESULT_PAIN002,
                        }
                    },
                },
                "text/csv": {
                    "schema": {"type": "string"},
                    "examples": {
                        "csv": {
                            "summary": "CSV return file (send with format=csv): one paid, one failed",
                            "value": EXAMPLE_RESULT_CSV,
                        }
                    },
                },
            },
        }
    },
    responses=refusals(
        *PROTECTED,
        RegionNotAllowed,
        PayrollRunNotFound,
        RunNotInStatus,
        ResultFileInvalid,
        ResultFileRefused,
        RequestInvalid,
    ),
)
async def bank_results(
    payroll_run_id: UUID,
    request: Request,
    caller: BankWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
    file_format: Annotated[ResultFormat, Query(alias="format")] = "pain002",
) -> ImportResult:
    """Each result moves an exported line to paid or failed and is announced
    (`payment.payment_settled` / `payment.payment_failed`); a failed line is owed again in the
    next run. The file's totals are checked against its lines; a malformed file changes nothing."""
    run = await service.get_run(session, RegionScope.for_principal(caller), payroll_run_id, for_update=True)
    if run.status not in (PayrollRunStatus.EXPORTED, PayrollRunStatus.SETTLED):
        raise RunNotInStatus(run.status.value, "exported")
    data = await request.body()
    outcome = await import_results(
        session,
        run,
        data,
        file_format,
        by=caller.client_id or caller.subject,
        now=runtime.now(),
        correlation_id=correlation_id,
    )
    await audit.state_change(session, target_id=run.id, details={"action": "bank_results"} | outcome)
    return ImportResult(**outcome)
