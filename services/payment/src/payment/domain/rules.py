"""Pure payment rules."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from payment.domain.commands import OpenPayrollRun
from payment.domain.errors import PayrollPeriodTooFarAhead
from payment.domain.model import PayrollRun, PayrollRunStatus
from shared.events import PayrollRunCreated, PayrollRunCreatedData
from shared.types import Period


def open_payroll_run(
    cmd: OpenPayrollRun, *, now: datetime, run_id: UUID | None = None
) -> tuple[PayrollRun, PayrollRunCreated]:
    """Open a draft run. A run may be prepared for the current or the next business month
    (Asia/Shanghai), or any past month (back pay), never further ahead."""
    if cmd.period > Period.containing(now).next():
        raise PayrollPeriodTooFarAhead(cmd.period)
    run = PayrollRun(
        id=run_id or uuid4(),
        period=cmd.period,
        county_code=cmd.county_code,
        status=PayrollRunStatus.DRAFT,
        created_at=now,
        correlation_id=cmd.correlation_id,
    )
    event = PayrollRunCreated.create(
        PayrollRunCreatedData(payroll_run_id=run.id, period=cmd.period, county_code=cmd.county_code),
        subject=str(run.id),
        correlation_id=cmd.correlation_id,
        now=now,
    )
    return run, event
