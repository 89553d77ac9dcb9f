"""Eligibility's event handlers: what other services tell it about applications and cases.

- `verification.check_completed` → the 核对报告 on the application (its procedure moves on);
- `verification.department_notice_received` → a death applies the death rule (DOMAIN-RULES §2.9,
  §3.5); any other notice about a person in a case opens a review (the decision stays human);
- `monitoring.review_requested` → a review of the case (or of the household's live cases);
- `payment.payment_failed` / `payment.recovery_opened` → on the case's timeline.

The platform's `EventConsumer` owns the transaction, the inbox row and the offset. A refusal
the rules give (a case already under review, an application already decided) is an answer,
not a failure: it is logged and the event is done, never retried into the dead-letter queue.
A conflict is not an answer: when a caseworker's step changed the application or case between
the handler's read and its write (`application_changed`), the error leaves the handler, the
transaction (inbox row included) rolls back and the consumer applies the event again on the
fresh state (its retries). Swallowing it lost a 核对报告 under the chaos harness.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.cases import service as cases_service
from eligibility.cases.adapters.repository import CaseRepository
from eligibility.cases.domain import rules as case_rules
from eligibility.cases.domain.model import Case, ReviewReason
from eligibility.cases.domain.rules import LIVE as LIVE_STATUSES
from eligibility.deadlines.adapters.calendar_file import working_day_calendar
from eligibility.policy.adapters.policy_files import policy_book
from eligibility.procedure import service as procedure_service
from eligibility.procedure.adapters.repository import ProcedureRepository
from eligibility.procedure.domain import commands as c
from eligibility.procedure.domain.errors import StaleApplication
from jiuzhu_platform.definition import ConsumerDefinition
from jiuzhu_platform.errors import DomainError
from jiuzhu_platform.runtime import Runtime
from shared.events import (
    CheckCompleted,
    DepartmentNoticeReceived,
    Event,
    PaymentFailed,
    RecoveryOpened,
    ReviewRequested,
)
from shared.events.verification import DepartmentNoticeKind
from shared.topics import MONITORING_EVENTS, PAYMENT_EVENTS, VERIFICATION_EVENTS
from shared.types import to_fen

logger = logging.getLogger(__name__)


def build(runtime: Runtime) -> ConsumerDefinition:
    """The consumer group `eligibility.lifecycle`, with the runtime's clock, policy, calendar
    and person-reference key."""
    deps = procedure_service.ProcedureDeps(
        calendar=working_day_calendar(),
        policies=policy_book(),
        now=runtime.now,
        person_ref_key=runtime.settings.person_ref_secret(),
    )

    async def on_check_completed(session: AsyncSession, event: Event, now: datetime) -> None:
        assert isinstance(event, CheckCompleted)
        data = event.data
        application_id = data.application_id or await ProcedureRepository(session).awaiting_report(data.household_id)
        if application_id is None:
            logger.info("check %s: no application of household %s awaits a report", data.check_id, data.household_id)
            return
        report = c.ReceiveVerificationReport(
            check_id=data.check_id,
            complete=not data.departments_missing,
            discrepancies=len(data.discrepancies),
            verified_monthly_income_fen=to_fen(data.verified_monthly_income),
            financial_assets_fen=to_fen(data.financial_assets),
            vehicle_count=data.vehicle_count,
            property_count=data.property_count,
            departments_missing=tuple(d.value for d in data.departments_missing),
        )
        await _answer(
            procedure_service.record_verification_report(
                session, application_id, report, deps, correlation_id=event.correlation_id
            ),
            what=f"check {data.check_id}",
        )

    async def on_department_notice(session: AsyncSession, event: Event, now: datetime) -> None:
        assert isinstance(event, DepartmentNoticeReceived)
        data = event.data
        repository = CaseRepository(session)
        for case in await repository.of_person(data.person.ref):
            if case.status not in LIVE_STATUSES:
                continue
            if data.kind is DepartmentNoticeKind.DEATH:
                decide = _death(single_person=await repository.member_count(case) == 1, died_on=data.occurred_on)
            else:
                decide = _review(ReviewReason.DEPARTMENT_NOTICE, f"{data.department.value}: {data.kind.value}")
            await _change(session, case, decide, event, deps)

    async def on_review_requested(session: AsyncSession, event: Event, now: datetime) -> None:
        assert isinstance(event, ReviewRequested)
        data = event.data
        repository = CaseRepository(session)
        cases = (
            [await repository.get(data.case_id)] if data.case_id else await repository.of_household(data.household_id)
        )
        for case in cases:
            if case is None or case.status not in LIVE_STATUSES:
                continue
            decide = _review(ReviewReason.MONITORING, f"monitoring: {data.reason.value}")
            await _change(session, case, decide, event, deps)

    async def on_payment(session: AsyncSession, event: Event, now: datetime) -> None:
        if isinstance(event, PaymentFailed):
            case_id, kind, note = event.data.case_id, "payment_failed", event.data.failure_reason.value
        else:
            assert isinstance(event, RecoveryOpened)
            months = ", ".join(str(m) for m in event.data.months)
            case_id, kind, note = event.data.case_id, "recovery_opened", f"{event.data.amount_owed} 元: {months}"
        case = await CaseRepository(session).get(case_id) if case_id is not None else None
        if case is None:
            return

        decide = _payment(kind, note)
        await _change(session, case, decide, event, deps)

    return ConsumerDefinition(
        name="lifecycle",
        topics=(VERIFICATION_EVENTS, MONITORING_EVENTS, PAYMENT_EVENTS),
        handlers={
            CheckCompleted.event_type: on_check_completed,
            DepartmentNoticeReceived.event_type: on_department_notice,
            ReviewRequested.event_type: on_review_requested,
            PaymentFailed.event_type: on_payment,
            RecoveryOpened.event_type: on_payment,
        },
    )


def _death(*, single_person: bool, died_on: date) -> cases_service.Decide:
    def decide(case: Case, actor: case_rules.CaseActor, now: datetime, today: date) -> case_rules.CaseChange:
        return case_rules.on_member_death(
            case, single_person=single_person, died_on=died_on, actor=actor, now=now, today=today
        )

    return decide


def _review(reason: ReviewReason, note: str) -> cases_service.Decide:
    def decide(case: Case, actor: case_rules.CaseActor, now: datetime, today: date) -> case_rules.CaseChange:
        return case_rules.open_review(case, reason, actor, now, today, note=note)

    return decide


def _payment(kind: str, note: str) -> cases_service.Decide:
    def decide(case: Case, actor: case_rules.CaseActor, now: datetime, today: date) -> case_rules.CaseChange:
        return case_rules.record_payment_event(case, kind, note, actor, now, today)

    return decide


async def _change(
    session: AsyncSession, case: Case, decide: cases_service.Decide, event: Event, deps: procedure_service.ProcedureDeps
) -> None:
    now = deps.now()
    try:
        change = await cases_service.system_change(session, case, decide, now=now)
    except StaleApplication:
        raise  # changed meanwhile: not an answer, applied again on the fresh state
    except DomainError as refused:
        logger.info("case %s: %s not applied (%s)", case.case_id, event.type, refused.reason)
        return
    await cases_service.publish(session, change, deps.person_ref_key, correlation_id=event.correlation_id, now=now)


async def _answer(call: Awaitable[object], *, what: str) -> None:
    try:
        await call
    except StaleApplication:
        raise  # changed meanwhile: not an answer, applied again on the fresh state
    except DomainError as refused:
        logger.info("%s not applied (%s)", what, refused.reason)
