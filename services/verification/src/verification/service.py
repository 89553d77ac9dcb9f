"""Verification use cases. Never commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.outbox import add_event
from jiuzhu_platform.person_ref import person_ref
from verification.adapters.orm import outbox
from verification.adapters.repository import ConsentRepository
from verification.domain import rules
from verification.domain.commands import RecordConsent
from verification.domain.errors import ConsentNotFound
from verification.domain.model import Consent, RevocationReason


async def record_consent(
    session: AsyncSession,
    scope: RegionScope,
    cmd: RecordConsent,
    *,
    now: Callable[[], datetime],
    person_ref_key: bytes,
) -> Consent:
    """Record an authorisation for a household within the caller's `scope` (placed in a town
    caseworker's own town unless the command names one), findable by the signer's person
    reference (how checks started from events find it)."""
    cmd = replace(cmd, town_code=scope.default_town(cmd.region_code, cmd.town_code))
    scope.require(region_code=cmd.town_code or cmd.region_code, household_id=str(cmd.household_id))
    subject_ref = person_ref(cmd.subject_resident_id, person_ref_key).ref
    consent, event = rules.record_consent(cmd, now=now(), subject_ref=subject_ref)
    await ConsentRepository(session).add(consent)
    await add_event(session, outbox, event, now=consent.recorded_at)
    return consent


async def get_consent(session: AsyncSession, scope: RegionScope, consent_id: UUID) -> Consent:
    """One consent, if it is within the caller's `scope`."""
    consent = await ConsentRepository(session).get(consent_id)
    if consent is None:
        raise ConsentNotFound(consent_id)
    scope.require(region_code=consent.area_code, household_id=str(consent.household_id))
    return consent


async def revoke_consent(
    session: AsyncSession, scope: RegionScope, consent_id: UUID, reason: RevocationReason, *, now: datetime
) -> Consent:
    """撤销授权 within the caller's `scope`: later checks no longer use it."""
    repository = ConsentRepository(session)
    consent = await repository.get(consent_id, for_update=True)
    if consent is None:
        raise ConsentNotFound(consent_id)
    scope.require(region_code=consent.area_code, household_id=str(consent.household_id))
    revoked = rules.revoke_consent(consent, reason, now=now)
    await repository.revoke(revoked)
    return revoked
