"""Monitoring's event handlers: shared event in → service call → done. The platform's
`EventConsumer` owns the transaction, the inbox row and the offset commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.definition import ConsumerDefinition
from monitoring import service as monitoring_service
from monitoring.chain import service as chain_service
from monitoring.discovery import service as discovery_service
from monitoring.warnings import service as warnings_service
from shared.events import (
    ApplicationAccepted,
    ApplicationSubmitted,
    CaseApproved,
    CaseTerminated,
    DepartmentNoticeReceived,
    Event,
    PaymentSettled,
    TemporaryAssistanceGranted,
)
from shared.topics import ELIGIBILITY_EVENTS, PAYMENT_EVENTS, VERIFICATION_EVENTS


async def on_application_submitted(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, ApplicationSubmitted)
    await monitoring_service.register_from_application(session, event, now=now)


async def on_applications_submitted(session: AsyncSession, events: Sequence[Event], now: datetime) -> None:
    submitted = [event for event in events if isinstance(event, ApplicationSubmitted)]
    assert len(submitted) == len(events)
    await monitoring_service.register_from_applications(session, submitted, now=now)


async def on_case_approved(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, CaseApproved)
    await warnings_service.case_approved(session, event, now)


async def on_case_terminated(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, CaseTerminated)
    await warnings_service.case_terminated(session, event, now)


async def on_application_accepted(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, ApplicationAccepted)
    await warnings_service.application_accepted(session, event, now)
    await discovery_service.application_accepted(session, event, now)


async def on_notice(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, DepartmentNoticeReceived)
    await warnings_service.notice_received(session, event, now)


async def on_temporary_granted(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, TemporaryAssistanceGranted)
    await chain_service.temporary_granted(session, event, now)


async def on_payment_settled(session: AsyncSession, event: Event, now: datetime) -> None:
    assert isinstance(event, PaymentSettled)
    await chain_service.payment_settled(session, event, now)
    await warnings_service.payment_settled(session, event, now)


CHAIN = ConsumerDefinition(
    name="chain",
    topics=(ELIGIBILITY_EVENTS, PAYMENT_EVENTS),
    handlers={
        TemporaryAssistanceGranted.event_type: on_temporary_granted,
        PaymentSettled.event_type: on_payment_settled,
    },
)
"""The chain's steps that no other consumer sees: 临时救助 grants and payments that reached a
household (the statistics' spending)."""

WARNINGS = ConsumerDefinition(
    name="warnings",
    topics=(ELIGIBILITY_EVENTS, VERIFICATION_EVENTS),
    handlers={
        CaseApproved.event_type: on_case_approved,
        CaseTerminated.event_type: on_case_terminated,
        ApplicationAccepted.event_type: on_application_accepted,
        DepartmentNoticeReceived.event_type: on_notice,
    },
)
"""The register's cases and people (to match department notices by person reference), and the
notices themselves: risk signals → alerts, deaths → integrity findings and review requests."""

REGISTER = ConsumerDefinition(
    name="register",
    topics=(ELIGIBILITY_EVENTS,),
    handlers={ApplicationSubmitted.event_type: on_application_submitted},
    batch_handlers={ApplicationSubmitted.event_type: on_applications_submitted},
)
