"""Demo data of procurement (政府购买服务) for `make run`: three providers (one 4A, one without
a grade, one on the blacklist), an open 竞争性磋商 project taking bids, and a care contract of a
past 竞争性磋商 (bids, panel, award, contract with milestones) running now, whose care
assignments (the demo's dispersed 特困 approvals, or one demo recipient when the slice has
none) carry visit records by the provider's staff.

Written through procurement's use cases on its own runtime with explicit instants (the past
steps happen at their past dates, as the clocks need), in one transaction per step; the events
(`procurement.contract_awarded`, `procurement.service_delivered`) leave through the outbox like
any other. A newcomer signs in as `procurement` (city-wide procurement officer) and reads
`/v1/procurement/projects`, `/contracts`, `/care-assignments` through `/docs`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.person_ref import person_ref
from jiuzhu_platform.runtime import Runtime
from procurement import service
from procurement.adapters.calendar_file import working_day_calendar
from procurement.adapters.repository import ProcurementRepository, SqlProviderRepository
from procurement.domain import rules
from procurement.domain.commands import RegisterProvider
from procurement.domain.model import AssignmentState, Condition, Criterion, Grade, Milestone
from procurement.domain.policy import Ground, Method
from shared.types import (
    ResidentId,
    business_date,
    credit_code_check_char,
    org_code_check_char,
    resident_id_check_digit,
)

logger = logging.getLogger(__name__)

COUNTY = "520102"  # 南明区
CITY = RegionScope(AccessLevel.CITY)
PROVIDERS = (  # (registration prefix + division, organisation code body, name, grade)
    ("52520102", "50000011", "贵阳市南明区阳光社会工作服务中心", Grade.A4),
    ("52520102", "50000022", "贵阳市同心社会工作服务社", None),
    ("92520102", "50000033", "某某家政服务社（禁入期内）", Grade.A2),
)


def _criteria() -> list[Criterion]:
    return [Criterion("price", 30, price=True), Criterion("service_plan", 50), Criterion("experience", 20)]


def _project(title: str, *, deadline: datetime, budget_fen: int, year: int, item: str = "care") -> service.NewProject:
    return service.NewProject(
        purchaser="贵阳市南明区民政局",
        region_code=COUNTY,
        town_code=None,
        title=title,
        service_item=item,
        budget_item="2081001",
        budget_fen=budget_fen,
        fiscal_year=year,
        method=Method.COMPETITIVE_CONSULTATION,
        grounds=[Ground.PURCHASE_OF_SERVICES],
        bid_deadline=deadline,
        criteria=_criteria(),
        quantity=60,
        grade_preference_points=3,
        required_min_grade=None,
        invited=[],
        finance_approval=None,
        includes_works=False,
        budget_adjusted=True,
        original_contract_fen=None,
        correlation_id="demo-procurement",
    )


def _code(head: str, org: str) -> str:
    """A valid credit code: registration prefix and division, the organisation code with its
    check character, then the code's own check character."""
    body = head + org + org_code_check_char(org)
    return body + credit_code_check_char(body)


async def load_demo_procurement(runtime: Runtime, *, now: datetime) -> UUID | None:
    """The providers, the open project and the running contract with visits; the contract id."""
    calendar = working_day_calendar()
    db = runtime.database
    providers: list[UUID] = []
    async with db.transaction() as session:
        repo = SqlProviderRepository(session)
        for head, org, name, grade in PROVIDERS:
            code = _code(head, org)
            if await repo.find_by_credit_code(code) is not None:
                return None  # loaded before
            p = await service.register_provider(
                repo, RegisterProvider(code, name, "demo-procurement", contact="0851-8888 0000"), now=lambda: now
            )
            for condition in Condition:
                await service.add_condition(
                    repo,
                    p.id,
                    condition,
                    f"{condition.value} 证明材料（演示）",
                    business_date(now) - timedelta(days=200),
                )
            if grade is not None:
                await service.set_grade(repo, p.id, grade, business_date(now) - timedelta(days=700), now=now)
            providers.append(p.id)
        await service.blacklist(
            repo,
            providers[2],
            business_date(now) - timedelta(days=30),
            business_date(now) + timedelta(days=3 * 365),
            "提供虚假材料谋取成交（演示）",
        )

    # a past 竞争性磋商 taken to a contract that runs now
    announced = now - timedelta(days=130)
    deadline = announced + timedelta(days=15)
    async with db.transaction() as session:
        project = await service.create_project(
            ProcurementRepository(session),
            _project(
                "南明区分散供养特困人员委托照料服务（演示）",
                deadline=deadline,
                budget_fen=36_000_000,
                year=deadline.year,
            ),
            now=announced,
            calendar=calendar,
        )
    bids = []
    for provider_id, price in ((providers[0], 32_000_000), (providers[1], 30_000_000)):
        async with db.transaction() as session:
            bids.append(
                await service.submit_bid(
                    ProcurementRepository(session),
                    SqlProviderRepository(session),
                    CITY,
                    project.id,
                    provider_id,
                    price,
                    "服务方案（演示）",
                    now=announced + timedelta(days=5),
                    acting_client=None,
                )
            )
    opening = deadline + timedelta(minutes=30)
    async with db.transaction() as session:
        projects = ProcurementRepository(session)
        await service.open_project(projects, CITY, project.id, now=opening, calendar=calendar)
        scores = {
            m: {bids[0].id: {"service_plan": 90, "experience": 88}, bids[1].id: {"service_plan": 80, "experience": 75}}
            for m in ("专家甲", "专家乙", "专家丙")
        }
        await service.evaluate_bids(
            projects,
            SqlProviderRepository(session),
            CITY,
            project.id,
            scores,
            now=opening + timedelta(days=1),
            calendar=calendar,
        )
        await service.award(projects, CITY, project.id, None, now=opening + timedelta(days=3), calendar=calendar)
        signed = opening + timedelta(days=10)
        start = business_date(signed) + timedelta(days=5)
        end = rules.add_years(start, 1) - timedelta(days=1)
        half = start + timedelta(days=182)
        _, contract = await service.sign_contract(
            projects,
            SqlProviderRepository(session),
            CITY,
            project.id,
            service.NewContract(
                term_start=start,
                term_end=end,
                budget_assured=False,
                stable_service=False,
                milestones=[
                    Milestone("上半年", f"{half.year}-{half.month:02d}", 50),
                    Milestone("下半年", f"{end.year}-{end.month:02d}", 50),
                ],
                correlation_id="demo-procurement",
            ),
            now=signed,
            calendar=calendar,
        )

    # an open project taking bids now (the deadline 20 days ahead)
    open_deadline = now + timedelta(days=20)
    async with db.transaction() as session:
        await service.create_project(
            ProcurementRepository(session),
            _project(
                "南明区困难群众探访关爱服务（演示）",
                deadline=open_deadline,
                budget_fen=18_000_000,
                year=open_deadline.year,
                item="visiting",
            ),
            now=now,
            calendar=calendar,
        )

    await _visits(runtime, contract.id, now=now)
    return contract.id


async def _visits(runtime: Runtime, contract_id: UUID, *, now: datetime) -> None:
    """One demo recipient in the contract's care since two months, with a visit a week by the
    provider's carer. (The demo's own dispersed 特困 approvals reach procurement through the
    bus and are assigned to the same contract from the day they arrive.)"""
    body = "52010219400101001"
    resident = ResidentId(body + resident_id_check_digit(body))
    async with runtime.database.transaction() as session:
        repo = ProcurementRepository(session)
        assignment = await service.assign_care(
            repo,
            case_id=UUID(int=0x5EED),
            household_id=UUID(int=0x5EED),
            person=person_ref(resident, runtime.settings.person_ref_secret()),
            region_code=COUNTY,
            town_code=None,
            start=business_date(now) - timedelta(days=60),
        )
        if assignment is None or assignment.state is not AssignmentState.ACTIVE:
            return
        await service.set_carer(repo, CITY, assignment.id, "王护理员（演示）")
        for week in range(1, 9):
            await service.record_visit(
                repo,
                SqlProviderRepository(session),
                CITY,
                assignment.id,
                staff="王护理员（演示）",
                visited_at=now - timedelta(days=7 * week),
                minutes=60 + 5 * week,
                content="助浴、打扫卫生、测量血压、陪同聊天",
                satisfaction=5 if week % 3 else 4,
                now=now,
                acting_client=None,
            )
    logger.info("demo data: procurement contract %s, a care assignment with 8 visits", contract_id)
