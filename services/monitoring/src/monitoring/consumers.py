"""Monitoring's event handlers: shared event in → service call → done. The platform's
`EventConsumer` owns the transaction, the inbox row and the offset commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.definition import ConsumerDefinition
from monitoring import service as monitoring_service
from shared.events import ApplicationSubmitted, Event
from shared.topics import ELIGIBILITY_EVENTS


async def on_application_submitted(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, ApplicationSubmitted)
    await monitoring_service.register_from_application(session, event, now=now)


async def on_applications_submitted(session: AsyncSession, events: Sequence[Event], now: datetime) -> None:
    submitted = [event for event in events if isinstance(event, ApplicationSubmitted)]
    assert len(submitted) == len(events)
    await monitoring_service.register_from_applications(session, submitted, now=now)


REGISTER = ConsumerDefinition(
    name="register",
    topics=(ELIGIBILITY_EVENTS,),
    handlers={ApplicationSubmitted.event_type: on_application_submitted},
    batch_handlers={ApplicationSubmitted.event_type: on_applications_submitted},
)
