"""Loading and storing the ledger: entitlements with their versions, grants, deceased persons."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from payment.adapters.among import among
from payment.ledger.adapters.orm import deceased_person, entitlement, entitlement_version, temporary_grant
from payment.ledger.domain.model import Entitlement, Grant, Version
from shared.events.eligibility import CaseCategory
from shared.types import Period


def _insert(session: AsyncSession, table: Any) -> Any:
    """A dialect insert (ON CONFLICT): PostgreSQL and SQLite both have it."""
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(self, e: Entitlement, now: datetime) -> None:
        """Insert or replace the entitlement and its versions."""
        values = {
            "household_id": e.household_id,
            "county_code": e.county_code,
            "town_code": e.town_code,
            "category": e.category.value,
            "payee_ref": e.payee_ref,
            "payee_masked": e.payee_masked,
            "first_month": str(e.first_month),
            "entitled_until": None if e.entitled_until is None else str(e.entitled_until),
            # Whatever changed (an approval, a backdated change, a termination, a reinstatement),
            # the next calculation looks at every month of the case again.
            "recheck_from": str(e.first_month),
            "updated_at": now,
        }
        exists = await self.session.scalar(select(entitlement.c.case_id).where(entitlement.c.case_id == e.case_id))
        if exists is None:
            await self.session.execute(insert(entitlement), {"case_id": e.case_id, **values})
        else:
            await self.session.execute(update(entitlement).where(entitlement.c.case_id == e.case_id).values(**values))
            await self.session.execute(delete(entitlement_version).where(entitlement_version.c.case_id == e.case_id))
        await self.session.execute(
            insert(entitlement_version),
            [{"case_id": e.case_id, "effective_from": str(v.effective_from), "amounts": v.amounts} for v in e.versions],
        )

    async def get(self, case_id: UUID) -> Entitlement | None:
        found = await self._load(select(entitlement).where(entitlement.c.case_id == case_id))
        return found[0] if found else None

    async def page(self, county_code: str, after: UUID | None, limit: int) -> list[Entitlement]:
        """Entitlements of a county in case-id order after `after` (keyset paging: a city never
        sits in memory)."""
        statement = select(entitlement).where(entitlement.c.county_code == county_code)
        if after is not None:
            statement = statement.where(entitlement.c.case_id > after)
        return await self._load(statement.order_by(entitlement.c.case_id).limit(limit))

    async def count(self, county_code: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).select_from(entitlement).where(entitlement.c.county_code == county_code)
            )
            or 0
        )

    async def _load(self, statement: Any) -> list[Entitlement]:
        rows = (await self.session.execute(statement)).mappings().all()
        if not rows:
            return []
        versions: dict[UUID, list[Version]] = {r["case_id"]: [] for r in rows}
        for v in (
            await self.session.execute(
                select(entitlement_version).where(entitlement_version.c.case_id.in_(list(versions)))
            )
        ).mappings():
            versions[v["case_id"]].append(Version(Period.parse(v["effective_from"]), dict(v["amounts"])))
        return [
            Entitlement(
                case_id=r["case_id"],
                household_id=r["household_id"],
                county_code=r["county_code"],
                town_code=r["town_code"],
                category=CaseCategory(r["category"]),
                payee_ref=r["payee_ref"],
                payee_masked=r["payee_masked"],
                versions=sorted(versions[r["case_id"]], key=lambda v: v.effective_from),
                entitled_until=None if r["entitled_until"] is None else Period.parse(r["entitled_until"]),
            )
            for r in rows
        ]

    async def add_grant(self, g: Grant, granted_on: date) -> None:
        await self.session.execute(
            _insert(self.session, temporary_grant).on_conflict_do_nothing(index_elements=["grant_id"]),
            {
                "grant_id": g.grant_id,
                "household_id": g.household_id,
                "county_code": g.county_code,
                "town_code": g.town_code,
                "payee_ref": g.payee_ref,
                "payee_masked": g.payee_masked,
                "amount_fen": g.amount_fen,
                "period": str(g.period),
                "by_bank": int(g.by_bank),
                "granted_on": granted_on,
            },
        )

    async def bank_grants(self, county_code: str, through: Period) -> list[Grant]:
        rows = (
            await self.session.execute(
                select(temporary_grant).where(
                    temporary_grant.c.county_code == county_code,
                    temporary_grant.c.by_bank == 1,
                    temporary_grant.c.period <= str(through),
                )
            )
        ).mappings()
        return [
            Grant(
                r["grant_id"],
                r["household_id"],
                r["county_code"],
                r["town_code"],
                r["payee_ref"],
                r["payee_masked"],
                r["amount_fen"],
                Period.parse(r["period"]),
                bool(r["by_bank"]),
            )
            for r in rows
        ]

    async def mark_deceased(self, person_ref: str, died_on: date, now: datetime) -> None:
        await self.session.execute(
            _insert(self.session, deceased_person).on_conflict_do_nothing(index_elements=["person_ref"]),
            {"person_ref": person_ref, "died_on": died_on, "reported_at": now},
        )

    async def deceased_among(self, refs: Collection[str]) -> set[str]:
        if not refs:
            return set()
        rows = await self.session.execute(
            select(deceased_person.c.person_ref).where(among(self.session, deceased_person.c.person_ref, refs))
        )
        return {r[0] for r in rows}

    async def cases_of_payee(self, person_ref: str) -> Sequence[UUID]:
        rows = await self.session.execute(select(entitlement.c.case_id).where(entitlement.c.payee_ref == person_ref))
        return [r[0] for r in rows]
