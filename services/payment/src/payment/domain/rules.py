"""Pure payment rules."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from payment.domain.errors import PayrollPeriodTooFarAhead
from payment.domain.model import PayrollRun, PayrollRunStatus
from shared.events import PayrollRunCreated, PayrollRunCreatedData
from shared.types import Period


def open_payroll_run(
    *, period: Period, county_code: str, correlation_id: str, now: datetime, run_id: UUID | None = None
) -> tuple[PayrollRun, PayrollRunCreated]:
    """Open a draft run. A run may be prepared for the current or the next business month
    (Asia/Shanghai), or any past month (back pay), never further ahead."""
    if period > Period.containing(now).next():
        raise PayrollPeriodTooFarAhead(period)
    run = PayrollRun(
        id=run_id or uuid4(),
        period=period,
        county_code=county_code,
        status=PayrollRunStatus.DRAFT,
        created_at=now,
        correlation_id=correlation_id,
    )
    event = PayrollRunCreated.create(
        PayrollRunCreatedData(payroll_run_id=run.id, period=period, county_code=county_code),
        subject=str(run.id),
        correlation_id=correlation_id,
        now=now,
    )
    return run, event
