"""Business metrics of eligibility on `/metrics` (`jiuzhu_platform.business_metrics`): applications
by stage and county, the overdue ones (a statutory clock past due), cases by category and status,
and the monthly amount of the cases being paid. Counts only: no personal data in metrics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.orm import application
from eligibility.cases.adapters.orm import assistance_case
from eligibility.cases.domain.model import PAYING
from eligibility.procedure.adapters.orm import application_procedure
from eligibility.procedure.domain.model import OPEN, Stage
from jiuzhu_platform.business_metrics import BusinessMetric, Sample
from shared.types.business_time import business_date

APPLICATION_WITH_PROCEDURE = application.outerjoin(
    application_procedure, application_procedure.c.application_id == application.c.id
)
STAGE = func.coalesce(application_procedure.c.stage, Stage.SUBMITTED.value)
"""An application with no procedure row yet is `submitted` (as the procedure's repository reads it)."""


async def applications_by_stage(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    query = (
        select(STAGE, application.c.region_code, func.count())
        .select_from(APPLICATION_WITH_PROCEDURE)
        .group_by(STAGE, application.c.region_code)
    )
    return [((stage, county), float(count)) for stage, county, count in (await session.execute(query)).all()]


async def overdue_applications(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    """Open applications whose earliest running clock (`next_due`) is before today (Beijing date)."""
    query = (
        select(application.c.region_code, application_procedure.c.next_due_step, func.count())
        .select_from(APPLICATION_WITH_PROCEDURE)
        .where(
            and_(
                application_procedure.c.stage.in_([stage.value for stage in OPEN]),
                application_procedure.c.next_due < business_date(now),
            )
        )
        .group_by(application.c.region_code, application_procedure.c.next_due_step)
    )
    return [((county, step or ""), float(count)) for county, step, count in (await session.execute(query)).all()]


async def cases_by_status(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    query = select(
        assistance_case.c.category, assistance_case.c.status, assistance_case.c.region_code, func.count()
    ).group_by(assistance_case.c.category, assistance_case.c.status, assistance_case.c.region_code)
    return [((c, s, county), float(n)) for c, s, county, n in (await session.execute(query)).all()]


async def monthly_amount_paying(session: AsyncSession, now: datetime) -> Iterable[Sample]:
    query = (
        select(assistance_case.c.category, assistance_case.c.region_code, func.sum(assistance_case.c.monthly_fen))
        .where(assistance_case.c.status.in_([status.value for status in PAYING]))
        .group_by(assistance_case.c.category, assistance_case.c.region_code)
    )
    return [((c, county), float(fen or 0) / 100) for c, county, fen in (await session.execute(query)).all()]


BUSINESS_METRICS = (
    BusinessMetric(
        "jiuzhu_applications",
        "Applications by procedure stage and county (申请按办理阶段)",
        ("stage", "county"),
        applications_by_stage,
    ),
    BusinessMetric(
        "jiuzhu_applications_overdue",
        "Open applications with a statutory clock past due, by county and step (超期未办)",
        ("county", "step"),
        overdue_applications,
    ),
    BusinessMetric(
        "jiuzhu_cases",
        "Assistance cases by category, status and county (在保/复核/渐退/终止)",
        ("category", "status", "county"),
        cases_by_status,
    ),
    BusinessMetric(
        "jiuzhu_cases_monthly_amount_yuan",
        "Monthly amount of the cases being paid, by category and county, in yuan (月发放额)",
        ("category", "county"),
        monthly_amount_paying,
    ),
)
