"""Monitoring use cases. Never commits (the request or the consumer transaction does)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.outbox import add_event
from monitoring.adapters.orm import outbox
from monitoring.adapters.repository import RegisterRepository
from monitoring.domain import rules
from monitoring.domain.errors import HouseholdNotInRegister
from monitoring.domain.model import RegisterEntry
from shared.events import ApplicationSubmitted

logger = logging.getLogger(__name__)


async def register_from_application(
    session: AsyncSession, event: ApplicationSubmitted, *, now: datetime
) -> RegisterEntry:
    repository = RegisterRepository(session)
    existing = await repository.get(event.data.household_id, for_update=True)
    entry, registered = rules.register_applicant_household(
        existing,
        household_id=event.data.household_id,
        region_code=event.data.region_code,
        town_code=event.data.town_code,
        assistance_type=event.data.assistance_type.value,
        source_event_id=event.id,
        correlation_id=event.correlation_id,
        now=now,
    )
    if existing is None:
        await repository.add(entry)
    else:
        await repository.update(entry)
    if registered is not None:
        await add_event(session, outbox, registered, now=now)
        logger.info("household registered for monitoring", extra={"household_id": str(entry.household_id)})
    return entry


async def get_household(session: AsyncSession, household_id: UUID) -> RegisterEntry:
    entry = await RegisterRepository(session).get(household_id)
    if entry is None:
        raise HouseholdNotInRegister(household_id)
    return entry


async def list_households(
    session: AsyncSession,
    *,
    region_code: str | None,
    limit: int,
    offset: int,
    region_prefix: str = "",
    household_id: UUID | None = None,
) -> tuple[Sequence[RegisterEntry], int]:
    return await RegisterRepository(session).page(
        region_code=region_code, limit=limit, offset=offset, region_prefix=region_prefix, household_id=household_id
    )
