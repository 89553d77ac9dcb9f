"""Procurement's event handlers: care for dispersed 特困 persons (委托照料).

- `eligibility.case_approved` of a 特困 case with 分散供养 → a care assignment to the county's
  running care contract (or waiting for one, taken by the next care contract signed);
- `eligibility.case_terminated` → the assignment ends on the termination date.

Other categories and 集中供养 (a care home looks after the person) are not procurement's. The
platform's `EventConsumer` owns the transaction, the inbox row (each event applied once) and the
offset."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.definition import ConsumerDefinition
from procurement import service
from procurement.adapters.repository import ProcurementRepository
from shared.events import CaseApproved, CaseTerminated, Event
from shared.events.eligibility import CaseCategory, SupportMode
from shared.topics import ELIGIBILITY_EVENTS
from shared.types import business_date

logger = logging.getLogger(__name__)


async def on_case_approved(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, CaseApproved)
    d = event.data
    if d.category is not CaseCategory.TEKUN or d.support_mode is not SupportMode.DISPERSED:
        return
    start = max(d.effective_from.first_day, business_date(now))  # care is not given backdated
    assignment = await service.assign_care(
        ProcurementRepository(session),
        case_id=d.case_id,
        household_id=d.household_id,
        person=d.payee,
        region_code=d.region_code[:6],
        town_code=d.town_code,
        start=start,
    )
    if assignment is not None:
        logger.debug("care assignment %s for case %s: %s", assignment.id, d.case_id, assignment.state)


async def on_case_terminated(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, CaseTerminated)
    d = event.data
    await service.end_care(ProcurementRepository(session), d.case_id, d.terminated_on, d.reason.value)


CARE = ConsumerDefinition(
    name="care",
    topics=(ELIGIBILITY_EVENTS,),
    handlers={
        CaseApproved.event_type: on_case_approved,
        CaseTerminated.event_type: on_case_terminated,
    },
)
