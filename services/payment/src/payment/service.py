"""Payment use cases. Never commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.outbox import add_event
from payment.adapters.orm import outbox
from payment.adapters.repository import PayrollRunRepository
from payment.domain import rules
from payment.domain.errors import PayrollRunExists, PayrollRunNotFound
from payment.domain.model import PayrollRun
from shared.types import Period


async def open_payroll_run(
    session: AsyncSession, *, period: Period, county_code: str, correlation_id: str, now: Callable[[], datetime]
) -> PayrollRun:
    repository = PayrollRunRepository(session)
    existing = await repository.find(period, county_code)
    if existing is not None:
        raise PayrollRunExists(period, county_code, existing.id)
    run, event = rules.open_payroll_run(
        period=period, county_code=county_code, correlation_id=correlation_id, now=now()
    )
    await repository.add(run)  # PayrollRunExists too if a concurrent request won the unique key
    await add_event(session, outbox, event, now=run.created_at)
    return run


async def get_payroll_run(session: AsyncSession, run_id: UUID) -> PayrollRun:
    run = await PayrollRunRepository(session).get(run_id)
    if run is None:
        raise PayrollRunNotFound(run_id)
    return run
