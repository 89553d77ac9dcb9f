"""Procedure use cases: load the case file, decide with `procedure.domain.rules`, store the
new state and its step, audit, notify the applicant, and write the events. Never commits
(the request's session dependency, or the consumer's transaction, does).

Who may act is decided here from the caller's principal, in this order: the region (a
caller outside the application's area gets 403 `region_not_allowed`, as on reads), then
the capacities the principal holds (`Capacity`), then 回避 (a recorded close relative of
the applicant), then the rules' own checks (stage, four-eyes, preconditions).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.repository import ApplicationRepository
from eligibility.assessment.domain.commands import AssessHousehold
from eligibility.assessment.domain.model import Assessment
from eligibility.assessment.domain.termination import Trigger
from eligibility.assessment.service import assess_household
from eligibility.cases import service as cases_service
from eligibility.deadlines.domain.calendar import CalendarOutOfRange, WorkingDayCalendar, due_date
from eligibility.grants import service as grants_service
from eligibility.households.adapters.repository import HouseholdRepository
from eligibility.policy.domain.model import PolicyBook
from eligibility.procedure.adapters.repository import (
    ApplicationPlace,
    DecisionRecord,
    DecisionRecordRepository,
    Due,
    ProcedureRepository,
    WorkItem,
)
from eligibility.procedure.domain import commands as c
from eligibility.procedure.domain.errors import ApplicationNotFound, CapacityNotAllowed, StaleApplication, WrongStage
from eligibility.procedure.domain.model import DECIDED, Action, Capacity, CaseFile, Stage
from eligibility.procedure.domain.notices import notice_for
from eligibility.procedure.domain.rules import TRANSITIONS, Actor, Circumstances, Transition, act, pending_clocks
from eligibility.procedure.events import Publisher
from jiuzhu_platform.auth import Principal, PrincipalKind, RegionScope
from jiuzhu_platform.person_ref import person_ref
from shared.events import AssistanceType
from shared.types import ResidentId, business_date

logger = logging.getLogger(__name__)

TOWN_SCOPE = "eligibility:applications:write"
COUNTY_SCOPE = "eligibility:applications:approve"


@dataclass(frozen=True, slots=True)
class ProcedureDeps:
    """What the procedure needs besides the session: built once by the runtime."""

    calendar: WorkingDayCalendar
    policies: PolicyBook
    now: Callable[[], datetime]
    person_ref_key: bytes
    """The city-wide pseudonymisation key: people in events are person references."""
    confirmation_delegated_to_town: bool = False
    draw: Callable[[], float] = field(default=random.random)
    """A number in [0, 1) per action: the 特困 spot-check draw against the profile's share (≥30%, S2
    Art. 16) when the case goes to the county."""


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case file with what the caller sees beside it: where it stands and what is due."""

    case: CaseFile
    place: ApplicationPlace
    deadlines: tuple[Deadline, ...]


@dataclass(frozen=True, slots=True)
class Deadline:
    step: str
    start: date
    due: date
    overdue: bool
    provisional: bool
    unit: Literal["working_days", "calendar_days"]
    source: str


def capacities(caller: Principal, case: CaseFile) -> frozenset[Capacity]:
    """The capacities `caller` holds on `case` (its region already checked)."""
    held: set[Capacity] = set()
    if caller.kind is PrincipalKind.CITIZEN:
        if caller.household_id is not None and caller.household_id == str(case.household_id):
            held.add(Capacity.APPLICANT)
        return frozenset(held)
    if caller.kind is PrincipalKind.STAFF:
        if not caller.missing_scopes([TOWN_SCOPE]):
            held.add(Capacity.TOWN)
        if not caller.missing_scopes([COUNTY_SCOPE]):
            held.add(Capacity.COUNTY)
    return frozenset(held)


async def load(session: AsyncSession, application_id: UUID, scope: RegionScope) -> tuple[CaseFile, ApplicationPlace]:
    loaded = await ProcedureRepository(session).load(application_id)
    if loaded is None:
        raise ApplicationNotFound(application_id)
    case, place = loaded
    scope.require(region_code=place.town_code or place.region_code, household_id=str(case.household_id))
    return case, place


async def view(session: AsyncSession, application_id: UUID, scope: RegionScope, deps: ProcedureDeps) -> CaseView:
    case, place = await load(session, application_id, scope)
    return CaseView(case, place, deadlines(case, deps.calendar, business_date(deps.now())))


async def take_action(
    session: AsyncSession,
    application_id: UUID,
    command: c.ProcedureCommand,
    caller: Principal,
    deps: ProcedureDeps,
    *,
    expected_version: int | None = None,
    correlation_id: str,
) -> CaseView:
    """An action by a person (caseworker, approver, applicant) on an application."""
    scope = RegionScope.for_principal(caller)
    case, place = await load(session, application_id, scope)
    held = capacities(caller, case)
    repository = ProcedureRepository(session)
    is_relative = False
    if held & {Capacity.TOWN, Capacity.COUNTY} and place.applicant_index is not None:
        is_relative = await repository.relatives_of(caller.subject, [place.applicant_index])
    actor = Actor(account=caller.subject, capacities=held, is_relative=is_relative)
    return await _apply(
        session, case, place, command, actor, deps, expected_version=expected_version, correlation_id=correlation_id
    )


async def record_verification_report(
    session: AsyncSession,
    application_id: UUID,
    command: c.ReceiveVerificationReport,
    deps: ProcedureDeps,
    *,
    correlation_id: str = "verification-report",
) -> CaseView | None:
    """The county's 核对报告 arrived (`verification.check_completed`): recorded on the case
    when its stage takes one, else left (a late report for a decided case changes nothing).
    None when the application is unknown here."""
    loaded = await ProcedureRepository(session).load(application_id)
    if loaded is None:
        return None
    case, place = loaded
    actor = Actor(account="verification", capacities=frozenset({Capacity.SYSTEM}))
    if case.stage not in TRANSITIONS[Action.RECEIVE_VERIFICATION_REPORT].stages:
        return CaseView(case, place, ())
    return await _apply(
        session, case, place, command, actor, deps, expected_version=None, correlation_id=correlation_id
    )


async def _apply(
    session: AsyncSession,
    case: CaseFile,
    place: ApplicationPlace,
    command: c.ProcedureCommand,
    actor: Actor,
    deps: ProcedureDeps,
    *,
    expected_version: int | None,
    correlation_id: str,
) -> CaseView:
    if expected_version is not None and expected_version != case.version:
        raise StaleApplication(expected_version, case.version)
    repository = ProcedureRepository(session)
    now = deps.now()
    today = business_date(now)
    if isinstance(command, c.Accept):
        # 单独登记备案: a member is a recorded relative of staff or of a 村/居委会 member (S1 Art. 11)
        flagged = place.applicant_index is not None and await repository.any_relative([place.applicant_index])
        case = _flag(case, flagged)
    circumstances = Circumstances(
        now=now,
        today=today,
        spot_check_drawn=deps.draw() * 100 < case.profile.spot_check_share_percent,
        town_ceiling_fen=_town_ceiling(case, place, deps, today),
        confirmation_delegated_to_town=deps.confirmation_delegated_to_town,
    )
    transition = act(case, command, actor, circumstances)
    running = deadlines(transition.case, deps.calendar, today)
    first = min(running, key=lambda d: d.due, default=None)
    due = None if first is None else Due(first.step, first.due, first.provisional)
    if not await repository.save(transition.case, previous_version=case.version, due=due, now=now):
        raise StaleApplication(case.version, case.version + 1)
    await _notify(repository, transition, now)
    publisher = Publisher(session, correlation_id, now)
    if transition.accepted or transition.decided:
        await _publish(session, publisher, transition, place, deps, approved_by=actor.account, now=now)
    return CaseView(transition.case, place, running)


async def _publish(
    session: AsyncSession,
    publisher: Publisher,
    transition: Transition,
    place: ApplicationPlace,
    deps: ProcedureDeps,
    *,
    approved_by: str,
    now: datetime,
) -> None:
    """受理 is announced (verification starts its check on it); an approval opens a case (低保,
    特困, 边缘, 刚性支出) or pays a one-off grant (支出型 临时救助), in the same transaction, with
    the policy version in force on the decision day; every decision is announced."""
    case = transition.case
    application = await ApplicationRepository(session).get(case.application_id)
    assert application is not None
    if application.applicant_resident_id is None:
        logger.warning("application %s predates encryption at rest: no person reference, no event", case.application_id)
        return
    payee = person_ref(ResidentId(application.applicant_resident_id), deps.person_ref_key)
    record = await HouseholdRepository(session).get(case.household_id)
    members = (
        tuple(person_ref(m.resident_id, deps.person_ref_key) for m in record.current_members) if record else ()
    ) or (payee,)
    if transition.accepted:
        await publisher.accepted(case, region_code=place.region_code, town_code=place.town_code, members=members)
        return
    if case.stage is not Stage.APPROVED:
        if case.stage is Stage.REJECTED:
            await publisher.decided(case, opened_id=None)
        return
    records = await DecisionRecordRepository(session).of_application(case.application_id)
    # the version the amounts were assessed under (the latest record), else the one in force
    version = records[0].policy_version if records else deps.policies.policy_set.in_force(business_date(now)).version
    if case.assistance_type is AssistanceType.TEMPORARY:
        grant = await grants_service.grant_from_approval(
            session,
            case,
            region_code=place.region_code,
            town_code=place.town_code,
            recipient_name=application.applicant_name,
            recipient_resident_id=application.applicant_resident_id,
            policy_version=version,
            approved_by=approved_by,
            now=now,
        )
        assert grant is not None
        await publisher.decided(case, opened_id=grant.grant_id)
        await publisher.granted(grant, payee=payee)
        return
    opened = await cases_service.open_from_approval(
        session,
        case,
        region_code=place.region_code,
        town_code=place.town_code,
        policy_version=version,
        approved_by=approved_by,
        now=now,
        person_refs=tuple(m.ref for m in members),
    )
    assert opened is not None
    await publisher.decided(case, opened_id=opened.case.case_id)
    await publisher.case_approved(opened.case, case, payee=payee)


def _flag(case: CaseFile, flagged: bool) -> CaseFile:
    return dataclasses.replace(case, conflict_of_interest=flagged) if flagged else case


def _town_ceiling(case: CaseFile, place: ApplicationPlace, deps: ProcedureDeps, today: date) -> int | None:
    """临时救助: what the town may approve itself (`temporary.town_approval_multiple` × the
    monthly standard × members, DOMAIN-RULES §4.2; the household's size from the application)."""
    if case.assistance_type is not AssistanceType.TEMPORARY or case.opinion is None:
        return None
    try:
        policy = deps.policies.resolve(place.region_code, "urban", today)
    except Exception:  # no policy for the area: the county approves
        return None
    return policy.temporary_town_multiple * policy.standard * max(place.member_count, 1)


def deadlines(case: CaseFile, calendar: WorkingDayCalendar, today: date) -> tuple[Deadline, ...]:
    """The statutory limits running on `case`, with their due dates."""
    result: list[Deadline] = []
    for step, start in pending_clocks(case):
        try:
            deadline = due_date(calendar, step, start)
        except CalendarOutOfRange:
            continue
        result.append(
            Deadline(
                step=step.value,
                start=start,
                due=deadline.due,
                overdue=deadline.is_overdue(today),
                provisional=deadline.provisional,
                unit=deadline.clock.unit,
                source=deadline.clock.source,
            )
        )
    return tuple(result)


async def _notify(repository: ProcedureRepository, transition: Transition, now: datetime) -> None:
    notice = notice_for(transition.case, transition.step)
    if notice is None:
        return
    await repository.add_notice(
        application_id=transition.case.application_id,
        household_id=transition.case.household_id,
        kind=notice.kind,
        title=(notice.title_zh, notice.title_en),
        body=(notice.body_zh, notice.body_en),
        now=now,
    )


async def worklist(
    session: AsyncSession,
    scope: RegionScope,
    deps: ProcedureDeps,
    *,
    stages: tuple[Stage, ...] = (),
    town_code: str | None = None,
    assistance_type: AssistanceType | None = None,
    overdue: bool = False,
    assigned_to: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[WorkItem], int]:
    today = business_date(deps.now())
    return await ProcedureRepository(session).worklist(
        scope,
        stages=stages,
        town_code=town_code,
        assistance_type=assistance_type,
        overdue_on=today if overdue else None,
        assigned_to=assigned_to,
        limit=limit,
        offset=offset,
    )


async def assign(
    session: AsyncSession, application_id: UUID, account: str | None, caller: Principal, deps: ProcedureDeps
) -> CaseView:
    """分派: give an application to a worker of the same area (or take it back)."""
    case, place = await load(session, application_id, RegionScope.for_principal(caller))
    if not capacities(caller, case) & {Capacity.TOWN, Capacity.COUNTY}:
        raise CapacityNotAllowed("assign")
    if case.stage in DECIDED:
        raise WrongStage("assign", case.stage.value)
    if not await ProcedureRepository(session).assign(case, account, deps.now()):
        raise StaleApplication(case.version, case.version + 1)
    return CaseView(case, place, deadlines(case, deps.calendar, business_date(deps.now())))


async def record_assessment(
    session: AsyncSession,
    application_id: UUID,
    command: AssessHousehold,
    *,
    inputs_json: str,
    explain: Callable[[Assessment, list[Trigger]], dict[str, Any]],
    caller: Principal,
    deps: ProcedureDeps,
) -> DecisionRecord:
    """An assessment of the application's household, kept as a decision record: the household
    description it ran on (`inputs_json`, encrypted at rest), what it found (`explain`: the
    answer as the API gives it, personal numbers masked), the policy version, who and when."""
    case, _place = await load(session, application_id, RegionScope.for_principal(caller))
    if not capacities(caller, case) & {Capacity.TOWN, Capacity.COUNTY}:
        raise CapacityNotAllowed("assess")
    assessment, triggers = assess_household(command, deps.policies)
    record = DecisionRecord(
        id=uuid.uuid4(),
        application_id=application_id,
        recorded_at=deps.now(),
        recorded_by=caller.subject,
        policy_version=assessment.policy_version,
        category=assessment.category,
        monthly_total_fen=assessment.monthly_total,
        result=explain(assessment, triggers),
    )
    await DecisionRecordRepository(session).add(record, inputs_json)
    return record


async def decision_records(session: AsyncSession, application_id: UUID, scope: RegionScope) -> list[DecisionRecord]:
    await load(session, application_id, scope)
    return await DecisionRecordRepository(session).of_application(application_id)
