"""Active-case use cases: open a case on approval, act on it (review, amount, suspension,
termination), and the daily housekeeping (due reviews, ended phase-outs, ended termination
公示). Never commits. Each change that moves money is returned as a `CaseChange` whose
`benefit` / `terminated` the caller publishes (`cases.events`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.repository import ApplicationRepository
from eligibility.cases.adapters.repository import CaseRepository
from eligibility.cases.domain import rules
from eligibility.cases.domain.model import Case, CaseCategory, CaseStatus, ReviewReason
from eligibility.cases.domain.rules import CaseActor, CaseChange
from eligibility.procedure.domain.errors import StaleApplication
from eligibility.procedure.domain.model import Capacity, CaseFile
from eligibility.procedure.events import Publisher
from jiuzhu_platform.auth import Principal, PrincipalKind, RegionScope
from jiuzhu_platform.errors import NotFound
from jiuzhu_platform.person_ref import person_ref
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.worker import ScheduledJob
from shared.events import AssistanceType
from shared.types import Period, ResidentId, business_date

CATEGORY_OF: dict[AssistanceType, CaseCategory] = {
    AssistanceType.DIBAO: CaseCategory.DIBAO,
    AssistanceType.TEKUN: CaseCategory.TEKUN,
    AssistanceType.MARGINAL: CaseCategory.MARGINAL,
    AssistanceType.EXPENDITURE: CaseCategory.RIGID_EXPENDITURE,
}
"""Approved applications of these types open a case; 临时救助 is a one-off grant instead."""

SYSTEM = CaseActor("system", frozenset({Capacity.SYSTEM}))

Decide = Callable[[Case, CaseActor, datetime, date], CaseChange]
"""A rule applied to a loaded case: `decide(case, actor, now, today)`."""


class CaseNotFound(NotFound):
    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"case {case_id} not found", message_zh=f"未找到救助对象档案 {case_id}")


@dataclass(frozen=True, slots=True)
class CaseSettings:
    review_months_stable: int = 12
    review_months_tekun: int = 12
    rigid_validity_months: int = 12
    max_phase_out_months: int = 6


def actor_of(caller: Principal) -> CaseActor:
    held: set[Capacity] = set()
    if caller.kind is PrincipalKind.STAFF:
        if not caller.missing_scopes(["eligibility:applications:write"]):
            held.add(Capacity.TOWN)
        if not caller.missing_scopes(["eligibility:applications:approve"]):
            held.add(Capacity.COUNTY)
    elif caller.kind is PrincipalKind.CITIZEN:
        held.add(Capacity.APPLICANT)
    return CaseActor(caller.subject, frozenset(held))


async def open_from_approval(
    session: AsyncSession,
    case_file: CaseFile,
    *,
    region_code: str,
    town_code: str | None,
    policy_version: str,
    approved_by: str,
    now: datetime,
    person_refs: tuple[str, ...] = (),
    settings: CaseSettings = CaseSettings(),
) -> CaseChange | None:
    """The case an approval opens (None for 临时救助, which is a one-off grant)."""
    category = CATEGORY_OF.get(case_file.assistance_type)
    decision = case_file.decision
    if category is None or decision is None or not decision.approved or decision.effective_month is None:
        return None
    every = {
        CaseCategory.TEKUN: settings.review_months_tekun,
        CaseCategory.RIGID_EXPENDITURE: settings.rigid_validity_months,
    }.get(category, settings.review_months_stable)
    change = rules.open_case(
        case_id=uuid.uuid4(),
        application_id=case_file.application_id,
        household_id=case_file.household_id,
        category=category,
        region_code=region_code,
        town_code=town_code,
        monthly_fen=decision.amount_fen,
        start_month=Period.from_date(decision.effective_month),
        policy_version=policy_version,
        review_every_months=every,
        actor=approved_by,
        now=now,
        today=business_date(now),
    )
    repository = CaseRepository(session)
    await repository.add(change.case, now)
    await repository.add_people(change.case.case_id, person_refs)
    return change


async def load(session: AsyncSession, case_id: UUID, scope: RegionScope) -> Case:
    case = await CaseRepository(session).get(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    scope.require(region_code=case.town_code or case.region_code, household_id=str(case.household_id))
    return case


async def change(
    session: AsyncSession,
    case_id: UUID,
    caller: Principal,
    decide: Decide,
    *,
    now: datetime,
    expected_version: int | None = None,
) -> CaseChange:
    """Load (region-checked), decide with `decide(case, actor, now, today)`, store."""
    case = await load(session, case_id, RegionScope.for_principal(caller))
    return await _store(session, case, decide(case, actor_of(caller), now, business_date(now)), now, expected_version)


async def system_change(session: AsyncSession, case: Case, decide: Decide, *, now: datetime) -> CaseChange:
    return await _store(session, case, decide(case, SYSTEM, now, business_date(now)), now, None)


async def _store(
    session: AsyncSession, case: Case, result: CaseChange, now: datetime, expected_version: int | None
) -> CaseChange:
    if expected_version is not None and expected_version != case.version:
        raise StaleApplication(expected_version, case.version)
    if not await CaseRepository(session).save(result.case, previous_version=case.version, now=now):
        raise StaleApplication(case.version, case.version + 1)
    return result


async def housekeeping(session: AsyncSession, *, now: datetime) -> list[CaseChange]:
    """The daily run: open the reviews that are due, end finished phase-outs, and make
    terminations whose 公示 ended without objection take effect."""
    repository = CaseRepository(session)
    today = business_date(now)
    done: list[CaseChange] = []
    for case_id in await repository.due_ids(today, (CaseStatus.ACTIVE,)):
        case = await repository.get(case_id)
        if case is not None and rules.due_for_review(case, today):
            done.append(
                await system_change(
                    session, case, lambda c, a, n, t: rules.open_review(c, ReviewReason.SCHEDULED, a, n, t), now=now
                )
            )
    for case_id in await repository.with_status(CaseStatus.PHASE_OUT):
        case = await repository.get(case_id)
        if case is not None and case.phase_out_until is not None and Period.from_date(today) > case.phase_out_until:
            done.append(await system_change(session, case, rules.end_phase_out, now=now))
    for case_id in await repository.with_status(CaseStatus.TERMINATION_PUBLICIZING):
        case = await repository.get(case_id)
        if (
            case is not None
            and case.termination_publicity_until is not None
            and today > case.termination_publicity_until
        ):
            done.append(await system_change(session, case, rules.close_termination_publicity, now=now))
    return done


async def publish(session: AsyncSession, change: CaseChange, key: bytes, *, correlation_id: str, now: datetime) -> None:
    """`benefit_changed` / `case_terminated` for a change that moves money (nothing otherwise)."""
    if change.benefit is None and change.terminated is None:
        return
    application = await ApplicationRepository(session).get(change.case.application_id)
    if application is None or application.applicant_resident_id is None:
        return
    payee = person_ref(ResidentId(application.applicant_resident_id), key)
    await Publisher(session, correlation_id, now).case_changed(change, payee=payee)


HOUSEKEEPING_SECONDS = 3600.0
"""How often the worker runs the case housekeeping (hourly: a due review opens the same day)."""


def housekeeping_job(runtime: Runtime) -> ScheduledJob:
    """The worker's daily case work (`housekeeping`), each change published in its transaction."""

    async def run() -> int:
        now = runtime.now()
        key = runtime.settings.person_ref_secret()
        async with runtime.database.transaction() as session:
            changes = await housekeeping(session, now=now)
            for change in changes:
                await publish(session, change, key, correlation_id=f"housekeeping-{business_date(now)}", now=now)
        return len(changes)

    return ScheduledJob("case-housekeeping", HOUSEKEEPING_SECONDS, run)
