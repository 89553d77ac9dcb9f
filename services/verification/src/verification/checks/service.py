"""Check use cases: open a check (from an accepted application, or a caseworker's request), run
it (ask every pending query, record the answers, finish), re-query what did not answer, read it.

Opening never talks to departments: it stores the check with its queries pending (in the
caller's transaction: the consumer's inbox transaction, the route's). Running is an edge of its
own (`run_check`): it leases the check, reads the authorisations, asks the sources *outside* any
transaction, then records every answer, the query audit and — when nothing is pending — the
`verification.check_completed` event in one transaction. A runner that stops mid-way leaves the
queries pending and its lease expires: the checks job runs them again (answers already stored
are kept)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform import audit
from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.db import Database
from jiuzhu_platform.outbox import add_events
from shared.events.verification import CheckCompleted, CheckCompletedData
from shared.events.verification import Discrepancy as EventDiscrepancy
from shared.types import business_date
from verification.adapters.orm import audit_log, outbox
from verification.adapters.repository import ConsentRepository
from verification.checks.adapters.fanout import FanOut
from verification.checks.adapters.repository import CheckRepository
from verification.checks.domain import rules
from verification.checks.domain.errors import CheckNotFound
from verification.checks.domain.model import (
    Authorisation,
    Check,
    CheckStatus,
    Declared,
    QueryPurpose,
    QueryStatus,
    SourceQuery,
)
from verification.departments.domain.model import PersonQuery, Source
from verification.domain.model import Consent

SYSTEM_ACTOR = "system:application_accepted"
"""Who asks when a check starts from an accepted application (the audit's actor)."""


@dataclass(frozen=True, slots=True)
class CheckDeps:
    now: Callable[[], datetime]
    sources: tuple[Source, ...] = tuple(Source)
    lease_seconds: float = 120.0
    """How long a runner holds a check; longer than a run's worst case (timeouts × attempts)."""


@dataclass(frozen=True, slots=True)
class OpenCheck:
    """A check to open (by the consumer or a caseworker's request)."""

    household_id: UUID
    application_id: UUID | None
    purpose: QueryPurpose
    region_code: str
    town_code: str | None
    members: Sequence[rules.Person]
    declared: Declared = field(default_factory=Declared)
    requested_by: str = SYSTEM_ACTOR
    correlation_id: str = ""


async def _authorisations(session: AsyncSession, refs: Sequence[str], on: date) -> dict[str, Authorisation]:
    consents = await ConsentRepository(session).valid_for(refs, on)
    return {
        ref: Authorisation(c.id, ref, c.subject_masked_id, c.subject_resident_id or "", c.subject_name)
        for ref, c in consents.items()
    }


async def open_check(session: AsyncSession, cmd: OpenCheck, deps: CheckDeps, *, hold: bool = False) -> Check:
    """Store a check with its queries pending, or `awaiting_authorisation` naming who has no
    valid 授权书 (the caller decides whether that is a refusal: a request is refused, an event
    is stored so the caseworker sees it waiting). Never commits."""
    now = deps.now()
    refs = [m.person_ref for m in cmd.members]
    check = rules.open_check(
        uuid.uuid4(),
        household_id=cmd.household_id,
        application_id=cmd.application_id,
        purpose=cmd.purpose,
        region_code=cmd.region_code,
        town_code=cmd.town_code,
        members=cmd.members,
        authorisations=await _authorisations(session, refs, business_date(now)),
        declared=cmd.declared,
        sources=deps.sources,
        requested_by=cmd.requested_by,
        at=now,
        correlation_id=cmd.correlation_id,
    )
    # A request that runs the check itself holds it (the checks job leaves it alone until the
    # hold expires, e.g. if the request's process died before running it).
    until = now + timedelta(seconds=deps.lease_seconds) if hold else None
    await CheckRepository(session).add(check, lease_until=until)
    return check


async def already_opened(session: AsyncSession, application_id: UUID) -> bool:
    return await CheckRepository(session).exists_for_application(application_id)


def _digest(check: Check) -> str:
    """A digest of every query's outcome (for the tamper-evident audit chain): the audit entry
    holds it, the query rows hold the detail."""
    rows = [
        [str(q.query_id), q.source.value, q.status.value, q.reason, q.department_reference, len(q.findings)]
        for q in sorted(check.queries, key=lambda q: str(q.query_id))
    ]
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def completed_event(check: Check, correlation_id: str) -> CheckCompleted:
    summary = rules.summarise(check)
    completed = check.completed_at or check.requested_at
    discrepancies = tuple(
        EventDiscrepancy(item=d.item, declared_amount=d.declared, verified_amount=d.verified)
        if isinstance(d.declared, Decimal)
        else EventDiscrepancy(item=d.item, declared_count=int(d.declared), verified_count=int(d.verified))
        for d in summary.discrepancies
    )
    return CheckCompleted.create(
        CheckCompletedData(
            check_id=check.check_id,
            household_id=check.household_id,
            application_id=check.application_id,
            purpose=check.purpose.event_purpose(),
            completed_on=business_date(completed),
            departments_answered=summary.departments_answered,
            departments_missing=summary.departments_missing,
            verified_monthly_income=summary.verified_monthly_income,
            financial_assets=summary.financial_assets,
            vehicle_count=summary.vehicle_count,
            property_count=summary.property_count,
            discrepancies=discrepancies,
        ),
        subject=str(check.household_id),
        correlation_id=correlation_id,
        now=completed,
    )


async def run_check(
    database: Database,
    fanout: FanOut,
    check_id: UUID,
    deps: CheckDeps,
    *,
    correlation_id: str | None = None,
    held: bool = False,
) -> Check | None:
    """Run the pending queries of one check (an edge: its own transactions). None when another
    runner holds it. `correlation_id`: of the request that runs it (otherwise the check's own,
    from the request or event that opened it)."""
    ran = await run_checks(database, fanout, [check_id], deps, correlation_id=correlation_id, held=held)
    return ran[0] if ran else None


def _questions(check: Check, consents: dict[UUID, Consent], today: date) -> list[tuple[SourceQuery, PersonQuery]]:
    """The pending queries of `check` whose member still has a valid authorisation, as asked."""
    people = {
        m.person_ref: consent
        for m in check.members
        if m.consent_id is not None
        and (consent := consents.get(m.consent_id)) is not None
        and consent.valid_on(today)
        and consent.subject_resident_id
    }
    return [
        (
            q,
            PersonQuery(
                q.query_id,
                people[q.person_ref].subject_resident_id or "",
                people[q.person_ref].subject_name,
                check.period_start,
                check.period_end,
            ),
        )
        for q in check.pending()
        if q.person_ref in people
    ]


async def run_checks(
    database: Database,
    fanout: FanOut,
    check_ids: Sequence[UUID],
    deps: CheckDeps,
    *,
    correlation_id: str | None = None,
    held: bool = False,
) -> list[Check]:
    """Run the pending queries of several checks at once (an edge: its own transactions): lease
    them (those another runner holds are skipped), ask every query of every check concurrently
    outside any transaction, then store every answer, the events and one audit entry per check
    in one transaction (the audit chain's lock and the commit are paid once per batch, which is
    what makes batch screening 老户筛查 fast). The checks run, in order."""
    now = deps.now()
    async with database.transaction() as session:
        repository = CheckRepository(session)
        # `held`: the caller opened or re-queried these checks with a hold of its own (a request
        # running what it just asked for); otherwise take what nobody holds.
        taken = (
            list(check_ids)
            if held
            else await repository.lease(check_ids, now=now, until=now + timedelta(seconds=deps.lease_seconds))
        )
        checks = await repository.get_many(taken)
        consents = await ConsentRepository(session).by_ids(
            [m.consent_id for c in checks for m in c.members if m.consent_id]
        )
    if not checks:
        return []
    today = business_date(now)
    questions = [pair for c in checks for pair in _questions(c, consents, today)]
    answers = await fanout.ask_all([(q.source, person) for q, person in questions])
    outcomes = {q.query_id: outcome for (q, _), outcome in zip(questions, answers, strict=True)}
    async with database.transaction() as session:
        # The lease makes this runner the only one: the checks read above are still the stored
        # ones (`save_head` would refuse a changed one).
        repository = CheckRepository(session)
        at = deps.now()
        changed: list[SourceQuery] = []
        events = []
        for check in checks:
            for query in check.pending():
                outcome = outcomes.get(query.query_id)
                if outcome is None:  # the member's authorisation was revoked meanwhile
                    rules.failed(query, QueryStatus.REFUSED, "authorisation_revoked", 0)
                elif outcome.answer is not None:
                    rules.answered(query, outcome.answer.findings, outcome.answer.department_reference, at)
                else:
                    status = QueryStatus.REFUSED if outcome.refused else QueryStatus.UNAVAILABLE
                    rules.failed(query, status, outcome.reason or "unavailable", outcome.attempts)
                changed.append(query)
            rules.finish(check, at)
            await repository.save_head(check)
            if check.status in (CheckStatus.COMPLETE, CheckStatus.PARTIAL):
                events.append(completed_event(check, correlation_id or check.correlation_id))
        await repository.save_queries(changed)
        await add_events(session, outbox, events, now=at)
        for check in checks:  # last: the audit chain's lock is held until the commit
            await audit.append(session, audit_log, _audit_entry(check, correlation_id), now=at)
    return checks


def _audit_entry(check: Check, correlation_id: str | None) -> audit.AuditEntry:
    """One entry per run of a check: who asked, why, under which authorisations, the outcome and
    a digest of every query's answer (the query rows hold the detail)."""
    return audit.AuditEntry(
        kind="department_query",
        actor_kind=audit.ActorKind.SYSTEM if check.requested_by == SYSTEM_ACTOR else audit.ActorKind.STAFF,
        actor=check.requested_by,
        outcome=check.status.value,
        region_code=check.region_code,
        target_id=str(check.check_id),
        purpose=check.purpose.value,
        correlation_id=correlation_id or check.correlation_id,
        details={
            "round": check.rounds,
            "queries": len(check.queries),
            "answered": sum(q.status is QueryStatus.ANSWERED for q in check.queries),
            "consents": sorted(str(m.consent_id) for m in check.members if m.consent_id),
            "digest": _digest(check),
        },
    )


async def requery(session: AsyncSession, scope: RegionScope, check_id: UUID, deps: CheckDeps) -> Check:
    """Ask again what did not answer (or, for a check awaiting authorisation, start it once
    every member has a valid 授权书), held for the caller. Never commits; the caller runs it
    (`run_check(..., held=True)`) after committing."""
    repository = CheckRepository(session)
    check = await get(session, scope, check_id)
    if check.status is CheckStatus.AWAITING_AUTHORISATION:
        refs = [m.person_ref for m in check.members]
        authorisations = await _authorisations(session, refs, business_date(deps.now()))
        reopened = rules.open_check(
            check.check_id,
            household_id=check.household_id,
            application_id=check.application_id,
            purpose=check.purpose,
            region_code=check.region_code,
            town_code=check.town_code,
            members=[rules.Person(m.person_ref, m.masked_id) for m in check.members],
            authorisations=authorisations,
            declared=check.declared,
            sources=deps.sources,
            requested_by=check.requested_by,
            at=deps.now(),
            correlation_id=check.correlation_id,
        )
        rules.require_authorised(reopened)
        reopened.version = check.version
        await repository.replace(reopened)
        await repository.hold(check_id, deps.now() + timedelta(seconds=deps.lease_seconds))
        return reopened
    again = rules.requery(check)
    await repository.save_queries(again)
    await repository.save_head(check)
    # the caller runs it next: the checks job leaves it alone meanwhile
    await repository.hold(check_id, deps.now() + timedelta(seconds=deps.lease_seconds))
    return check


async def get(session: AsyncSession, scope: RegionScope, check_id: UUID) -> Check:
    check = await CheckRepository(session).get(check_id)
    if check is None:
        raise CheckNotFound(check_id)
    scope.require(region_code=check.area_code, household_id=str(check.household_id))
    return check


async def runnable(database: Database, now: datetime, limit: int = 50) -> list[UUID]:
    async with database.read() as session:
        return await CheckRepository(session).runnable(now, limit)
