"""Verification use cases. Never commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.outbox import add_event
from shared.types import ResidentId
from verification.adapters.orm import outbox
from verification.adapters.repository import ConsentRepository
from verification.domain import rules
from verification.domain.errors import ConsentNotFound
from verification.domain.model import Consent


async def record_consent(
    session: AsyncSession,
    *,
    household_id: UUID,
    region_code: str,
    town_code: str | None = None,
    subject_name: str,
    subject_resident_id: ResidentId,
    purpose: str,
    signed_on: date,
    correlation_id: str,
    now: Callable[[], datetime],
) -> Consent:
    consent, event = rules.record_consent(
        household_id=household_id,
        region_code=region_code,
        town_code=town_code,
        subject_name=subject_name,
        subject_resident_id=subject_resident_id,
        purpose=purpose,
        signed_on=signed_on,
        correlation_id=correlation_id,
        now=now(),
    )
    await ConsentRepository(session).add(consent)
    await add_event(session, outbox, event, now=consent.recorded_at)
    return consent


async def get_consent(session: AsyncSession, consent_id: UUID) -> Consent:
    consent = await ConsentRepository(session).get(consent_id)
    if consent is None:
        raise ConsentNotFound(consent_id)
    return consent
