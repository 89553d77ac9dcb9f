"""The exchange's consumer group and jobs.

- consumer group `exchange` on `eligibility.events`: case approved / benefit changed / case
  terminated / temporary assistance granted → the recipient projection, and the notifications
  of what changed for subscribed people, in the inbox's transaction (events-once);
- the `exchange_searches` job answers async searches and POSTs them (`on-search`);
- the `exchange_notifications` job POSTs pending notifications (`on-notify`); both retry with
  backoff and record `delivered` / `failed`."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.definition import ConsumerDefinition
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.worker import ScheduledJob
from shared.events import BenefitChanged, CaseApproved, CaseTerminated, Event, TemporaryAssistanceGranted
from shared.topics import ELIGIBILITY_EVENTS
from verification.exchange import service
from verification.exchange.adapters.callbacks import sender_of
from verification.settings import Settings

logger = logging.getLogger(__name__)


def build(runtime: Runtime) -> ConsumerDefinition:
    async def on_event(session: AsyncSession, event: Event, now: datetime) -> None:
        notified = await service.apply_event(session, event, now)
        if notified:
            logger.info("%s: %d notification(s) to deliver", event.event_type, notified)

    return ConsumerDefinition(
        name="exchange",
        topics=(ELIGIBILITY_EVENTS,),
        handlers={
            kind.event_type: on_event
            for kind in (CaseApproved, BenefitChanged, CaseTerminated, TemporaryAssistanceGranted)
        },
    )


def searches_job(runtime: Runtime) -> ScheduledJob:
    settings = cast(Settings, runtime.settings)

    async def run() -> int:
        return await service.run_transactions(runtime.database, sender_of(runtime), service.deps_of(runtime))

    return ScheduledJob("exchange_searches", settings.exchange_interval_seconds, run)


def notifications_job(runtime: Runtime) -> ScheduledJob:
    settings = cast(Settings, runtime.settings)

    async def run() -> int:
        return await service.deliver_notifications(runtime.database, sender_of(runtime), service.deps_of(runtime))

    return ScheduledJob("exchange_notifications", settings.exchange_interval_seconds, run)
