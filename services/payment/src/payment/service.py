"""Payment use cases. Never commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.outbox import add_event
from payment.adapters.orm import outbox
from payment.adapters.repository import PayrollRunRepository
from payment.domain import rules
from payment.domain.commands import OpenPayrollRun
from payment.domain.errors import PayrollRunExists, PayrollRunNotFound
from payment.domain.model import PayrollRun


async def open_payroll_run(
    session: AsyncSession, scope: RegionScope, cmd: OpenPayrollRun, *, now: Callable[[], datetime]
) -> PayrollRun:
    """Open a county's run for a month, if the county is within the caller's `scope`."""
    scope.require(region_code=cmd.county_code)
    repository = PayrollRunRepository(session)
    existing = await repository.find(cmd.period, cmd.county_code)
    if existing is not None:
        raise PayrollRunExists(cmd.period, cmd.county_code, existing.id)
    run, event = rules.open_payroll_run(cmd, now=now())
    await repository.add(run)  # PayrollRunExists too if a concurrent request won the unique key
    await add_event(session, outbox, event, now=run.created_at)
    return run


async def get_payroll_run(session: AsyncSession, scope: RegionScope, run_id: UUID) -> PayrollRun:
    """One run, if its county is within the caller's `scope`."""
    run = await PayrollRunRepository(session).get(run_id)
    if run is None:
        raise PayrollRunNotFound(run_id)
    scope.require(region_code=run.county_code)
    return run
