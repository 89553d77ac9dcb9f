"""Loading and storing checks. A check is saved whole on creation; afterwards its queries are
updated one by one as answers arrive, and its head (status, rounds, lease) with optimistic
concurrency on `version`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verification.checks.adapters.orm import check, check_member, check_query
from verification.checks.domain.errors import CheckChanged
from verification.checks.domain.model import (
    Check,
    CheckMember,
    CheckStatus,
    Declared,
    QueryPurpose,
    QueryStatus,
    SourceQuery,
)
from verification.departments.domain.model import Finding, FindingKind, Source


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "kind": f.kind.value,
        "category": f.category,
        "reference": f.reference,
        "month": f.month,
        "amount": None if f.amount is None else str(f.amount),
        "count": f.count,
        "occurred_on": None if f.occurred_on is None else f.occurred_on.isoformat(),
        "detail": f.detail,
    }


def _finding(d: dict[str, Any]) -> Finding:
    return Finding(
        kind=FindingKind(d["kind"]),
        category=d["category"],
        reference=d["reference"],
        month=d["month"],
        amount=None if d["amount"] is None else Decimal(d["amount"]),
        count=d["count"],
        occurred_on=None if d["occurred_on"] is None else date.fromisoformat(d["occurred_on"]),
        detail=d["detail"],
    )


def _declared_json(d: Declared) -> dict[str, Any]:
    return {
        "monthly_income": None if d.monthly_income is None else str(d.monthly_income),
        "financial_assets": None if d.financial_assets is None else str(d.financial_assets),
        "vehicles": d.vehicles,
        "properties": d.properties,
        "businesses": d.businesses,
    }


def _declared(d: dict[str, Any]) -> Declared:
    def money(v: str | None) -> Decimal | None:
        return None if v is None else Decimal(v)

    return Declared(
        money(d.get("monthly_income")),
        money(d.get("financial_assets")),
        d.get("vehicles"),
        d.get("properties"),
        d.get("businesses"),
    )


def _query_values(q: SourceQuery) -> dict[str, Any]:
    return {
        "status": q.status.value,
        "attempts": q.attempts,
        "reason": q.reason,
        "answered_at": q.answered_at,
        "department_reference": q.department_reference[:100],
        "findings": [_finding_json(f) for f in q.findings],
    }


_QUERY_COLUMNS = ("status", "attempts", "reason", "answered_at", "department_reference", "findings")


class CheckRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, c: Check, *, lease_until: datetime | None = None) -> None:
        await self.session.execute(
            insert(check),
            {
                "check_id": c.check_id,
                "household_id": c.household_id,
                "application_id": c.application_id,
                "purpose": c.purpose.value,
                "region_code": c.region_code,
                "town_code": c.town_code,
                "requested_by": c.requested_by[:200],
                "requested_at": c.requested_at,
                "correlation_id": c.correlation_id[:200],
                "period_start": c.period_start,
                "period_end": c.period_end,
                "declared": _declared_json(c.declared),
                "status": c.status.value,
                "completed_at": c.completed_at,
                "rounds": c.rounds,
                "lease_until": lease_until,
                "version": c.version,
            },
        )
        await self._add_members_and_queries(c)

    async def _add_members_and_queries(self, c: Check) -> None:
        await self.session.execute(
            insert(check_member),
            [
                {
                    "check_id": c.check_id,
                    "person_ref": m.person_ref,
                    "masked_id": m.masked_id,
                    "consent_id": m.consent_id,
                    "position": i,
                }
                for i, m in enumerate(c.members)
            ],
        )
        if c.queries:
            await self.session.execute(
                insert(check_query),
                [
                    {
                        "query_id": q.query_id,
                        "check_id": c.check_id,
                        "person_ref": q.person_ref,
                        "source": q.source.value,
                    }
                    | _query_values(q)
                    for q in c.queries
                ],
            )

    async def replace(self, c: Check) -> None:
        """A check awaiting authorisation that now starts: its members and queries anew."""
        await self.session.execute(delete(check_member).where(check_member.c.check_id == c.check_id))
        await self.session.execute(delete(check_query).where(check_query.c.check_id == c.check_id))
        await self._add_members_and_queries(c)
        await self.save_head(c)

    async def exists_for_application(self, application_id: UUID) -> bool:
        found = await self.session.scalar(select(check.c.check_id).where(check.c.application_id == application_id))
        return found is not None

    async def get(self, check_id: UUID) -> Check | None:
        found = await self.get_many([check_id])
        return found[0] if found else None

    async def get_many(self, check_ids: Sequence[UUID]) -> list[Check]:
        """The checks of `check_ids` that exist, in that order (three queries whatever their number)."""
        if not check_ids:
            return []
        ids = list(check_ids)
        heads = {
            r["check_id"]: r
            for r in (await self.session.execute(select(check).where(check.c.check_id.in_(ids)))).mappings()
        }
        members: dict[UUID, list[CheckMember]] = {i: [] for i in heads}
        for m in (
            await self.session.execute(
                select(check_member)
                .where(check_member.c.check_id.in_(ids))
                .order_by(check_member.c.check_id, check_member.c.position)
            )
        ).mappings():
            members[m["check_id"]].append(CheckMember(m["person_ref"], m["masked_id"], m["consent_id"]))
        queries: dict[UUID, list[SourceQuery]] = {i: [] for i in heads}
        for q in (
            await self.session.execute(
                select(check_query).where(check_query.c.check_id.in_(ids)).order_by(check_query.c.query_id)
            )
        ).mappings():
            queries[q["check_id"]].append(
                SourceQuery(
                    query_id=q["query_id"],
                    person_ref=q["person_ref"],
                    source=Source(q["source"]),
                    status=QueryStatus(q["status"]),
                    attempts=q["attempts"],
                    reason=q["reason"],
                    answered_at=q["answered_at"],
                    department_reference=q["department_reference"],
                    findings=tuple(_finding(f) for f in q["findings"]),
                )
            )
        return [
            Check(
                check_id=row["check_id"],
                household_id=row["household_id"],
                application_id=row["application_id"],
                purpose=QueryPurpose(row["purpose"]),
                region_code=row["region_code"],
                town_code=row["town_code"],
                requested_by=row["requested_by"],
                requested_at=row["requested_at"],
                period_start=row["period_start"],
                period_end=row["period_end"],
                members=members[row["check_id"]],
                declared=_declared(row["declared"]),
                status=CheckStatus(row["status"]),
                queries=queries[row["check_id"]],
                correlation_id=row["correlation_id"],
                completed_at=row["completed_at"],
                rounds=row["rounds"],
                version=row["version"],
            )
            for i in ids
            if (row := heads.get(i)) is not None
        ]

    async def hold(self, check_id: UUID, until: datetime) -> None:
        """Keep the check for the caller (a request about to run it) until `until`."""
        await self.session.execute(update(check).where(check.c.check_id == check_id).values(lease_until=until))

    async def lease(self, check_ids: Sequence[UUID], *, now: datetime, until: datetime) -> list[UUID]:
        """Take the checks to run them, but those another runner holds: the ids taken."""
        if not check_ids:
            return []
        result = await self.session.execute(
            update(check)
            .where(
                check.c.check_id.in_(list(check_ids)),
                check.c.status == CheckStatus.RUNNING.value,
                or_(check.c.lease_until.is_(None), check.c.lease_until < now),
            )
            .values(lease_until=until)
            .returning(check.c.check_id)
        )
        taken = {row[0] for row in result}
        return [i for i in check_ids if i in taken]

    async def runnable(self, now: datetime, limit: int) -> list[UUID]:
        """Checks with pending queries that nobody holds (new, or left by a runner that stopped)."""
        rows = await self.session.execute(
            select(check.c.check_id)
            .where(
                check.c.status == CheckStatus.RUNNING.value,
                or_(check.c.lease_until.is_(None), check.c.lease_until < now),
            )
            .order_by(check.c.requested_at)
            .limit(limit)
        )
        return [r[0] for r in rows]

    async def save_queries(self, queries: Sequence[SourceQuery]) -> None:
        """One statement for all of them (an executemany)."""
        if not queries:
            return
        statement = (
            update(check_query)
            .where(check_query.c.query_id == bindparam("b_query_id"))
            .values({name: bindparam(f"b_{name}") for name in _QUERY_COLUMNS})
        )
        await self.session.execute(
            statement,
            [{"b_query_id": q.query_id} | {f"b_{k}": v for k, v in _query_values(q).items()} for q in queries],
            execution_options={"synchronize_session": False},
        )

    async def save_head(self, c: Check, *, release: bool = True) -> None:
        """Status, completion, rounds (optimistic on `version`); releases the lease."""
        values: dict[str, Any] = {
            "status": c.status.value,
            "completed_at": c.completed_at,
            "rounds": c.rounds,
            "version": c.version + 1,
        }
        if release:
            values["lease_until"] = None
        result = await self.session.execute(
            update(check).where(check.c.check_id == c.check_id, check.c.version == c.version).values(**values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise CheckChanged()
        c.version += 1

    async def page(
        self, *, area_prefix: str, household_id: UUID | None, status: CheckStatus | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        area = func.coalesce(check.c.town_code, check.c.region_code)
        conditions = [area.startswith(area_prefix)] if area_prefix else []
        if household_id is not None:
            conditions.append(check.c.household_id == household_id)
        if status is not None:
            conditions.append(check.c.status == status.value)
        total = await self.session.scalar(select(func.count()).select_from(check).where(*conditions))
        rows = await self.session.execute(
            select(check).where(*conditions).order_by(check.c.requested_at.desc()).limit(limit).offset(offset)
        )
        return [dict(r) for r in rows.mappings()], int(total or 0)
