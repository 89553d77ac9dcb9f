"""Business metrics of payment on `/metrics` (`jiuzhu_platform.business_metrics`): payroll runs by
status, the amounts of the last two periods' instructions by status (what is paid, held, failed)
and recoveries outstanding. Sums in yuan, no personal data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.business_metrics import BusinessMetric, Sample
from payment.adapters.orm import payroll_run
from payment.payroll.adapters.orm import instruction
from payment.payroll.adapters.repository import status_in_run
from payment.recoveries.adapters.orm import recovery


async def runs_by_status(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    query = select(payroll_run.c.period, payroll_run.c.status, func.count()).group_by(
        payroll_run.c.period, payroll_run.c.status
    )
    return [((period, status), float(n)) for period, status, n in (await session.execute(query)).all()]


async def payroll_amounts(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    """Instruction amounts of the runs of the two latest periods, by period, county and status."""
    latest = select(payroll_run.c.period).distinct().order_by(payroll_run.c.period.desc()).limit(2)
    periods = list((await session.execute(latest)).scalars())
    if not periods:
        return []
    status = status_in_run()
    query = (
        select(instruction.c.period, instruction.c.county_code, status, func.sum(instruction.c.amount_fen))
        .where(instruction.c.run_id.in_(select(payroll_run.c.id).where(payroll_run.c.period.in_(periods))))
        .group_by(instruction.c.period, instruction.c.county_code, status)
    )
    return [((p, c, s), float(fen or 0) / 100) for p, c, s, fen in (await session.execute(query)).all()]


async def recoveries_outstanding(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    owed = recovery.c.amount_fen + recovery.c.fine_fen - recovery.c.repaid_fen - recovery.c.written_off_fen
    query = (
        select(recovery.c.county_code, func.count(), func.sum(owed)).where(owed > 0).group_by(recovery.c.county_code)
    )
    return [((county,), float(fen or 0) / 100) for county, _n, fen in (await session.execute(query)).all()]


BUSINESS_METRICS = (
    BusinessMetric(
        "jiuzhu_payroll_runs", "Payroll runs by period and status (发放批次)", ("period", "status"), runs_by_status
    ),
    BusinessMetric(
        "jiuzhu_payroll_amount_yuan",
        "Instruction amounts of the two latest periods by period, county and status, in yuan (发放金额)",
        ("period", "county", "status"),
        payroll_amounts,
    ),
    BusinessMetric(
        "jiuzhu_recoveries_outstanding_yuan",
        "Amounts still owed on recoveries by county, in yuan (追缴未回收)",
        ("county",),
        recoveries_outstanding,
    ),
)
