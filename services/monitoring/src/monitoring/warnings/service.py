"""Early warning, integrity and spot-check use cases. Never commits (the request or the
consumer transaction does); events go through the outbox in the same transaction."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import AccessLevel, RegionNotAllowed, RegionScope
from jiuzhu_platform.db import Database
from jiuzhu_platform.outbox import add_events
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.worker import ScheduledJob
from monitoring.adapters.orm import outbox
from monitoring.chain import service as chain
from monitoring.chain.adapters.repository import ChainRepository
from monitoring.chain.domain.model import ChainRecord, Step
from monitoring.warnings.adapters.repository import WarningRepository
from monitoring.warnings.adapters.rule_files import rules_in_force
from monitoring.warnings.domain import rules
from monitoring.warnings.domain.errors import AlertNotFound, SpotCheckNotFound
from monitoring.warnings.domain.model import (
    Alert,
    MonitoredCase,
    Signal,
    SpotCheckDraw,
    SpotCheckFinding,
    SpotCheckOutcome,
    SpotCheckResult,
)
from shared.events import (
    AlertDisposed,
    AlertDisposedData,
    AlertRaised,
    AlertRaisedData,
    ApplicationAccepted,
    CaseApproved,
    CaseTerminated,
    DepartmentNoticeReceived,
    Event,
    PaymentSettled,
    ReviewRequested,
    ReviewRequestedData,
)
from shared.events.monitoring import AlertDisposition, ReviewReason
from shared.events.verification import DepartmentNoticeKind
from shared.types import Period, to_fen
from shared.types.business_time import business_date


async def case_approved(session: AsyncSession, event: CaseApproved, now: datetime) -> None:
    data = event.data
    repository = WarningRepository(session)
    case = MonitoredCase(
        case_id=data.case_id,
        household_id=data.household_id,
        category=data.category.value,
        region_code=data.region_code,
        town_code=data.town_code,
        payee_ref=data.payee.ref,
        support_mode=data.support_mode.value if data.support_mode else None,
        active=True,
        opened_on=business_date(event.time),
        filed=data.conflict_of_interest,
    )
    await repository.upsert_case(case)
    await repository.add_people(data.household_id, {data.payee.ref})
    await _check_duplicates(session, repository, case, event, now)
    step = ChainRecord(
        event.id,
        case.household_id,
        Step.CASE_APPROVED,
        case.opened_on,
        case.region_code,
        case.town_code,
        category=case.category,
        amount_fen=to_fen(data.amounts.monthly_total),
        detail=str(data.effective_from),
    )
    await ChainRepository(session).add([step])


async def _check_duplicates(
    session: AsyncSession, repository: WarningRepository, case: MonitoredCase, event: CaseApproved, now: datetime
) -> None:
    """重复享受: a case opened for a household one of whose people is assisted in another
    household is an integrity finding for the county (once while it is open)."""
    others = await repository.assisted_elsewhere(case.household_id)
    if not others or rules.DUPLICATE_RULE in await repository.open_rules(case.household_id):
        return
    today = business_date(now)
    finding = rules.duplicate_finding(case, others, today, uuid.uuid4(), version=rules_in_force(today).version)
    await repository.add_alerts([finding])
    await ChainRepository(session).add([chain.raised(finding)])
    await add_events(session, outbox, [_raised(event, finding, now)], now=now)


async def case_terminated(session: AsyncSession, event: CaseTerminated, now: datetime) -> None:
    data = event.data
    repository = WarningRepository(session)
    await repository.end_case(data.case_id, data.terminated_on, data.reason.value)
    case = await repository.get_case(data.case_id)
    if case is not None:
        step = chain.case_terminated(case, event.id, data.terminated_on, data.reason.value)
        await ChainRepository(session).add([step])


async def application_accepted(session: AsyncSession, event: ApplicationAccepted, now: datetime) -> None:
    await WarningRepository(session).add_people(event.data.household_id, {m.ref for m in event.data.members})


async def notice_received(session: AsyncSession, event: DepartmentNoticeReceived, now: datetime) -> None:
    """A department notice about a person: a risk signal for every household of the register
    the person belongs to that has an active case (others are not monitored); a death of a
    recipient is an integrity finding; otherwise the warning rules score the household."""
    data = event.data
    repository = WarningRepository(session)
    person = data.person.ref
    households = await repository.households_of(person)
    if not households:
        return
    today = business_date(now)
    ruleset = rules_in_force(today)
    staged: list[Event] = []
    for household_id in households:
        cases = await repository.active_cases([household_id])
        if not cases:
            continue
        signal = Signal(data.notice_id, household_id, person, data.kind.value, data.occurred_on)
        if not await repository.add_signal(signal, now):
            continue  # the same notice again
        open_rules = await repository.open_rules(household_id)
        if data.kind is DepartmentNoticeKind.DEATH:
            # one integrity alert a household at a time (its first active case; a 防返贫
            # household alone is paid nothing, so there is nothing to stop)
            recipients = [c for c in cases if c.eligibility_case_id is not None]
            raised = (
                []
                if rules.DEATH_RULE in open_rules or not recipients
                else [rules.death_finding(recipients[0], signal, today, uuid.uuid4(), version=ruleset.version)]
            )
            staged += [_review(event, a, ReviewReason.ALERT, now) for a in raised]
            paid_to = [c for c in recipients if c.payee_ref == person]
            if paid_to and rules.PAID_AFTER_DEATH_RULE not in open_rules:
                months = rules.paid_after_death(await repository.paid_periods(household_id), data.occurred_on)
                raised += [_paid_after_death(paid_to[0], data.occurred_on, months, today)] if months else []
        else:
            signals = await repository.signals_of(household_id)
            raised = rules.alerts_to_raise(
                ruleset=ruleset,
                household_id=household_id,
                categories=frozenset(c.category for c in cases),
                signals=signals,
                open_rules=open_rules,
                case=cases[0],
                today=today,
                new_id=uuid.uuid4,
            )
        await repository.add_alerts(raised)
        await ChainRepository(session).add([chain.raised(a) for a in raised])
        staged = [*(_raised(event, a, now) for a in raised), *staged]
    await add_events(session, outbox, staged, now=now)


async def payment_settled(session: AsyncSession, event: PaymentSettled, now: datetime) -> None:
    """A benefit paid for a month after the month its payee was reported dead is an integrity
    finding (已死亡仍发放: check and recover), one open at a time per household."""
    data = event.data
    if data.case_id is None:
        return
    repository = WarningRepository(session)
    case = await repository.get_case(data.case_id)
    if case is None:
        return
    died = await repository.death_of(case.household_id, case.payee_ref)
    if died is None or not rules.paid_after_death([data.period], died):
        return
    if rules.PAID_AFTER_DEATH_RULE in await repository.open_rules(case.household_id):
        return
    finding = _paid_after_death(case, died, [data.period], business_date(now))
    await repository.add_alerts([finding])
    await ChainRepository(session).add([chain.raised(finding)])
    await add_events(session, outbox, [_raised(event, finding, now)], now=now)


def _paid_after_death(case: MonitoredCase, died: date, months: Sequence[Period], today: date) -> Alert:
    detail = "months " + ", ".join(str(m) for m in months)
    version = rules_in_force(today).version
    return rules.integrity_finding(
        rules.PAID_AFTER_DEATH_RULE, case, died, today, uuid.uuid4(), version=version, detail=detail
    )


def _raised(cause: Event, item: Alert, now: datetime) -> AlertRaised:
    return alert_raised(item, correlation_id=cause.correlation_id, causation_id=str(cause.id), now=now)


def alert_raised(item: Alert, *, correlation_id: str, causation_id: str, now: datetime) -> AlertRaised:
    """`monitoring.alert_raised` of an alert."""
    return AlertRaised.create(
        AlertRaisedData(
            alert_id=item.alert_id,
            household_id=item.household_id,
            rule=item.rule,
            risk_level=item.level,
            raised_on=item.raised_on,
            town_code=item.town_code,
        ),
        subject=str(item.household_id),
        correlation_id=correlation_id,
        causation_id=causation_id,
        now=now,
    )


def _review(cause: Event, item: Alert, reason: ReviewReason, now: datetime) -> ReviewRequested:
    return review_requested(item, reason, correlation_id=cause.correlation_id, causation_id=str(cause.id), now=now)


def review_requested(
    item: Alert, reason: ReviewReason, *, correlation_id: str, causation_id: str, now: datetime
) -> ReviewRequested:
    """`monitoring.review_requested` to eligibility for an alert's case (or household)."""
    return ReviewRequested.create(
        ReviewRequestedData(
            request_id=uuid.uuid4(),
            household_id=item.household_id,
            case_id=item.case_id,
            reason=reason,
            alert_id=item.alert_id if reason is ReviewReason.ALERT else None,
            requested_on=business_date(now),
        ),
        subject=str(item.household_id),
        correlation_id=correlation_id,
        causation_id=causation_id,
        now=now,
    )


async def list_alerts(
    session: AsyncSession, scope: RegionScope, *, status: str | None, limit: int, offset: int
) -> tuple[list[Alert], int]:
    """The alerts (tasks) within the caller's area: a town's staff their town's."""
    if scope.level is AccessLevel.NONE:
        raise RegionNotAllowed("the caller has no area to list", "调用方没有可查看的辖区")
    return await WarningRepository(session).page_alerts(scope, status=status, limit=limit, offset=offset)


async def get_alert(session: AsyncSession, scope: RegionScope, alert_id: UUID) -> Alert:
    item = await WarningRepository(session).get_alert(alert_id)
    if item is None:
        raise AlertNotFound(alert_id)
    scope.require(region_code=item.town_code or item.region_code)
    return item


async def dispose_alert(
    session: AsyncSession,
    scope: RegionScope,
    alert_id: UUID,
    *,
    disposition: AlertDisposition | None,
    evidence: str | None,
    by: str,
    correlation_id: str,
    now: datetime,
) -> Alert:
    """处置: close the alert with a disposition and its evidence (`rules.dispose`). Verify-and-
    terminate asks eligibility to review the case (unless the alert already did, a death)."""
    repository = WarningRepository(session)
    item = await repository.get_alert(alert_id, for_update=True)
    if item is None:
        raise AlertNotFound(alert_id)
    scope.require(region_code=item.town_code or item.region_code)
    closed = rules.dispose(item, disposition, evidence, by, business_date(now))
    await repository.save_alert(closed)
    await ChainRepository(session).add([chain.disposed(closed)])
    assert closed.disposition is not None
    events: list[Event] = [
        AlertDisposed.create(
            AlertDisposedData(
                alert_id=closed.alert_id,
                household_id=closed.household_id,
                rule=closed.rule,
                disposition=closed.disposition,
                disposed_on=business_date(now),
            ),
            subject=str(closed.household_id),
            correlation_id=correlation_id,
            now=now,
        )
    ]
    if closed.disposition is AlertDisposition.VERIFY_AND_TERMINATE and closed.rule != rules.DEATH_RULE:
        review = _review(events[0], closed, ReviewReason.ALERT, now)
        events.append(review)
    await add_events(session, outbox, events, now=now)
    return closed


async def escalate_overdue(database: Database, now: datetime) -> int:
    """The worker's job: open alerts past their due day escalate to the county (逾期上报)."""
    async with database.transaction() as session:
        return await WarningRepository(session).escalate_overdue(business_date(now))


async def draw_spot_check(
    session: AsyncSession,
    scope: RegionScope,
    *,
    region_code: str,
    category: str,
    inspectors: Sequence[str],
    share_percent: int,
    seed: int | None,
    by: str,
    now: datetime,
) -> SpotCheckDraw:
    """双随机一公开: draw cases of the county and inspectors for them, from `seed` (a fresh one
    when not given), and record the draw so it can be redone and published."""
    scope.require(region_code=region_code)
    repository = WarningRepository(session)
    cases = await repository.active_case_ids(region_code, category)
    draw = rules.draw_spot_check(
        cases,
        inspectors,
        seed=seed if seed is not None else secrets.randbits(48),
        share_percent=share_percent,
        draw_id=uuid.uuid4(),
        region_code=region_code,
        category=category,
    )
    draw = replace(draw, drawn_at=now, drawn_by=by)
    await repository.add_draw(draw)
    return draw


async def get_spot_check(session: AsyncSession, scope: RegionScope, draw_id: UUID) -> SpotCheckDraw:
    draw = await WarningRepository(session).get_draw(draw_id)
    if draw is None:
        raise SpotCheckNotFound(draw_id)
    scope.require(region_code=draw.region_code)
    return draw


async def record_spot_check_result(
    session: AsyncSession,
    scope: RegionScope,
    draw_id: UUID,
    *,
    case_id: UUID,
    outcome: SpotCheckOutcome,
    finding: SpotCheckFinding | None,
    note: str | None,
    by: str,
    correlation_id: str,
    now: datetime,
) -> SpotCheckResult:
    """抽查结果: one drawn case checked, once. A non-compliant case is a review request to
    eligibility (reason `spot_check`)."""
    repository = WarningRepository(session)
    draw = await get_spot_check(session, scope, draw_id)
    recorded = {r.case_id for r in await repository.results_of(draw_id)}
    result = rules.spot_check_result(
        draw, recorded, case_id=case_id, outcome=outcome, finding=finding, note=note, by=by, today=business_date(now)
    )
    await repository.add_result(result)
    if outcome is SpotCheckOutcome.NON_COMPLIANT:
        case = await repository.get_case(case_id)
        household = case.household_id if case is not None else case_id
        review = ReviewRequested.create(
            ReviewRequestedData(
                request_id=uuid.uuid4(),
                household_id=household,
                case_id=case_id,
                reason=ReviewReason.SPOT_CHECK,
                requested_on=business_date(now),
            ),
            subject=str(household),
            correlation_id=correlation_id,
            causation_id=str(draw_id),
            now=now,
        )
        await add_events(session, outbox, [review], now=now)
    return result


async def spot_check_publication(session: AsyncSession, scope: RegionScope, draw_id: UUID) -> dict[str, object]:
    """双随机一公开: the draw and its results as counts, fit to publish."""
    draw = await get_spot_check(session, scope, draw_id)
    return rules.publication(draw, await WarningRepository(session).results_of(draw_id))


ESCALATION_SECONDS = 3600.0


def escalation_job(runtime: Runtime) -> ScheduledJob:
    """The worker's hourly look at overdue alerts (`escalate_overdue`)."""

    async def run() -> int:
        return await escalate_overdue(runtime.database, runtime.now())

    return ScheduledJob("alert-escalation", ESCALATION_SECONDS, run)
