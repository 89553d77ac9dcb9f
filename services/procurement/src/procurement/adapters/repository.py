"""Loading and storing procurement's aggregates: the provider port the use cases need
(`ProviderRepository`, faked in tests/fakes.py) and the SQL adapters, in the caller's transaction
(they never commit). Each aggregate is one row: searchable columns plus the rest as JSON, coded
with pydantic's `TypeAdapter` over the domain dataclasses (one codec, no hand-written mapping)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import insert_unique
from jiuzhu_platform.outbox import add_event
from procurement.adapters.orm import bid as bid_table
from procurement.adapters.orm import care_assignment as assignment_table
from procurement.adapters.orm import contract as contract_table
from procurement.adapters.orm import evaluation as evaluation_table
from procurement.adapters.orm import outbox
from procurement.adapters.orm import project as project_table
from procurement.adapters.orm import provider as table
from procurement.adapters.orm import visit as visit_table
from procurement.domain.errors import DuplicateBid, ProviderExists
from procurement.domain.model import (
    AssignmentState,
    Bid,
    CareAssignment,
    Contract,
    Evaluation,
    PriorPurchase,
    Project,
    Provider,
    Visit,
)
from procurement.domain.policy import Method
from shared.events import Event, ProviderRegistered

T = TypeVar("T")
_PROFILE_FIELDS = ("grade", "grade_history", "conditions", "violations", "blacklist", "contact", "client_id")
_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[T]) -> TypeAdapter[T]:
    if kind not in _adapters:
        _adapters[kind] = TypeAdapter(kind)
    return _adapters[kind]


def dump(kind: type[T], value: T) -> dict[str, Any]:
    dumped = _adapter(kind).dump_python(value, mode="json")
    assert isinstance(dumped, dict)
    return dumped


def load(kind: type[T], data: dict[str, Any]) -> T:
    return _adapter(kind).validate_python(data)


class ProviderRepository(Protocol):
    """The registry of providers, as `procurement.service` uses it."""

    async def get(self, provider_id: UUID) -> Provider | None: ...

    async def find_by_credit_code(self, credit_code: str) -> Provider | None: ...

    async def add(self, provider: Provider, event: ProviderRegistered) -> None:
        """Store a new provider and stage its event, in one transaction. `ProviderExists`,
        naming the provider that won, when a concurrent registration stored the same credit
        code first (after this one looked it up)."""
        ...

    async def save(self, provider: Provider) -> None:
        """Store a changed profile (grade, conditions, violations, blacklist)."""
        ...


def _provider_row(provider: Provider) -> dict[str, Any]:
    data = dump(Provider, provider)
    profile = {k: data.pop(k) for k in _PROFILE_FIELDS}
    return {**{k: getattr(provider, k) for k in data}, "profile": json.dumps(profile, ensure_ascii=False)}


class SqlProviderRepository:
    """`ProviderRepository` in the service's database: the `provider` table, its unique credit
    code, and the outbox."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, provider: Provider, event: ProviderRegistered) -> None:
        row = _provider_row(provider)
        await insert_unique(self.session, insert(table), row, conflict=lambda: self._taken(provider))
        await add_event(self.session, outbox, event, now=provider.registered_at)

    async def save(self, provider: Provider) -> None:
        row = _provider_row(provider)
        await self.session.execute(
            update(table).where(table.c.id == provider.id).values(profile=row["profile"], version=table.c.version + 1)
        )

    async def _taken(self, provider: Provider) -> ProviderExists:
        winner = await self.find_by_credit_code(provider.credit_code)
        return ProviderExists(provider.credit_code, winner.id if winner else provider.id)

    async def get(self, provider_id: UUID) -> Provider | None:
        return await self._one(table.c.id == provider_id)

    async def find_by_credit_code(self, credit_code: str) -> Provider | None:
        return await self._one(table.c.credit_code == credit_code)

    async def many(self, ids: Sequence[UUID]) -> dict[UUID, Provider]:
        rows = (await self.session.execute(select(table).where(table.c.id.in_(list(ids))))).mappings().all()
        return {r["id"]: self._provider(r) for r in rows}

    async def page(self, *, limit: int, offset: int) -> tuple[list[Provider], int]:
        total = (await self.session.execute(select(func.count()).select_from(table))).scalar_one()
        rows = (
            (
                await self.session.execute(
                    select(table).order_by(table.c.registered_at, table.c.id).limit(limit).offset(offset)
                )
            )
            .mappings()
            .all()
        )
        return [self._provider(r) for r in rows], total

    async def ids_of_client(self, client_id: str) -> list[UUID]:
        """The providers a gateway client acts for (the link lives in the profile JSON; the
        registry is small, city-wide)."""
        rows = (await self.session.execute(select(table.c.id, table.c.profile))).all()
        return [r.id for r in rows if json.loads(r.profile or "{}").get("client_id") == client_id]

    async def _one(self, where: Any) -> Provider | None:
        row = (await self.session.execute(select(table).where(where))).mappings().first()
        return None if row is None else self._provider(row)

    @staticmethod
    def _provider(row: Any) -> Provider:
        base = {k: v for k, v in row.items() if k not in ("version", "profile")}
        return load(Provider, {**base, **json.loads(row["profile"] or "{}")})


class ProcurementRepository:
    """Projects, bids, contracts, care assignments, visits and evaluations, in the caller's
    transaction; `stage` puts an event in the outbox in the same transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stage(self, event: Event, now: datetime) -> None:
        await add_event(self.session, outbox, event, now=now)

    # ---- projects
    async def add_project(self, project: Project) -> None:
        await self.session.execute(insert(project_table).values(**self._project_row(project)))

    async def save_project(self, project: Project) -> None:
        row = self._project_row(project)
        await self.session.execute(update(project_table).where(project_table.c.id == project.id).values(**row))

    async def get_project(self, project_id: UUID, *, for_update: bool = False) -> Project | None:
        query = select(project_table.c.doc).where(project_table.c.id == project_id)
        if for_update:
            query = query.with_for_update()
        doc = (await self.session.execute(query)).scalar_one_or_none()
        return None if doc is None else load(Project, json.loads(doc))

    async def list_projects(self, where: ColumnElement[bool], *, limit: int, offset: int) -> tuple[list[Project], int]:
        total = (await self.session.execute(select(func.count()).select_from(project_table).where(where))).scalar_one()
        docs = (
            (
                await self.session.execute(
                    select(project_table.c.doc)
                    .where(where)
                    .order_by(project_table.c.bid_deadline.desc(), project_table.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        return [load(Project, json.loads(d)) for d in docs], total

    async def prior_purchases(
        self, region_code: str, fiscal_year: int, budget_item: str, service_item: str
    ) -> list[PriorPurchase]:
        """This year's purchases by purchasers of the county in the same budget line and item
        that did not fail (化整为零 counts what was bought or is being bought)."""
        rows = (
            (
                await self.session.execute(
                    select(project_table).where(
                        project_table.c.region_code == region_code,
                        project_table.c.fiscal_year == fiscal_year,
                        project_table.c.budget_item == budget_item,
                        project_table.c.service_item == service_item,
                        project_table.c.state != "failed",
                    )
                )
            )
            .mappings()
            .all()
        )
        return [
            PriorPurchase(
                r["id"], r["service_item"], r["budget_item"], r["fiscal_year"], Method(r["method"]), r["budget_fen"]
            )
            for r in rows
        ]

    @staticmethod
    def _project_row(p: Project) -> dict[str, Any]:
        return {
            "id": p.id,
            "region_code": p.region_code,
            "town_code": p.town_code,
            "purchaser": p.purchaser,
            "service_item": p.service_item,
            "budget_item": p.budget_item,
            "fiscal_year": p.fiscal_year,
            "method": p.method.value,
            "state": p.state.value,
            "budget_fen": p.budget_fen,
            "bid_deadline": p.bid_deadline,
            "doc": json.dumps(dump(Project, p), ensure_ascii=False),
        }

    # ---- bids
    async def add_bid(self, bid: Bid) -> None:
        async def taken() -> DuplicateBid:
            return DuplicateBid(bid.provider_id)

        await insert_unique(
            self.session,
            insert(bid_table),
            dump(Bid, bid)
            | {
                "id": bid.id,
                "project_id": bid.project_id,
                "provider_id": bid.provider_id,
                "submitted_at": bid.submitted_at,
            },
            conflict=taken,
        )

    async def bids_of(self, project_id: UUID) -> list[Bid]:
        rows = (
            (
                await self.session.execute(
                    select(bid_table).where(bid_table.c.project_id == project_id).order_by(bid_table.c.submitted_at)
                )
            )
            .mappings()
            .all()
        )
        return [Bid(**dict(r)) for r in rows]

    async def has_bid(self, project_id: UUID, provider_id: UUID) -> bool:
        found = await self.session.execute(
            select(bid_table.c.id).where(bid_table.c.project_id == project_id, bid_table.c.provider_id == provider_id)
        )
        return found.first() is not None

    # ---- contracts
    async def add_contract(self, contract: Contract) -> None:
        await self.session.execute(insert(contract_table).values(**self._contract_row(contract)))

    async def save_contract(self, contract: Contract) -> None:
        await self.session.execute(
            update(contract_table).where(contract_table.c.id == contract.id).values(**self._contract_row(contract))
        )

    async def get_contract(self, contract_id: UUID) -> Contract | None:
        doc = (
            await self.session.execute(select(contract_table.c.doc).where(contract_table.c.id == contract_id))
        ).scalar_one_or_none()
        return None if doc is None else load(Contract, json.loads(doc))

    async def running_contracts(self, region_code: str, service_item: str) -> list[Contract]:
        docs = (
            (
                await self.session.execute(
                    select(contract_table.c.doc)
                    .where(contract_table.c.region_code == region_code, contract_table.c.service_item == service_item)
                    .order_by(contract_table.c.term_start.desc())
                )
            )
            .scalars()
            .all()
        )
        return [load(Contract, json.loads(d)) for d in docs]

    async def list_contracts(
        self, where: ColumnElement[bool], *, limit: int, offset: int
    ) -> tuple[list[Contract], int]:
        total = (await self.session.execute(select(func.count()).select_from(contract_table).where(where))).scalar_one()
        docs = (
            (
                await self.session.execute(
                    select(contract_table.c.doc)
                    .where(where)
                    .order_by(contract_table.c.term_start.desc(), contract_table.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        return [load(Contract, json.loads(d)) for d in docs], total

    @staticmethod
    def _contract_row(c: Contract) -> dict[str, Any]:
        return {
            "id": c.id,
            "project_id": c.project_id,
            "provider_id": c.provider_id,
            "region_code": c.region_code,
            "service_item": c.service_item,
            "term_start": c.term_start,
            "term_end": c.term_end,
            "value_fen": c.value_fen,
            "doc": json.dumps(dump(Contract, c), ensure_ascii=False),
        }

    # ---- care assignments
    async def get_assignment_of_case(self, case_id: UUID) -> CareAssignment | None:
        doc = (
            await self.session.execute(select(assignment_table.c.doc).where(assignment_table.c.case_id == case_id))
        ).scalar_one_or_none()
        return None if doc is None else load(CareAssignment, json.loads(doc))

    async def get_assignment(self, assignment_id: UUID) -> CareAssignment | None:
        doc = (
            await self.session.execute(select(assignment_table.c.doc).where(assignment_table.c.id == assignment_id))
        ).scalar_one_or_none()
        return None if doc is None else load(CareAssignment, json.loads(doc))

    async def waiting_assignments(self, region_code: str) -> list[CareAssignment]:
        docs = (
            (
                await self.session.execute(
                    select(assignment_table.c.doc).where(
                        assignment_table.c.region_code == region_code,
                        assignment_table.c.state == AssignmentState.WAITING.value,
                    )
                )
            )
            .scalars()
            .all()
        )
        return [load(CareAssignment, json.loads(d)) for d in docs]

    async def list_assignments(
        self, where: ColumnElement[bool], *, limit: int, offset: int
    ) -> tuple[list[CareAssignment], int]:
        total = (
            await self.session.execute(select(func.count()).select_from(assignment_table).where(where))
        ).scalar_one()
        docs = (
            (
                await self.session.execute(
                    select(assignment_table.c.doc)
                    .where(where)
                    .order_by(assignment_table.c.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        return [load(CareAssignment, json.loads(d)) for d in docs], total

    async def save_assignment(self, a: CareAssignment, *, new: bool) -> None:
        row = {
            "id": a.id,
            "case_id": a.case_id,
            "region_code": a.region_code,
            "town_code": a.town_code,
            "household_id": a.household_id,
            "state": a.state.value,
            "contract_id": a.contract_id,
            "doc": json.dumps(dump(CareAssignment, a), ensure_ascii=False),
        }
        if new:
            await self.session.execute(insert(assignment_table).values(**row))
        else:
            await self.session.execute(update(assignment_table).where(assignment_table.c.id == a.id).values(**row))

    # ---- visits and evaluations
    async def add_visit(self, v: Visit) -> None:
        await self.session.execute(insert(visit_table).values(**asdict(v)))

    async def visits_of(self, contract_id: UUID, start: datetime, end: datetime) -> list[Visit]:
        rows = (
            (
                await self.session.execute(
                    select(visit_table)
                    .where(
                        visit_table.c.contract_id == contract_id,
                        visit_table.c.visited_at >= start,
                        visit_table.c.visited_at < end,
                    )
                    .order_by(visit_table.c.visited_at)
                )
            )
            .mappings()
            .all()
        )
        return [Visit(**dict(r)) for r in rows]

    async def page_visits(self, contract_id: UUID, *, limit: int, offset: int) -> tuple[list[Visit], int]:
        where = visit_table.c.contract_id == contract_id
        total = (await self.session.execute(select(func.count()).select_from(visit_table).where(where))).scalar_one()
        rows = (
            (
                await self.session.execute(
                    select(visit_table)
                    .where(where)
                    .order_by(visit_table.c.visited_at.desc())
                    .limit(limit)
                    .offset(offset)
                )
            )
            .mappings()
            .all()
        )
        return [Visit(**dict(r)) for r in rows], total

    async def add_evaluation(self, e: Evaluation) -> None:
        await self.session.execute(
            insert(evaluation_table).values(
                id=e.id,
                contract_id=e.contract_id,
                period=e.period,
                score=e.score,
                amount_due_fen=e.amount_due_fen,
                doc=json.dumps(dump(Evaluation, e), ensure_ascii=False),
            )
        )

    async def evaluations_of(self, contract_id: UUID) -> list[Evaluation]:
        docs = (
            (
                await self.session.execute(
                    select(evaluation_table.c.doc)
                    .where(evaluation_table.c.contract_id == contract_id)
                    .order_by(evaluation_table.c.period)
                )
            )
            .scalars()
            .all()
        )
        return [load(Evaluation, json.loads(d)) for d in docs]

    async def has_evaluation(self, contract_id: UUID, period: str) -> bool:
        found = await self.session.execute(
            select(evaluation_table.c.id).where(
                evaluation_table.c.contract_id == contract_id, evaluation_table.c.period == period
            )
        )
        return found.first() is not None
