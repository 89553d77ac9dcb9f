"""Procurement HTTP endpoints. Providers (承接主体) form one city-wide registry; projects,
contracts and care assignments belong to a county (and town) and are scoped by region. A social
organisation signs in as a third-party client of the gateway (scopes by agreement:
`procurement:bids:write`, `procurement:delivery:write`, `procurement:projects:read`,
`procurement:delivery:read`) and acts only as the provider whose `client_id` it is."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, status
from sqlalchemy import false, select, true

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, PrincipalKind, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Limit, Offset
from procurement import service as procurement_service
from procurement.adapters.calendar_file import working_day_calendar
from procurement.adapters.orm import care_assignment as assignment_table
from procurement.adapters.orm import contract as contract_table
from procurement.adapters.orm import project as project_table
from procurement.adapters.repository import ProcurementRepository, SqlProviderRepository, dump
from procurement.api import schemas as s
from procurement.domain import errors as e
from procurement.domain import rules
from procurement.domain.commands import RegisterProvider
from procurement.domain.model import (
    CareAssignment,
    Contract,
    Criterion,
    Evaluation,
    Indicator,
    Milestone,
    Project,
    Provider,
    Visit,
)
from procurement.domain.policy import NEGATIVE_LIST, SERVICE_LIST, Step
from shared.types import business_date, from_fen, to_fen

router = APIRouter(prefix="/v1/procurement", tags=["procurement"])

ProviderWriter = Annotated[Principal, requires("procurement:providers:write")]
ProviderReader = Annotated[Principal, requires("procurement:providers:read")]
ProjectWriter = Annotated[Principal, requires("procurement:projects:write")]
ProjectReader = Annotated[Principal, requires("procurement:projects:read")]
Bidder = Annotated[Principal, requires("procurement:bids:write")]
ContractWriter = Annotated[Principal, requires("procurement:contracts:write")]
DeliveryReader = Annotated[Principal, requires("procurement:delivery:read")]
DeliveryWriter = Annotated[Principal, requires("procurement:delivery:write")]
Evaluator = Annotated[Principal, requires("procurement:evaluations:write")]

PROJECT_REFUSALS = (e.ProjectNotFound, e.WrongState, e.DateOutsideCalendar, RequestInvalid)


def _acting_client(caller: Principal) -> str | None:
    """A third-party caller acts as its own provider only (its gateway client id)."""
    if caller.kind is PrincipalKind.THIRD_PARTY:
        return caller.client_id or caller.subject
    return None


def _scope_clause(scope: RegionScope, county: Any, town: Any) -> Any:
    prefix = scope.region_prefix
    if prefix is None:
        return false()
    if prefix == "":
        return true()
    if len(prefix) == 6:
        return county == prefix
    return town == prefix


# --------------------------------------------------------------------------- providers


def _profile(provider: Provider, today: Any) -> s.ProviderProfile:
    data = dump(Provider, provider)
    return s.ProviderProfile(
        **{k: data[k] for k in ("id", "credit_code", "name", "registration_category", "registered_at")},
        contact=provider.contact,
        client_id=provider.client_id,
        grade=None if provider.grade is None else s.GradeRead(**data["grade"]),
        grade_valid_today=rules.grade_valid_on(provider.grade, today),
        may_reapply_for_grade=rules.may_reapply_for_grade(provider, today),
        conditions=data["conditions"],
        unmet_conditions_today=rules.unmet_conditions(provider, today),
        violations=data["violations"],
        blacklist=data["blacklist"],
        blacklisted_today=rules.blacklisted_on(provider, today),
    )


@router.post(
    "/providers",
    status_code=status.HTTP_201_CREATED,
    summary="Register a service provider (承接主体登记)",
    responses=refusals(*PROTECTED, e.ProviderExists, RequestInvalid),
)
async def create_provider(
    body: s.ProviderCreate,
    _caller: ProviderWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> s.ProviderRead:
    command = RegisterProvider(
        credit_code=body.credit_code, name=body.name, correlation_id=correlation_id, contact=body.contact
    )
    provider = await procurement_service.register_provider(SqlProviderRepository(session), command, now=runtime.now)
    await audit.state_change(session, target_id=provider.id)
    return s.ProviderRead.model_validate(provider, from_attributes=True)


@router.get(
    "/providers/{provider_id}",
    summary="Read a provider",
    responses=refusals(*PROTECTED, e.ProviderNotFound, RequestInvalid),
)
async def get_provider(provider_id: UUID, _caller: ProviderReader, session: ReadSessionDep) -> s.ProviderRead:
    provider = await procurement_service.get_provider(SqlProviderRepository(session), provider_id)
    return s.ProviderRead.model_validate(provider, from_attributes=True)


@router.get(
    "/providers/{provider_id}/profile",
    summary="A provider's full record: grade and validity, conditions, violations, blacklist",
    responses=refusals(*PROTECTED, e.ProviderNotFound, RequestInvalid),
)
async def get_profile(
    provider_id: UUID, _caller: ProviderReader, session: ReadSessionDep, runtime: RuntimeDep
) -> s.ProviderProfile:
    provider = await procurement_service.get_provider(SqlProviderRepository(session), provider_id)
    return _profile(provider, business_date(runtime.now()))


@router.get("/providers", summary="List providers", responses=refusals(*PROTECTED, RequestInvalid))
async def list_providers(
    _caller: ProviderReader, session: ReadSessionDep, runtime: RuntimeDep, limit: Limit = 50, offset: Offset = 0
) -> s.Page:
    found, total = await SqlProviderRepository(session).page(limit=limit, offset=offset)
    today = business_date(runtime.now())
    return s.Page(total=total, items=[_profile(p, today) for p in found])


@router.put(
    "/providers/{provider_id}/grade",
    summary="Record a 评估等级 (1A–5A, valid 5 years) or cancel it",
    responses=refusals(*PROTECTED, e.ProviderNotFound, e.InvalidGrade, e.GradeReapplicationBarred, RequestInvalid),
)
async def set_grade(
    provider_id: UUID,
    body: s.GradeBody,
    _caller: ProviderWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> s.ProviderProfile:
    provider = await procurement_service.set_grade(
        SqlProviderRepository(session), provider_id, body.grade, body.awarded_on, now=runtime.now()
    )
    await audit.state_change(session, target_id=provider_id)
    return _profile(provider, business_date(runtime.now()))


@router.post(
    "/providers/{provider_id}/conditions",
    summary="Record evidence of a supplier condition (政府采购法第22条)",
    responses=refusals(*PROTECTED, e.ProviderNotFound, RequestInvalid),
)
async def add_condition(
    provider_id: UUID,
    body: s.ConditionBody,
    _caller: ProviderWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> s.ProviderProfile:
    provider = await procurement_service.add_condition(
        SqlProviderRepository(session), provider_id, body.condition, body.evidence, body.checked_on
    )
    await audit.state_change(session, target_id=provider_id)
    return _profile(provider, business_date(runtime.now()))


@router.post(
    "/providers/{provider_id}/violations",
    summary="Record a major violation (重大违法记录)",
    responses=refusals(*PROTECTED, e.ProviderNotFound, RequestInvalid),
)
async def add_violation(
    provider_id: UUID,
    body: s.ViolationBody,
    _caller: ProviderWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> s.ProviderProfile:
    provider = await procurement_service.add_violation(
        SqlProviderRepository(session), provider_id, body.kind, body.occurred_on, body.description
    )
    await audit.state_change(session, target_id=provider_id)
    return _profile(provider, business_date(runtime.now()))


@router.post(
    "/providers/{provider_id}/blacklist",
    summary="Put a provider on the blacklist for a term",
    responses=refusals(*PROTECTED, e.ProviderNotFound, e.InvalidGrade, RequestInvalid),
)
async def add_blacklisting(
    provider_id: UUID,
    body: s.BlacklistBody,
    _caller: ProviderWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> s.ProviderProfile:
    if body.until < body.start:
        raise e.InvalidGrade("the blacklist term ends before it starts", "禁入期限结束日早于开始日")
    provider = await procurement_service.blacklist(
        SqlProviderRepository(session), provider_id, body.start, body.until, body.reason
    )
    await audit.state_change(session, target_id=provider_id)
    return _profile(provider, business_date(runtime.now()))


@router.put(
    "/providers/{provider_id}/client",
    summary="Link the gateway client a social organisation signs in with",
    responses=refusals(*PROTECTED, e.ProviderNotFound, RequestInvalid),
)
async def set_client(
    provider_id: UUID,
    body: s.ClientBody,
    _caller: ProviderWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> s.ProviderProfile:
    provider = await procurement_service.set_client(SqlProviderRepository(session), provider_id, body.client_id)
    await audit.state_change(session, target_id=provider_id)
    return _profile(provider, business_date(runtime.now()))


# --------------------------------------------------------------------------- service list


@router.get("/service-list", summary="购买服务清单 and the negative list", responses=refusals(*PROTECTED))
async def service_list(_caller: ProjectReader) -> dict[str, Any]:
    return {
        "items": [
            {**dataclasses.asdict(i), "indicative_price": str(from_fen(i.indicative_price_fen))}
            for i in SERVICE_LIST.values()
        ],
        "negative_list": [dataclasses.asdict(p) for p in NEGATIVE_LIST.values()],
    }


# --------------------------------------------------------------------------- projects


def _project(project: Project, today: date | None = None) -> dict[str, Any]:
    """The project as stored; with `today`, each clock's status (on_time, late, overdue, running)."""
    data = dump(Project, project)
    if today is not None:
        for record, out in zip(project.clocks, data["clocks"], strict=True):
            out["status"] = rules.clock_status(record, today)
    return data


@router.post(
    "/projects",
    status_code=status.HTTP_201_CREATED,
    summary="Announce a purchase (采购公告), checked against §9: list, method, thresholds, 化整为零, clocks",
    responses=refusals(
        *PROTECTED,
        e.OnNegativeList,
        e.NotInServiceList,
        e.ThresholdsUnknown,
        e.MethodNotAllowed,
        e.SplittingDetected,
        e.InvalidCriteria,
        e.DeadlineTooSoon,
        e.DateOutsideCalendar,
        RegionNotAllowed,
        RequestInvalid,
    ),
)
async def create_project(
    body: s.ProjectCreate,
    caller: ProjectWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> dict[str, Any]:
    RegionScope.for_principal(caller).require(region_code=body.town_code or body.county_code)
    command = procurement_service.NewProject(
        purchaser=body.purchaser,
        region_code=body.county_code,
        town_code=body.town_code,
        title=body.title,
        service_item=body.service_item,
        budget_item=body.budget_item,
        budget_fen=to_fen(body.budget),
        fiscal_year=body.fiscal_year,
        method=body.method,
        grounds=list(body.grounds),
        bid_deadline=body.bid_deadline,
        criteria=[Criterion(c.name, c.weight, c.price) for c in body.criteria],
        quantity=body.quantity,
        grade_preference_points=body.grade_preference_points,
        required_min_grade=body.required_min_grade,
        invited=list(body.invited_provider_ids),
        finance_approval=body.finance_approval,
        includes_works=body.includes_works,
        budget_adjusted=body.budget_adjusted,
        original_contract_fen=None if body.original_contract is None else to_fen(body.original_contract),
        correlation_id=correlation_id,
        fallback_of=body.fallback_of,
        invite_at_random=body.invite_at_random,
    )
    project = await procurement_service.create_project(
        ProcurementRepository(session),
        command,
        now=runtime.now(),
        calendar=working_day_calendar(),
        providers=SqlProviderRepository(session),
    )
    await audit.state_change(session, target_id=project.id)
    return _project(project)


@router.get("/projects", summary="List projects in the caller's area", responses=refusals(*PROTECTED, RequestInvalid))
async def list_projects(
    caller: ProjectReader, session: ReadSessionDep, runtime: RuntimeDep, limit: Limit = 50, offset: Offset = 0
) -> s.Page:
    where = _scope_clause(RegionScope.for_principal(caller), project_table.c.region_code, project_table.c.town_code)
    found, total = await ProcurementRepository(session).list_projects(where, limit=limit, offset=offset)
    today = business_date(runtime.now())
    return s.Page(total=total, items=[_project(p, today) for p in found])


@router.get(
    "/projects/{project_id}",
    summary="Read a project with its clocks",
    responses=refusals(*PROTECTED, *PROJECT_REFUSALS),
)
async def get_project(
    project_id: UUID, caller: ProjectReader, session: ReadSessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    scope = RegionScope.for_principal(caller)
    project = await procurement_service.get_project(ProcurementRepository(session), scope, project_id)
    return _project(project, business_date(runtime.now()))


@router.post(
    "/projects/{project_id}/bids",
    status_code=status.HTTP_201_CREATED,
    summary="Submit a sealed bid before the deadline",
    responses=refusals(
        *PROTECTED,
        *PROJECT_REFUSALS,
        e.BidTooLate,
        e.PublicityRunning,
        e.ProviderNotFound,
        e.ProviderBlacklisted,
        e.SupplierConditionsUnmet,
        e.GradeRequirementUnmet,
        e.NotInvited,
        e.DuplicateBid,
    ),
)
async def submit_bid(
    project_id: UUID, body: s.BidCreate, caller: Bidder, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> s.BidReceipt:
    bid = await procurement_service.submit_bid(
        ProcurementRepository(session),
        SqlProviderRepository(session),
        RegionScope.for_principal(caller),
        project_id,
        body.provider_id,
        to_fen(body.price),
        body.proposal,
        now=runtime.now(),
        acting_client=_acting_client(caller),
    )
    await audit.state_change(session, target_id=bid.id)
    return s.BidReceipt(id=bid.id, project_id=project_id, provider_id=bid.provider_id, submitted_at=bid.submitted_at)


@router.get(
    "/projects/{project_id}/bids",
    summary="Read the bids (only after the opening)",
    responses=refusals(*PROTECTED, *PROJECT_REFUSALS, e.BidsSealed),
)
async def read_bids(
    project_id: UUID, caller: ProjectWriter, session: ReadSessionDep, runtime: RuntimeDep
) -> list[s.BidRead]:
    bids = await procurement_service.read_bids(
        ProcurementRepository(session), RegionScope.for_principal(caller), project_id, now=runtime.now()
    )
    return [
        s.BidRead(
            id=b.id,
            project_id=b.project_id,
            provider_id=b.provider_id,
            submitted_at=b.submitted_at,
            price=str(from_fen(b.price_fen)),
            proposal=b.proposal,
        )
        for b in bids
    ]


@router.post(
    "/projects/{project_id}/opening",
    summary="开标 at or after the deadline (fails the project with too few bids)",
    responses=refusals(*PROTECTED, *PROJECT_REFUSALS, e.BidsSealed, e.PublicityRunning),
)
async def open_project(
    project_id: UUID, caller: ProjectWriter, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> dict[str, Any]:
    project = await procurement_service.open_project(
        ProcurementRepository(session),
        RegionScope.for_principal(caller),
        project_id,
        now=runtime.now(),
        calendar=working_day_calendar(),
    )
    await audit.state_change(session, target_id=project_id)
    return _project(project)


@router.post(
    "/projects/{project_id}/evaluation",
    summary="The panel's scores → ranking and 评审报告 (2 WD after the opening)",
    responses=refusals(*PROTECTED, *PROJECT_REFUSALS, e.InvalidPanel, e.BidNotRanked),
)
async def evaluate_bids(
    project_id: UUID,
    body: s.EvaluationPanelBody,
    caller: ProjectWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> dict[str, Any]:
    project = await procurement_service.evaluate_bids(
        ProcurementRepository(session),
        SqlProviderRepository(session),
        RegionScope.for_principal(caller),
        project_id,
        body.scores,
        now=runtime.now(),
        calendar=working_day_calendar(),
    )
    await audit.state_change(session, target_id=project_id)
    return _project(project)


@router.post(
    "/projects/{project_id}/award",
    summary="确定中标/成交供应商 (5 WD after the report) and announce it",
    responses=refusals(*PROTECTED, *PROJECT_REFUSALS, e.BidNotRanked),
)
async def award(
    project_id: UUID,
    body: s.AwardBody,
    caller: ProjectWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> dict[str, Any]:
    project = await procurement_service.award(
        ProcurementRepository(session),
        RegionScope.for_principal(caller),
        project_id,
        body.bid_id,
        now=runtime.now(),
        calendar=working_day_calendar(),
    )
    await audit.state_change(session, target_id=project_id)
    return _project(project)


@router.post(
    "/projects/{project_id}/contract",
    status_code=status.HTTP_201_CREATED,
    summary="签订合同 with the winner (≤30 days after the award; term ≤1 year, ≤3 under conditions)",
    responses=refusals(*PROTECTED, *PROJECT_REFUSALS, e.InvalidTerm, e.InvalidMilestones, e.ProviderNotFound),
)
async def sign_contract(
    project_id: UUID,
    body: s.ContractCreate,
    caller: ContractWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> dict[str, Any]:
    command = procurement_service.NewContract(
        term_start=body.term_start,
        term_end=body.term_end,
        budget_assured=body.budget_assured,
        stable_service=body.stable_service,
        milestones=[Milestone(m.name, m.period, m.share_percent) for m in body.milestones],
        correlation_id=correlation_id,
    )
    project, contract = await procurement_service.sign_contract(
        ProcurementRepository(session),
        SqlProviderRepository(session),
        RegionScope.for_principal(caller),
        project_id,
        command,
        now=runtime.now(),
        calendar=working_day_calendar(),
    )
    await audit.state_change(session, target_id=contract.id)
    return {"contract": dump(Contract, contract), "project": _project(project)}


# --------------------------------------------------------------------------- contracts


@router.get("/contracts", summary="List contracts in the caller's area", responses=refusals(*PROTECTED, RequestInvalid))
async def list_contracts(
    caller: ProjectReader, session: ReadSessionDep, limit: Limit = 50, offset: Offset = 0
) -> s.Page:
    where = _scope_clause(RegionScope.for_principal(caller), contract_table.c.region_code, contract_table.c.region_code)
    found, total = await ProcurementRepository(session).list_contracts(where, limit=limit, offset=offset)
    return s.Page(total=total, items=[dump(Contract, c) for c in found])


@router.get(
    "/contracts/{contract_id}",
    summary="Read a contract",
    responses=refusals(*PROTECTED, e.ContractNotFound, RequestInvalid),
)
async def get_contract(contract_id: UUID, caller: ProjectReader, session: ReadSessionDep) -> dict[str, Any]:
    scope = RegionScope.for_principal(caller)
    return dump(Contract, await procurement_service.get_contract(ProcurementRepository(session), scope, contract_id))


@router.post(
    "/contracts/{contract_id}/steps",
    summary="Record the contract's announcement (2 WD) or filing (7 WD)",
    responses=refusals(*PROTECTED, e.ContractNotFound, *PROJECT_REFUSALS),
)
async def contract_step(
    contract_id: UUID, body: s.ContractStepBody, caller: ContractWriter, session: SessionDep, audit: AuditDep
) -> dict[str, Any]:
    project = await procurement_service.record_contract_step(
        ProcurementRepository(session), RegionScope.for_principal(caller), contract_id, Step(body.step), body.on
    )
    await audit.state_change(session, target_id=contract_id)
    return _project(project)


@router.post(
    "/contracts/{contract_id}/supplements",
    summary="补充合同 (cumulative ≤10% of the original)",
    responses=refusals(*PROTECTED, e.ContractNotFound, e.SupplementTooLarge, RequestInvalid),
)
async def add_supplement(
    contract_id: UUID,
    body: s.SupplementBody,
    caller: ContractWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> dict[str, Any]:
    contract = await procurement_service.add_supplement(
        ProcurementRepository(session),
        RegionScope.for_principal(caller),
        contract_id,
        to_fen(body.amount),
        body.reason,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=contract_id)
    return dump(Contract, contract)


@router.post(
    "/contracts/{contract_id}/evaluations",
    status_code=status.HTTP_201_CREATED,
    summary="验收 and 绩效评价 of a milestone → amount due (procurement.evaluation_completed)",
    responses=refusals(
        *PROTECTED,
        e.ContractNotFound,
        e.NoSuchMilestone,
        e.AlreadyEvaluated,
        e.InvalidCriteria,
        e.RecipientOpinionsMissing,
        RequestInvalid,
    ),
)
async def evaluate_contract(
    contract_id: UUID,
    body: s.EvaluationBody,
    caller: Evaluator,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> dict[str, Any]:
    indicators = (
        list(rules.DEFAULT_INDICATORS)
        if body.indicators is None
        else [Indicator(i.name, i.weight, i.measured) for i in body.indicators]
    )
    evaluation = await procurement_service.evaluate_contract(
        ProcurementRepository(session),
        RegionScope.for_principal(caller),
        contract_id,
        body.period,
        indicators=indicators,
        evaluator_scores=body.scores,
        planned_visits=body.planned_visits,
        recipient_opinions=body.recipient_opinions,
        evaluator=body.evaluator,
        evaluator_type=body.evaluator_type,
        now=runtime.now(),
        correlation_id=correlation_id,
    )
    await audit.state_change(session, target_id=evaluation.id)
    data = dump(Evaluation, evaluation)
    data["amount_due"] = str(from_fen(evaluation.amount_due_fen))
    return data


@router.get(
    "/contracts/{contract_id}/evaluations",
    summary="The published acceptance and evaluation results of a contract (验收结果公开)",
    responses=refusals(*PROTECTED, e.ContractNotFound, RequestInvalid),
)
async def list_evaluations(contract_id: UUID, caller: ProjectReader, session: ReadSessionDep) -> list[dict[str, Any]]:
    repo = ProcurementRepository(session)
    await procurement_service.get_contract(repo, RegionScope.for_principal(caller), contract_id)
    found = await repo.evaluations_of(contract_id)
    return [dump(Evaluation, ev) | {"amount_due": str(from_fen(ev.amount_due_fen))} for ev in found]


# --------------------------------------------------------------------------- delivery


@router.get(
    "/care-assignments",
    summary="Care assignments (委托照料) in the caller's area, or a provider's own",
    responses=refusals(*PROTECTED, RequestInvalid),
)
async def list_assignments(
    caller: DeliveryReader, session: ReadSessionDep, limit: Limit = 50, offset: Offset = 0
) -> s.Page:
    repo = ProcurementRepository(session)
    client = _acting_client(caller)
    if client is not None:
        mine = await SqlProviderRepository(session).ids_of_client(client)
        owned = select(contract_table.c.id).where(contract_table.c.provider_id.in_(mine))
        where = assignment_table.c.contract_id.in_(owned)
    else:
        where = _scope_clause(
            RegionScope.for_principal(caller), assignment_table.c.region_code, assignment_table.c.town_code
        )
    found, total = await repo.list_assignments(where, limit=limit, offset=offset)
    return s.Page(total=total, items=[dump(CareAssignment, a) for a in found])


@router.get(
    "/contracts/{contract_id}/visits",
    summary="The visit and care records delivered under a contract (newest first)",
    responses=refusals(*PROTECTED, e.ContractNotFound, RequestInvalid),
)
async def list_visits(
    contract_id: UUID, caller: DeliveryReader, session: ReadSessionDep, limit: Limit = 50, offset: Offset = 0
) -> s.Page:
    repo = ProcurementRepository(session)
    contract = await procurement_service.get_contract(repo, RegionScope.for_principal(caller), contract_id)
    client = _acting_client(caller)
    if client is not None and contract.provider_id not in await SqlProviderRepository(session).ids_of_client(client):
        raise e.ContractNotFound(contract_id)
    found, total = await repo.page_visits(contract_id, limit=limit, offset=offset)
    return s.Page(total=total, items=[dump(Visit, v) for v in found])


@router.put(
    "/care-assignments/{assignment_id}/carer",
    summary="Assign or replace the carer (更换照料人员)",
    responses=refusals(*PROTECTED, e.AssignmentNotFound, e.AssignmentEnded, RequestInvalid),
)
async def set_carer(
    assignment_id: UUID, body: s.CarerBody, caller: DeliveryWriter, session: SessionDep, audit: AuditDep
) -> dict[str, Any]:
    assignment = await procurement_service.set_carer(
        ProcurementRepository(session), RegionScope.for_principal(caller), assignment_id, body.carer
    )
    await audit.state_change(session, target_id=assignment_id)
    return dump(CareAssignment, assignment)


@router.post(
    "/care-assignments/{assignment_id}/visits",
    status_code=status.HTTP_201_CREATED,
    summary="Record a visit or care session (who, whom, when, how long, what, satisfaction)",
    responses=refusals(
        *PROTECTED, e.AssignmentNotFound, e.AssignmentEnded, e.ContractNotFound, e.ContractNotRunning, RequestInvalid
    ),
)
async def record_visit(
    assignment_id: UUID,
    body: s.VisitCreate,
    caller: DeliveryWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> dict[str, Any]:
    visit = await procurement_service.record_visit(
        ProcurementRepository(session),
        SqlProviderRepository(session),
        RegionScope.for_principal(caller),
        assignment_id,
        staff=body.staff,
        visited_at=body.visited_at,
        minutes=body.minutes,
        content=body.content,
        satisfaction=body.satisfaction,
        now=runtime.now(),
        acting_client=_acting_client(caller),
        correlation_id=correlation_id,
    )
    await audit.state_change(session, target_id=visit.id)
    return {
        "id": str(visit.id),
        "assignment_id": str(assignment_id),
        "contract_id": str(visit.contract_id),
        "staff": visit.staff,
        "visited_at": visit.visited_at.isoformat(),
        "minutes": visit.minutes,
        "content": visit.content,
        "satisfaction": visit.satisfaction,
    }


@router.post(
    "/care-assignments/{assignment_id}/complaints",
    status_code=status.HTTP_201_CREATED,
    summary="Record a complaint about the care (投诉)",
    responses=refusals(*PROTECTED, e.AssignmentNotFound, RequestInvalid),
)
async def add_complaint(
    assignment_id: UUID,
    body: s.ComplaintBody,
    caller: ContractWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> dict[str, Any]:
    assignment = await procurement_service.add_complaint(
        ProcurementRepository(session),
        RegionScope.for_principal(caller),
        assignment_id,
        body.content,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=assignment_id)
    return dump(CareAssignment, assignment)


@router.post(
    "/care-assignments/{assignment_id}/complaints/{complaint_id}/resolution",
    summary="Record how a complaint was handled",
    responses=refusals(*PROTECTED, e.AssignmentNotFound, e.ComplaintNotFound, RequestInvalid),
)
async def resolve_complaint(
    assignment_id: UUID,
    complaint_id: UUID,
    body: s.ResolutionBody,
    caller: ContractWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> dict[str, Any]:
    assignment = await procurement_service.resolve_complaint(
        ProcurementRepository(session),
        RegionScope.for_principal(caller),
        assignment_id,
        complaint_id,
        body.resolution,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=assignment_id)
    return dump(CareAssignment, assignment)
