"""Monitoring use cases. Never commits (the request or the consumer transaction does)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import AccessLevel, RegionNotAllowed, RegionScope
from jiuzhu_platform.outbox import add_events
from monitoring.adapters.orm import outbox
from monitoring.adapters.repository import RegisterRepository
from monitoring.chain.adapters.repository import ChainRepository
from monitoring.chain.domain.model import ChainRecord, Step
from monitoring.domain import rules
from monitoring.domain.errors import HouseholdNotInRegister
from monitoring.domain.model import RegisterEntry
from shared.events import ApplicationSubmitted
from shared.types.business_time import business_date

logger = logging.getLogger(__name__)


async def register_from_application(
    session: AsyncSession, event: ApplicationSubmitted, *, now: datetime
) -> RegisterEntry:
    [entry] = await register_from_applications(session, [event], now=now)
    return entry


async def register_from_applications(
    session: AsyncSession, events: Sequence[ApplicationSubmitted], *, now: datetime
) -> list[RegisterEntry]:
    """Apply submitted applications in order (the consumer's batch): the register entry after
    each, with the same effect as one by one, in a few statements for the whole run."""
    repository = RegisterRepository(session)
    stored = await repository.get_many({event.data.household_id for event in events}, for_update=True)
    current: dict[UUID, RegisterEntry] = dict(stored)
    changes: dict[UUID, int] = {}  # updates after the household was stored or first added here
    added: list[UUID] = []
    registered_events = []
    entries = []
    for event in events:
        household_id = event.data.household_id
        existing = current.get(household_id)
        entry, registered = rules.register_applicant_household(
            existing,
            household_id=household_id,
            region_code=event.data.region_code,
            town_code=event.data.town_code,
            assistance_type=event.data.assistance_type.value,
            source_event_id=event.id,
            correlation_id=event.correlation_id,
            now=now,
        )
        if existing is None:
            added.append(household_id)
        else:
            changes[household_id] = changes.get(household_id, 0) + 1
        current[household_id] = entry
        entries.append(entry)
        if registered is not None:
            registered_events.append(registered)
    await ChainRepository(session).add(
        [
            ChainRecord(
                event.id,
                event.data.household_id,
                Step.APPLIED,
                business_date(event.time),
                event.data.region_code,
                event.data.town_code,
                category=event.data.assistance_type.value,
            )
            for event in events
        ]
    )
    await repository.add_many([(current[h], changes.pop(h, 0)) for h in added])
    await repository.update_many([(current[h], bumps) for h, bumps in changes.items()])
    await add_events(session, outbox, registered_events, now=now)
    if registered_events and logger.isEnabledFor(logging.DEBUG):
        for registered in registered_events:
            logger.debug("household registered for monitoring", extra={"household_id": registered.subject})
    return entries


async def get_household(session: AsyncSession, scope: RegionScope, household_id: UUID) -> RegisterEntry:
    """One household, if it is within the caller's `scope`."""
    entry = await RegisterRepository(session).get(household_id)
    if entry is None:
        raise HouseholdNotInRegister(household_id)
    scope.require(region_code=entry.area_code, household_id=str(entry.household_id))
    return entry


async def list_households(
    session: AsyncSession, scope: RegionScope, *, region_code: str | None, limit: int, offset: int
) -> tuple[Sequence[RegisterEntry], int]:
    """A page of the register within the caller's `scope` (filtered in the query), optionally
    of one county: the caller's own, or one within their area (a town's staff may name their
    county and see their town's part of it)."""
    if scope.level is AccessLevel.NONE:
        raise RegionNotAllowed("the caller has no area to list", "调用方没有可查看的辖区")
    own_county = scope.region_code[:6] if scope.level is AccessLevel.TOWN and scope.region_code else None
    if region_code is not None and region_code != own_county:
        scope.require(region_code=region_code)
    return await RegisterRepository(session).page(scope, region_code=region_code, limit=limit, offset=offset)
