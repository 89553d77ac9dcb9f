"""Verification's event handlers and jobs.

- `eligibility.application_accepted` → a check of the household's members (by person
  reference) for the application: opened in the consumer's transaction, queries pending (or
  waiting for authorisations, naming who); one check per application however often the event
  is delivered;
- the checks job (worker) runs every check with pending queries that no runner holds: new
  ones, and those a stopped runner left (its lease expired)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.definition import ConsumerDefinition
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.worker import ScheduledJob
from shared.events import ApplicationAccepted, Event
from shared.topics import ELIGIBILITY_EVENTS
from verification.checks import service
from verification.checks.adapters.sources import fanout_of
from verification.checks.domain import rules
from verification.checks.domain.model import CheckStatus, QueryPurpose
from verification.settings import Settings

logger = logging.getLogger(__name__)

BATCH = 50
"""Checks run together by the job: one fan-out, one transaction (and one commit) per batch."""


def build(runtime: Runtime) -> ConsumerDefinition:
    deps = service.CheckDeps(now=runtime.now)

    async def on_application_accepted(session: AsyncSession, event: Event, now: datetime) -> None:
        assert isinstance(event, ApplicationAccepted)
        data = event.data
        if await service.already_opened(session, data.application_id):
            return
        check = await service.open_check(
            session,
            service.OpenCheck(
                household_id=data.household_id,
                application_id=data.application_id,
                purpose=QueryPurpose.APPLICATION,
                region_code=data.region_code,
                town_code=data.town_code,
                members=[rules.Person(m.ref, m.masked_id) for m in data.members],
                correlation_id=event.correlation_id,
            ),
            deps,
        )
        if check.status is CheckStatus.AWAITING_AUTHORISATION:
            missing = [m.masked_id for m in check.members if m.consent_id is None]
            logger.info("check %s awaits authorisations of %d member(s)", check.check_id, len(missing))

    return ConsumerDefinition(
        name="checks",
        topics=(ELIGIBILITY_EVENTS,),
        handlers={ApplicationAccepted.event_type: on_application_accepted},
    )


def checks_job(runtime: Runtime) -> ScheduledJob:
    """Runs pending checks (the worker's side of `service.run_check`)."""
    deps = service.CheckDeps(now=runtime.now)
    settings = runtime.settings
    assert isinstance(settings, Settings)

    async def run() -> int:
        """Batches of checks (each batch one fan-out and one transaction) until none is left."""
        ran = 0
        while batch := await service.runnable(runtime.database, runtime.now(), limit=BATCH):
            done = await service.run_checks(runtime.database, fanout_of(runtime), batch, deps)
            ran += len(done)
            if not done:  # every one held by another runner
                break
        return ran

    return ScheduledJob("checks", settings.checks_interval_seconds, run)
