"""Eligibility use cases: load via repositories, call the domain, persist, write the outbox.
Never commits (the request's session dependency does)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.adapters.orm import outbox
from eligibility.adapters.repository import ApplicationRepository
from eligibility.domain import rules
from eligibility.domain.errors import ApplicationNotFound
from eligibility.domain.model import Application
from jiuzhu_platform.outbox import add_event
from shared.events import AssistanceType
from shared.types import ResidentId


async def submit_application(
    session: AsyncSession,
    *,
    household_id: UUID | None,
    assistance_type: AssistanceType,
    region_code: str,
    member_count: int,
    applicant_name: str,
    applicant_resident_id: ResidentId,
    correlation_id: str,
    now: Callable[[], datetime],
) -> Application:
    # Until the encrypted PII column exists (identity & privacy issue), only the masked
    # number is stored: the full number is validated at the edge and not kept.
    application, event = rules.submit_application(
        household_id=household_id,
        assistance_type=assistance_type,
        region_code=region_code,
        member_count=member_count,
        applicant_name=applicant_name,
        applicant_masked_id=applicant_resident_id.masked(),
        correlation_id=correlation_id,
        now=now(),
    )
    await ApplicationRepository(session).add(application)
    await add_event(session, outbox, event, now=application.submitted_at)
    return application


async def get_application(session: AsyncSession, application_id: UUID) -> Application:
    application = await ApplicationRepository(session).get(application_id)
    if application is None:
        raise ApplicationNotFound(application_id)
    return application
