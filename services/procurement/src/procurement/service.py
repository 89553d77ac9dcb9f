"""Procurement use cases: look up through the repositories, decide with the domain rules, store
the result with its event. No commit here (the caller's transaction commits: a route's session,
a consumer's inbox transaction); the clock is passed in (`now`), the working-day calendar too.

The line: provider register → project (method, thresholds, 化整为零, clocks) → sealed bids →
opening → panel scoring → award → contract (`procurement.contract_awarded`) → care
assignments from eligibility's 分散供养 approvals → visit records (`procurement.service_delivered`)
→ performance evaluation and the amount due (`procurement.evaluation_completed`)."""

from __future__ import annotations

import calendar as month_calendar
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

from jiuzhu_platform.auth import RegionScope
from procurement.adapters.repository import ProcurementRepository, ProviderRepository, SqlProviderRepository
from procurement.domain import rules
from procurement.domain.commands import RegisterProvider
from procurement.domain.errors import (
    AlreadyEvaluated,
    AssignmentEnded,
    AssignmentNotFound,
    BidNotRanked,
    ComplaintNotFound,
    ContractNotFound,
    ContractNotRunning,
    DuplicateBid,
    ProjectNotFound,
    ProviderExists,
    ProviderNotFound,
    WrongState,
)
from procurement.domain.model import (
    AssignmentState,
    Bid,
    Blacklisting,
    CareAssignment,
    Complaint,
    Condition,
    ConditionEvidence,
    Contract,
    Criterion,
    Evaluation,
    Grade,
    Indicator,
    Milestone,
    Project,
    ProjectState,
    Provider,
    Violation,
    ViolationKind,
    Visit,
)
from procurement.domain.policy import POLICY_VERSION, SERVICE_LIST, Ground, Method, Step
from shared.events import ContractAwarded, EvaluationCompleted, ServiceDelivered
from shared.events.procurement import ContractAwardedData, EvaluationCompletedData, ServiceDeliveredData
from shared.types import PersonRef, from_fen
from shared.types.business_time import BUSINESS_TZ, business_date
from shared.types.period import Period
from shared.workdays import WorkingDayCalendar

Now = Callable[[], datetime]


# --------------------------------------------------------------------------- providers


async def register_provider(
    providers: ProviderRepository, cmd: RegisterProvider, *, now: Callable[[], datetime]
) -> Provider:
    existing = await providers.find_by_credit_code(cmd.credit_code)
    if existing is not None:
        raise ProviderExists(cmd.credit_code, existing.id)
    provider, event = rules.register_provider(cmd, now=now())
    await providers.add(provider, event)  # ProviderExists too if a concurrent registration won the code
    return provider


async def get_provider(providers: ProviderRepository, provider_id: UUID) -> Provider:
    provider = await providers.get(provider_id)
    if provider is None:
        raise ProviderNotFound(provider_id)
    return provider


async def set_grade(
    providers: ProviderRepository, provider_id: UUID, grade: Grade | None, awarded_on: date, *, now: datetime
) -> Provider:
    """Record a 评估等级 (grade) or its cancellation (grade None)."""
    provider = await get_provider(providers, provider_id)
    today = business_date(now)
    changed = (
        rules.cancel_grade(provider, awarded_on)
        if grade is None
        else rules.set_grade(provider, grade, awarded_on, today=today)
    )
    await providers.save(changed)
    return changed


async def add_condition(
    providers: ProviderRepository, provider_id: UUID, condition: Condition, evidence: str, checked_on: date
) -> Provider:
    provider = await get_provider(providers, provider_id)
    kept = [c for c in provider.conditions if c.condition is not condition]
    changed = replace(provider, conditions=[*kept, ConditionEvidence(condition, evidence, checked_on)])
    await providers.save(changed)
    return changed


async def add_violation(
    providers: ProviderRepository, provider_id: UUID, kind: ViolationKind, occurred_on: date, description: str
) -> Provider:
    provider = await get_provider(providers, provider_id)
    changed = replace(provider, violations=[*provider.violations, Violation(kind, occurred_on, description)])
    await providers.save(changed)
    return changed


async def blacklist(
    providers: ProviderRepository, provider_id: UUID, start: date, until: date, reason: str
) -> Provider:
    provider = await get_provider(providers, provider_id)
    changed = replace(provider, blacklist=[*provider.blacklist, Blacklisting(start, until, reason)])
    await providers.save(changed)
    return changed


async def set_client(providers: ProviderRepository, provider_id: UUID, client_id: str | None) -> Provider:
    """The gateway client a social organisation signs in with (its own profile and bids)."""
    provider = await get_provider(providers, provider_id)
    changed = replace(provider, client_id=client_id)
    await providers.save(changed)
    return changed


# --------------------------------------------------------------------------- projects


@dataclass(frozen=True, slots=True)
class NewProject:
    purchaser: str
    region_code: str
    town_code: str | None
    title: str
    service_item: str
    budget_item: str
    budget_fen: int
    fiscal_year: int
    method: Method
    grounds: list[Ground]
    bid_deadline: datetime
    criteria: list[Criterion]
    quantity: int
    grade_preference_points: int
    required_min_grade: Grade | None
    invited: list[UUID]
    finance_approval: str | None
    includes_works: bool
    budget_adjusted: bool
    original_contract_fen: int | None
    correlation_id: str
    fallback_of: UUID | None = None
    invite_at_random: int | None = None


async def create_project(
    repo: ProcurementRepository,
    cmd: NewProject,
    *,
    now: datetime,
    calendar: WorkingDayCalendar,
    providers: SqlProviderRepository | None = None,
) -> Project:
    """Check the purchase against §9 and announce it: on the service list and off the negative
    list, the method's conditions, 化整为零 against this year's purchases of the county in the
    same budget line and item, the criteria, and the least period to the bid deadline."""
    today = business_date(now)
    rules.check_purchasable(cmd.service_item, includes_works=cmd.includes_works)
    thresholds = rules.thresholds_for(cmd.region_code, cmd.fiscal_year)
    rules.check_method(
        cmd.method,
        cmd.grounds,
        budget_fen=cmd.budget_fen,
        thresholds=thresholds,
        finance_approval=cmd.finance_approval,
        invited=len(cmd.invited),
        original_contract_fen=cmd.original_contract_fen,
    )
    prior = await repo.prior_purchases(cmd.region_code, cmd.fiscal_year, cmd.budget_item, cmd.service_item)
    rules.check_not_split(
        service_item=cmd.service_item,
        budget_item=cmd.budget_item,
        fiscal_year=cmd.fiscal_year,
        method=cmd.method,
        budget_fen=cmd.budget_fen,
        prior=prior,
        thresholds=thresholds,
        budget_adjusted=cmd.budget_adjusted,
    )
    rules.check_criteria(cmd.criteria)
    if cmd.fallback_of is not None:
        failed = await repo.get_project(cmd.fallback_of)
        if failed is None or failed.region_code != cmd.region_code:
            raise ProjectNotFound(cmd.fallback_of)
        rules.check_fallback(failed, cmd.method, cmd.grounds)
    project = Project(
        id=uuid4(),
        purchaser=cmd.purchaser,
        region_code=cmd.region_code,
        town_code=cmd.town_code,
        title=cmd.title,
        service_item=cmd.service_item,
        budget_item=cmd.budget_item,
        budget_fen=cmd.budget_fen,
        fiscal_year=cmd.fiscal_year,
        method=cmd.method,
        grounds=list(cmd.grounds),
        state=ProjectState.OPEN,
        announced_on=today,
        bid_deadline=cmd.bid_deadline,
        criteria=list(cmd.criteria),
        quantity=cmd.quantity,
        grade_preference_points=cmd.grade_preference_points,
        required_min_grade=cmd.required_min_grade,
        invited=list(cmd.invited),
        finance_approval=cmd.finance_approval,
        fallback_of=cmd.fallback_of,
        policy_version=POLICY_VERSION,
        correlation_id=cmd.correlation_id,
    )
    rules.plan_project(
        project, calendar=calendar, today=today, deadline_day=business_date(cmd.bid_deadline), thresholds=thresholds
    )
    if cmd.invite_at_random is not None and providers is not None:
        seed = secrets.randbits(63)
        registry, _ = await providers.page(limit=10_000, offset=0)
        project.invited = rules.choose_invitees(project, registry, cmd.invite_at_random, day=today, seed=seed)
        project.invitation_seed = seed
        rules.check_method(
            cmd.method,
            cmd.grounds,
            budget_fen=cmd.budget_fen,
            thresholds=thresholds,
            finance_approval=cmd.finance_approval,
            invited=len(project.invited),
            original_contract_fen=cmd.original_contract_fen,
        )
    if project.publicity_until is not None:
        project.state = ProjectState.PUBLICITY
    await repo.add_project(project)
    return project


async def get_project(
    repo: ProcurementRepository, scope: RegionScope, project_id: UUID, *, for_update: bool = False
) -> Project:
    project = await repo.get_project(project_id, for_update=for_update)
    if project is None or not scope.allows(region_code=project.town_code or project.region_code):
        raise ProjectNotFound(project_id)
    return project


async def _refresh_publicity(repo: ProcurementRepository, project: Project, today: date) -> None:
    """A 单一来源 公示 that has run its 5 WD opens the project for the supplier's offer."""
    if (
        project.state is ProjectState.PUBLICITY
        and project.publicity_until is not None
        and today > project.publicity_until
    ):
        project.state = ProjectState.OPEN
        await repo.save_project(project)


async def submit_bid(
    repo: ProcurementRepository,
    providers: SqlProviderRepository,
    scope: RegionScope,
    project_id: UUID,
    provider_id: UUID,
    price_fen: int,
    proposal: str,
    *,
    now: datetime,
    acting_client: str | None,
) -> Bid:
    """A sealed bid, before the deadline, by a provider that may bid (blacklist, conditions,
    the project's stated grade requirement, invitation). A provider signed in as a gateway
    client bids only as itself."""
    project = await get_project(repo, scope, project_id, for_update=True)
    await _refresh_publicity(repo, project, business_date(now))
    rules.check_bid_in_time(project, now)
    provider = await get_provider(providers, provider_id)
    if acting_client is not None and provider.client_id != acting_client:
        raise ProviderNotFound(provider_id)
    rules.check_may_bid(provider, project, business_date(now))
    if await repo.has_bid(project_id, provider_id):
        raise DuplicateBid(provider_id)
    bid = Bid(uuid4(), project_id, provider_id, now, price_fen, proposal)
    await repo.add_bid(bid)
    return bid


async def read_bids(repo: ProcurementRepository, scope: RegionScope, project_id: UUID, *, now: datetime) -> list[Bid]:
    project = await get_project(repo, scope, project_id)
    rules.check_bids_readable(project, now)
    return await repo.bids_of(project_id)


async def open_project(
    repo: ProcurementRepository, scope: RegionScope, project_id: UUID, *, now: datetime, calendar: WorkingDayCalendar
) -> Project:
    project = await get_project(repo, scope, project_id, for_update=True)
    await _refresh_publicity(repo, project, business_date(now))
    bids = await repo.bids_of(project_id)
    rules.open_bids(project, bids, at=now, today=business_date(now), calendar=calendar)
    await repo.save_project(project)
    return project


async def evaluate_bids(
    repo: ProcurementRepository,
    providers: SqlProviderRepository,
    scope: RegionScope,
    project_id: UUID,
    panel_scores: dict[str, dict[UUID, dict[str, int]]],
    *,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> Project:
    project = await get_project(repo, scope, project_id, for_update=True)
    if project.state is not ProjectState.OPENED:
        raise WrongState(project.id, project.state, "opened")
    bids = await repo.bids_of(project_id)
    known = {b.id for b in bids}
    for by_bid in panel_scores.values():
        for bid_id in by_bid:
            if bid_id not in known:
                raise BidNotRanked(bid_id)
    bidders = await providers.many([b.provider_id for b in bids])
    today = business_date(now)
    scores = rules.score_bids(project, bids, bidders, panel_scores, day=today)
    rules.submit_evaluation(project, scores, sorted(panel_scores), today=today, calendar=calendar)
    await repo.save_project(project)
    return project


async def award(
    repo: ProcurementRepository,
    scope: RegionScope,
    project_id: UUID,
    bid_id: UUID | None,
    *,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> Project:
    project = await get_project(repo, scope, project_id, for_update=True)
    rules.award(project, bid_id, today=business_date(now), calendar=calendar)
    await repo.save_project(project)
    return project


@dataclass(frozen=True, slots=True)
class NewContract:
    term_start: date
    term_end: date
    budget_assured: bool
    stable_service: bool
    milestones: list[Milestone]
    correlation_id: str


async def sign_contract(
    repo: ProcurementRepository,
    providers: SqlProviderRepository,
    scope: RegionScope,
    project_id: UUID,
    cmd: NewContract,
    *,
    now: datetime,
    calendar: WorkingDayCalendar,
) -> tuple[Project, Contract]:
    """签订合同 with the winner; `procurement.contract_awarded` staged; a care contract takes
    the county's waiting care assignments."""
    project = await get_project(repo, scope, project_id, for_update=True)
    if project.state is not ProjectState.AWARDED or project.winner_bid_id is None:
        raise WrongState(project.id, project.state, "awarded")
    winner = next(b for b in await repo.bids_of(project_id) if b.id == project.winner_bid_id)
    provider = await get_provider(providers, winner.provider_id)
    today = business_date(now)
    contract = rules.sign_contract(
        project,
        winner,
        provider,
        item=SERVICE_LIST[project.service_item],
        term_start=cmd.term_start,
        term_end=cmd.term_end,
        budget_assured=cmd.budget_assured,
        stable_service=cmd.stable_service,
        milestones=cmd.milestones,
        today=today,
        calendar=calendar,
        correlation_id=cmd.correlation_id,
    )
    await repo.add_contract(contract)
    await repo.save_project(project)
    await repo.stage(
        ContractAwarded.create(
            ContractAwardedData(
                contract_id=contract.id,
                provider_id=provider.id,
                provider_credit_code=provider.credit_code,
                service=contract.service,
                value=from_fen(contract.value_fen),
                county_code=contract.region_code,
                term_start=contract.term_start,
                term_end=contract.term_end,
            ),
            subject=str(contract.id),
            correlation_id=cmd.correlation_id,
            now=now,
        ),
        now,
    )
    if project.service_item == "care":
        for waiting in await repo.waiting_assignments(contract.region_code):
            if rules.contract_running_on(contract, max(today, waiting.started_on)):
                _assign(waiting, contract)
                await repo.save_assignment(waiting, new=False)
    return project, contract


async def get_contract(repo: ProcurementRepository, scope: RegionScope, contract_id: UUID) -> Contract:
    contract = await repo.get_contract(contract_id)
    if contract is None or not scope.allows(region_code=contract.region_code):
        raise ContractNotFound(contract_id)
    return contract


async def record_contract_step(
    repo: ProcurementRepository, scope: RegionScope, contract_id: UUID, step: Step, on: date
) -> Project:
    """合同公告 (2 WD) or 备案 (7 WD) done on `on`: the clock records whether it was on time."""
    contract = await get_contract(repo, scope, contract_id)
    project = await get_project(repo, scope, contract.project_id, for_update=True)
    record = project.clock(step)
    if step not in (Step.CONTRACT_ANNOUNCEMENT, Step.CONTRACT_FILING) or record is None:
        raise WrongState(project.id, project.state, f"a running {step} clock")
    record.done_on = on
    if step is Step.CONTRACT_ANNOUNCEMENT:
        contract.announced_on = on
    else:
        contract.filed_on = on
    await repo.save_contract(contract)
    await repo.save_project(project)
    return project


async def add_supplement(
    repo: ProcurementRepository, scope: RegionScope, contract_id: UUID, amount_fen: int, reason: str, *, now: datetime
) -> Contract:
    contract = await get_contract(repo, scope, contract_id)
    rules.add_supplement(contract, amount_fen, business_date(now), reason)
    await repo.save_contract(contract)
    return contract


# --------------------------------------------------------------------------- care and visits


def _assign(assignment: CareAssignment, contract: Contract) -> None:
    assignment.state = AssignmentState.ACTIVE
    assignment.contract_id = contract.id
    assignment.provider_id = contract.provider_id


async def assign_care(
    repo: ProcurementRepository,
    *,
    case_id: UUID,
    household_id: UUID,
    person: PersonRef,
    region_code: str,
    town_code: str | None,
    start: date,
) -> CareAssignment | None:
    """A dispersed 特困 person approved: a care assignment to the county's running care
    contract (the one that started last), or waiting for one. Told once per case."""
    if await repo.get_assignment_of_case(case_id) is not None:
        return None
    assignment = CareAssignment(
        id=uuid4(),
        case_id=case_id,
        household_id=household_id,
        person_ref=person.ref,
        person_masked=person.masked_id,
        region_code=region_code,
        town_code=town_code,
        state=AssignmentState.WAITING,
        started_on=start,
    )
    running = [c for c in await repo.running_contracts(region_code, "care") if rules.contract_running_on(c, start)]
    if running:
        _assign(assignment, running[0])
    await repo.save_assignment(assignment, new=True)
    return assignment


async def end_care(repo: ProcurementRepository, case_id: UUID, on: date, reason: str) -> CareAssignment | None:
    assignment = await repo.get_assignment_of_case(case_id)
    if assignment is None or assignment.state is AssignmentState.ENDED:
        return None
    assignment.state, assignment.ended_on, assignment.end_reason = AssignmentState.ENDED, on, reason
    await repo.save_assignment(assignment, new=False)
    return assignment


async def set_carer(repo: ProcurementRepository, scope: RegionScope, assignment_id: UUID, carer: str) -> CareAssignment:
    """Assign or replace the carer (更换照料人员)."""
    assignment = await get_assignment(repo, scope, assignment_id)
    if assignment.state is AssignmentState.ENDED:
        raise AssignmentEnded(assignment_id)
    assignment.carer = carer
    assignment.carers.append(carer)
    await repo.save_assignment(assignment, new=False)
    return assignment


async def add_complaint(
    repo: ProcurementRepository, scope: RegionScope, assignment_id: UUID, content: str, *, now: datetime
) -> CareAssignment:
    """A complaint about the care (投诉), recorded by the purchaser's staff."""
    assignment = await get_assignment(repo, scope, assignment_id)
    assignment.complaints.append(Complaint(uuid4(), business_date(now), content))
    await repo.save_assignment(assignment, new=False)
    return assignment


async def resolve_complaint(
    repo: ProcurementRepository,
    scope: RegionScope,
    assignment_id: UUID,
    complaint_id: UUID,
    resolution: str,
    *,
    now: datetime,
) -> CareAssignment:
    assignment = await get_assignment(repo, scope, assignment_id)
    complaint = next((c for c in assignment.complaints if c.id == complaint_id), None)
    if complaint is None:
        raise ComplaintNotFound(complaint_id)
    complaint.resolved_on, complaint.resolution = business_date(now), resolution
    await repo.save_assignment(assignment, new=False)
    return assignment


async def get_assignment(repo: ProcurementRepository, scope: RegionScope, assignment_id: UUID) -> CareAssignment:
    assignment = await repo.get_assignment(assignment_id)
    if assignment is None or not scope.allows(region_code=assignment.town_code or assignment.region_code):
        raise AssignmentNotFound(assignment_id)
    return assignment


async def record_visit(
    repo: ProcurementRepository,
    providers: SqlProviderRepository,
    scope: RegionScope,
    assignment_id: UUID,
    *,
    staff: str,
    visited_at: datetime,
    minutes: int,
    content: str,
    satisfaction: int | None,
    now: datetime,
    acting_client: str | None,
    correlation_id: str = "",
) -> Visit:
    """A visit or care record by the provider's staff on an active assignment, within the
    contract's term and not in the future; `procurement.service_delivered` staged."""
    assignment = await get_assignment(repo, scope, assignment_id)
    if assignment.state is not AssignmentState.ACTIVE or assignment.contract_id is None:
        raise AssignmentEnded(assignment_id)
    contract = await get_contract(repo, scope, assignment.contract_id)
    if acting_client is not None:
        provider = await get_provider(providers, contract.provider_id)
        if provider.client_id != acting_client:
            raise AssignmentNotFound(assignment_id)
    day = business_date(visited_at)
    if visited_at > now or not rules.contract_running_on(contract, day) or day < assignment.started_on:
        raise ContractNotRunning(contract.id, day)
    visit = Visit(
        uuid4(),
        contract.id,
        assignment.id,
        assignment.person_ref,
        staff,
        visited_at,
        minutes,
        content,
        satisfaction,
        assignment.region_code,
    )
    await repo.add_visit(visit)
    await repo.stage(
        ServiceDelivered.create(
            ServiceDeliveredData(
                delivery_id=visit.id,
                contract_id=contract.id,
                recipient=PersonRef(ref=assignment.person_ref, masked_id=assignment.person_masked),
                service=contract.service,
                delivered_on=day,
                duration_minutes=minutes,
                satisfaction=satisfaction,
            ),
            subject=str(contract.id),
            correlation_id=correlation_id or contract.correlation_id or str(contract.id),
            now=now,
        ),
        now,
    )
    return visit


# --------------------------------------------------------------------------- evaluation


def _period_window(contract: Contract, period: str) -> tuple[datetime, datetime]:
    """The instants of a milestone's period: from the day after the previous milestone's month
    (or the term's start) to the end of this milestone's month, business time."""
    periods = sorted(m.period for m in contract.milestones)
    earlier = [p for p in periods if p < period]
    if earlier:
        y, m = map(int, earlier[-1].split("-"))
        start = date(y, m, month_calendar.monthrange(y, m)[1]) + timedelta(days=1)
    else:
        start = contract.term_start
    y, m = map(int, period.split("-"))
    end = date(y, m, month_calendar.monthrange(y, m)[1]) + timedelta(days=1)

    def instant(d: date) -> datetime:
        return datetime.combine(d, time(0), tzinfo=BUSINESS_TZ).astimezone(UTC)

    return instant(start), instant(end)


async def evaluate_contract(
    repo: ProcurementRepository,
    scope: RegionScope,
    contract_id: UUID,
    period: str,
    *,
    indicators: list[Indicator],
    evaluator_scores: dict[str, int],
    planned_visits: int,
    recipient_opinions: int,
    evaluator: str,
    evaluator_type: str,
    now: datetime,
    correlation_id: str = "",
) -> Evaluation:
    """验收 and 绩效评价 of a milestone period from the visit records; the amount due by the
    linkage rule; `procurement.evaluation_completed` staged for payment."""
    contract = await get_contract(repo, scope, contract_id)
    if await repo.has_evaluation(contract_id, period):
        raise AlreadyEvaluated(contract_id, period)
    start, end = _period_window(contract, period)
    visits = await repo.visits_of(contract_id, start, end)
    today = business_date(now)
    score, scores, due, mean = rules.evaluate(
        contract,
        period,
        visits,
        indicators=indicators,
        evaluator_scores=evaluator_scores,
        planned_visits=planned_visits,
        recipient_opinions=recipient_opinions,
        evaluator=evaluator,
        evaluator_type=evaluator_type,
        today=today,
    )
    evaluation = Evaluation(
        id=uuid4(),
        contract_id=contract_id,
        period=period,
        evaluator=evaluator,
        evaluator_type=evaluator_type,
        scores=scores,
        score=score,
        visits=len(visits),
        minutes=sum(v.minutes for v in visits),
        mean_satisfaction=None if mean is None else rules.two_places(mean),
        recipient_opinions=recipient_opinions,
        amount_due_fen=due,
        evaluated_on=today,
        policy_version=POLICY_VERSION,
    )
    await repo.add_evaluation(evaluation)
    await repo.stage(
        EvaluationCompleted.create(
            EvaluationCompletedData(
                evaluation_id=evaluation.id,
                contract_id=contract_id,
                period=Period.parse(period),
                score=score,
                amount_due=from_fen(due),
                evaluated_on=today,
            ),
            subject=str(contract_id),
            correlation_id=correlation_id or contract.correlation_id or str(contract_id),
            now=now,
        ),
        now,
    )
    return evaluation
