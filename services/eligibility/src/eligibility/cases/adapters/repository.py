"""Loading and storing active cases and their timelines; region-scoped lists in SQL."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.orm import application
from eligibility.cases.adapters.orm import assistance_case, case_person, case_step
from eligibility.cases.domain.model import Case, CaseAction, CaseCategory, CaseStatus, CaseStep
from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.scoping import region_clause

_CASE = TypeAdapter(Case)
_COLUMNS = frozenset(
    {
        "case_id",
        "application_id",
        "household_id",
        "category",
        "region_code",
        "town_code",
        "status",
        "monthly_fen",
        "start_month",
        "policy_version",
        "next_review_on",
        "version",
    }
)


def _row(case: Case, now: datetime) -> dict[str, Any]:
    dumped = _CASE.dump_python(case, mode="json")
    state = {k: v for k, v in dumped.items() if k not in _COLUMNS and k != "steps"}
    return {
        "case_id": case.case_id,
        "application_id": case.application_id,
        "household_id": case.household_id,
        "category": case.category.value,
        "region_code": case.region_code,
        "town_code": case.town_code,
        "status": case.status.value,
        "monthly_fen": case.monthly_fen,
        "start_month": str(case.start_month),
        "policy_version": case.policy_version,
        "next_review_on": case.next_review_on,
        "version": case.version,
        "state": json.dumps(state, ensure_ascii=False, sort_keys=True),
        "updated_at": now,
    }


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, case: Case, now: datetime) -> None:
        await self.session.execute(insert(assistance_case), _row(case, now))
        for seq, step in enumerate(case.steps, start=1):
            await self._add_step(case.case_id, seq, step)

    async def save(self, case: Case, *, previous_version: int, now: datetime) -> bool:
        """Store a changed case and its newest step; False when someone changed it first."""
        values = _row(case, now)
        del values["case_id"]
        result = await self.session.execute(
            update(assistance_case)
            .where(assistance_case.c.case_id == case.case_id, assistance_case.c.version == previous_version)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self._add_step(case.case_id, len(case.steps), case.steps[-1])
        return True

    async def _add_step(self, case_id: UUID, seq: int, step: CaseStep) -> None:
        await self.session.execute(
            insert(case_step),
            {
                "case_id": case_id,
                "seq": seq,
                "at": step.at,
                "on": step.on,
                "action": step.action.value,
                "actor": step.actor,
                "from_status": step.from_status.value,
                "to_status": step.to_status.value,
                "note": step.note,
                "reasons": json.dumps(list(step.reasons), ensure_ascii=False),
            },
        )

    async def get(self, case_id: UUID) -> Case | None:
        row = (
            (await self.session.execute(select(assistance_case).where(assistance_case.c.case_id == case_id)))
            .mappings()
            .first()
        )
        return None if row is None else await self._case(row)

    async def of_household(self, household_id: UUID) -> list[Case]:
        rows = await self.session.execute(
            select(assistance_case)
            .where(assistance_case.c.household_id == household_id)
            .order_by(assistance_case.c.start_month)
        )
        return [await self._case(r) for r in rows.mappings().all()]

    async def _case(self, row: Any) -> Case:
        steps = await self.session.execute(
            select(case_step).where(case_step.c.case_id == row["case_id"]).order_by(case_step.c.seq)
        )
        state = json.loads(row["state"])
        values = {k: row[k] for k in _COLUMNS}
        case = _CASE.validate_python({**state, **values})
        return dataclasses.replace(
            case,
            steps=tuple(
                CaseStep(
                    at=s["at"],
                    on=s["on"],
                    action=CaseAction(s["action"]),
                    actor=s["actor"],
                    from_status=CaseStatus(s["from_status"]),
                    to_status=CaseStatus(s["to_status"]),
                    note=s["note"],
                    reasons=tuple(json.loads(s["reasons"])),
                )
                for s in steps.mappings()
            ),
        )

    async def page(
        self,
        scope: RegionScope,
        *,
        statuses: Sequence[CaseStatus] = (),
        category: CaseCategory | None = None,
        review_due_on: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Case], int]:
        c = assistance_case
        where: list[ColumnElement[bool]] = [
            region_clause(scope, county=c.c.region_code, town=c.c.town_code, household=c.c.household_id)
        ]
        if statuses:
            where.append(c.c.status.in_([s.value for s in statuses]))
        if category is not None:
            where.append(c.c.category == category.value)
        if review_due_on is not None:
            where.append(c.c.next_review_on <= review_due_on)
        total = (await self.session.execute(select(func.count()).select_from(c).where(and_(*where)))).scalar_one()
        rows = await self.session.execute(
            select(c).where(and_(*where)).order_by(c.c.next_review_on, c.c.case_id).limit(limit).offset(offset)
        )
        return [await self._case(r) for r in rows.mappings().all()], int(total)

    async def due_ids(self, today: date, statuses: Sequence[CaseStatus], limit: int = 500) -> list[UUID]:
        """Cases in `statuses` whose next review is due (the daily scheduler's batch)."""
        c = assistance_case
        rows = await self.session.execute(
            select(c.c.case_id)
            .where(c.c.next_review_on <= today, c.c.status.in_([s.value for s in statuses]))
            .order_by(c.c.next_review_on)
            .limit(limit)
        )
        return [r[0] for r in rows.all()]

    async def with_status(self, status: CaseStatus, limit: int = 500) -> list[UUID]:
        rows = await self.session.execute(
            select(assistance_case.c.case_id).where(assistance_case.c.status == status.value).limit(limit)
        )
        return [r[0] for r in rows.all()]

    async def add_people(self, case_id: UUID, person_refs: Sequence[str]) -> None:
        """The people of a case, by person reference (how department notices find it)."""
        for ref in dict.fromkeys(person_refs):
            await self.session.execute(insert(case_person), {"case_id": case_id, "person_ref": ref})

    async def of_person(self, person_ref: str) -> list[Case]:
        rows = await self.session.execute(
            select(assistance_case)
            .join(case_person, case_person.c.case_id == assistance_case.c.case_id)
            .where(case_person.c.person_ref == person_ref)
        )
        return [await self._case(r) for r in rows.mappings().all()]

    async def member_count(self, case: Case) -> int:
        """The household's size as its application declared it."""
        found = await self.session.execute(
            select(application.c.member_count).where(application.c.id == case.application_id)
        )
        return int(found.scalar_one())
