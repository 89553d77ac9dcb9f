"""Loading and storing case files (the procedure state of applications), their timelines,
the staff's recorded relatives and the notices to applicants."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.orm import APPLICANT_RESIDENT_ID
from eligibility.applications.adapters.orm import application as application_table
from eligibility.procedure.adapters.orm import (
    RELATIVE_RESIDENT_ID,
    applicant_notice,
    application_procedure,
    application_step,
    decision_record,
    staff_relative,
)
from eligibility.procedure.domain.errors import RelativeAlreadyRecorded
from eligibility.procedure.domain.model import Action, Capacity, CaseFile, Stage, StepRecord
from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.db import insert_unique, is_unique_violation
from jiuzhu_platform.pii import session_key_ring
from jiuzhu_platform.scoping import region_clause
from shared.events import AssistanceType

_STATE_FIELDS = frozenset(CaseFile.__dataclass_fields__) - {
    "application_id",
    "household_id",
    "assistance_type",
    "stage",
    "submitted_on",
    "accepted_on",
    "version",
    "steps",
}
_CASE = TypeAdapter(CaseFile)


@dataclass(frozen=True, slots=True)
class ApplicationPlace:
    """Where an application is placed and who applied (what the service checks access with)."""

    region_code: str
    town_code: str | None
    applicant_index: str | None
    member_count: int


@dataclass(frozen=True, slots=True)
class Due:
    step: str
    due: date
    provisional: bool


@dataclass(frozen=True, slots=True)
class WorkItem:
    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: str
    town_code: str | None
    applicant_name: str
    applicant_masked_id: str
    stage: Stage
    submitted_at: datetime
    assigned_to: str | None
    next_due: date | None
    next_due_step: str | None
    provisional: bool
    version: int


class ProcedureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------------- case files

    async def load(self, application_id: UUID) -> tuple[CaseFile, ApplicationPlace] | None:
        """The case file of an application, with its timeline; a submitted application that
        has no procedure row yet (stored before the procedure existed) starts at `submitted`."""
        a, p = application_table, application_procedure
        statement = (
            select(
                a.c.id,
                a.c.household_id,
                a.c.assistance_type,
                a.c.region_code,
                a.c.town_code,
                a.c.member_count,
                a.c.submitted_at,
                a.c[APPLICANT_RESIDENT_ID.index_name].label("applicant_index"),
                p.c.stage,
                p.c.version,
                p.c.accepted_on,
                p.c.state,
            )
            .select_from(a.outerjoin(p, p.c.application_id == a.c.id))
            .where(a.c.id == application_id)
        )
        row = (await self.session.execute(statement)).mappings().first()
        if row is None:
            return None
        steps = await self._steps(application_id)
        place = ApplicationPlace(row["region_code"], row["town_code"], row["applicant_index"], row["member_count"])
        base: dict[str, Any] = {
            "application_id": row["id"],
            "household_id": row["household_id"],
            "assistance_type": AssistanceType(row["assistance_type"]),
            "submitted_on": row["submitted_at"].date(),
        }
        if row["stage"] is None:
            return CaseFile(**base, stage=Stage.SUBMITTED, version=0), place
        state = json.loads(row["state"])
        case = _CASE.validate_python(
            {**state, **base, "stage": row["stage"], "version": row["version"], "accepted_on": row["accepted_on"]}
        )
        return _with_steps(case, steps), place

    async def _steps(self, application_id: UUID) -> tuple[StepRecord, ...]:
        s = application_step
        rows = await self.session.execute(select(s).where(s.c.application_id == application_id).order_by(s.c.seq))
        return tuple(
            StepRecord(
                at=r["at"],
                on=r["on"],
                action=Action(r["action"]),
                actor=r["actor"],
                capacity=Capacity(r["capacity"]),
                from_stage=Stage(r["from_stage"]),
                to_stage=Stage(r["to_stage"]),
                note=r["note"],
                reasons=tuple(json.loads(r["reasons"])),
            )
            for r in rows.mappings()
        )

    async def save(self, case: CaseFile, *, previous_version: int, due: Due | None, now: datetime) -> bool:
        """Store the case file and its newest step; False when someone else stored a newer
        version first (optimistic concurrency: the caller refuses with 409)."""
        p = application_procedure
        values = {
            "stage": case.stage.value,
            "version": case.version,
            "accepted_on": case.accepted_on,
            "next_due": due.due if due else None,
            "next_due_step": due.step if due else None,
            "provisional": due.provisional if due else False,
            "state": _state_json(case),
            "updated_at": now,
        }
        if previous_version == 0:
            if not await self._first_write(case.application_id, values):
                return False
        else:
            result = await self.session.execute(
                update(p)
                .where(p.c.application_id == case.application_id, p.c.version == previous_version)
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
        step = case.steps[-1]
        await self.session.execute(
            insert(application_step),
            {
                "application_id": case.application_id,
                "seq": len(case.steps),
                "at": step.at,
                "on": step.on,
                "action": step.action.value,
                "actor": step.actor,
                "capacity": step.capacity.value,
                "from_stage": step.from_stage.value,
                "to_stage": step.to_stage.value,
                "note": step.note,
                "reasons": json.dumps(list(step.reasons), ensure_ascii=False),
            },
        )
        return True

    async def _first_write(self, application_id: UUID, values: dict[str, Any]) -> bool:
        """Write a procedure row still at version 0: update the row an assignment made, else
        insert one. A concurrent first write inserts the same key: in a savepoint, so the
        loser's transaction can still answer (False: the caller refuses with a 409)."""
        p = application_procedure
        result = await self.session.execute(
            update(p).where(p.c.application_id == application_id, p.c.version == 0).values(**values)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return True
        try:
            async with self.session.begin_nested():
                await self.session.execute(insert(p), {"application_id": application_id, **values})
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            return False
        return True

    async def assign(self, case: CaseFile, account: str | None, now: datetime) -> bool:
        """Give the application to a worker (or take it back: None); an application nobody has
        acted on yet gets its procedure row here, at stage `submitted` and version 0. False
        when someone acted on it meanwhile."""
        p = application_procedure
        if case.version == 0:
            values = {"stage": case.stage.value, "version": 0, "state": _state_json(case), "updated_at": now}
            return await self._first_write(case.application_id, values | {"assigned_to": account})
        result = await self.session.execute(
            update(p)
            .where(p.c.application_id == case.application_id, p.c.version == case.version)
            .values(assigned_to=account, updated_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def awaiting_report(self, household_id: UUID) -> UUID | None:
        """The household's newest application whose procedure takes a verification report."""
        a, p = application_table, application_procedure
        stages = [s.value for s in (Stage.VERIFICATION_REQUESTED, Stage.INVESTIGATING, Stage.ACCEPTED, Stage.RECHECK)]
        found = await self.session.execute(
            select(a.c.id)
            .join(p, p.c.application_id == a.c.id)
            .where(a.c.household_id == household_id, p.c.stage.in_(stages))
            .order_by(p.c.stage != Stage.VERIFICATION_REQUESTED.value, a.c.submitted_at.desc())
            .limit(1)
        )
        return found.scalar_one_or_none()

    # ------------------------------------------------------------------------- worklists

    async def worklist(
        self,
        scope: RegionScope,
        *,
        stages: Sequence[Stage] = (),
        town_code: str | None = None,
        assistance_type: AssistanceType | None = None,
        overdue_on: date | None = None,
        assigned_to: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[WorkItem], int]:
        """One page of applications the caller may see, oldest due first, and the total."""
        a, p = application_table, application_procedure
        stage = func.coalesce(p.c.stage, Stage.SUBMITTED.value)
        where: list[ColumnElement[bool]] = [
            region_clause(scope, county=a.c.region_code, town=a.c.town_code, household=a.c.household_id)
        ]
        if stages:
            where.append(stage.in_([s.value for s in stages]))
        if town_code is not None:
            where.append(a.c.town_code == town_code)
        if assistance_type is not None:
            where.append(a.c.assistance_type == assistance_type.value)
        if overdue_on is not None:
            where.append(p.c.next_due < overdue_on)
        if assigned_to is not None:
            where.append(p.c.assigned_to == assigned_to)
        joined = a.outerjoin(p, p.c.application_id == a.c.id)
        total = (await self.session.execute(select(func.count()).select_from(joined).where(and_(*where)))).scalar_one()
        statement = (
            select(
                a.c.id,
                a.c.household_id,
                a.c.assistance_type,
                a.c.region_code,
                a.c.town_code,
                a.c.applicant_name,
                a.c.applicant_masked_id,
                a.c.submitted_at,
                stage.label("stage"),
                p.c.assigned_to,
                p.c.next_due,
                p.c.next_due_step,
                func.coalesce(p.c.provisional, False).label("provisional"),
                func.coalesce(p.c.version, 0).label("version"),
            )
            .select_from(joined)
            .where(and_(*where))
            .order_by(p.c.next_due.is_(None), p.c.next_due, a.c.submitted_at, a.c.id)
            .limit(limit)
            .offset(offset)
        )
        items = [
            WorkItem(
                application_id=r["id"],
                household_id=r["household_id"],
                assistance_type=AssistanceType(r["assistance_type"]),
                region_code=r["region_code"],
                town_code=r["town_code"],
                applicant_name=r["applicant_name"],
                applicant_masked_id=r["applicant_masked_id"],
                stage=Stage(r["stage"]),
                submitted_at=r["submitted_at"],
                assigned_to=r["assigned_to"],
                next_due=r["next_due"],
                next_due_step=r["next_due_step"],
                provisional=bool(r["provisional"]),
                version=r["version"],
            )
            for r in (await self.session.execute(statement)).mappings()
        ]
        return items, int(total)

    # ------------------------------------------------------------------------- 回避

    async def relatives_of(self, account: str, resident_indexes: Sequence[str]) -> bool:
        """Is `account` recorded as a close relative of any of these residents (blind indexes)?"""
        if not resident_indexes:
            return False
        r = staff_relative
        index = r.c[RELATIVE_RESIDENT_ID.index_name]
        found = await self.session.execute(
            select(r.c.id).where(r.c.account == account, index.in_(list(resident_indexes))).limit(1)
        )
        return found.first() is not None

    async def any_relative(self, resident_indexes: Sequence[str]) -> bool:
        """Is any member a recorded relative of any staff or 村/居委会 member (单独登记备案)?"""
        if not resident_indexes:
            return False
        index = staff_relative.c[RELATIVE_RESIDENT_ID.index_name]
        found = await self.session.execute(
            select(staff_relative.c.id).where(index.in_(list(resident_indexes))).limit(1)
        )
        return found.first() is not None

    async def record_relative(
        self, *, account: str, resident_id: str, relationship: str, recorded_by: str, now: datetime
    ) -> UUID:
        ring = session_key_ring(self.session)
        relative_id = uuid.uuid4()
        await insert_unique(
            self.session,
            insert(staff_relative),
            {
                "id": relative_id,
                "account": account,
                **RELATIVE_RESIDENT_ID.values(ring, resident_id),
                "relationship": relationship,
                "recorded_by": recorded_by,
                "recorded_at": now,
            },
            conflict=_relative_taken,
        )
        return relative_id

    def resident_index(self, resident_id: str) -> str:
        return RELATIVE_RESIDENT_ID.index(session_key_ring(self.session), resident_id)

    # ------------------------------------------------------------------------- notices

    async def add_notice(
        self,
        *,
        application_id: UUID,
        household_id: UUID,
        kind: str,
        title: tuple[str, str],
        body: tuple[str, str],
        now: datetime,
    ) -> None:
        await self.session.execute(
            insert(applicant_notice),
            {
                "id": uuid.uuid4(),
                "application_id": application_id,
                "household_id": household_id,
                "kind": kind,
                "title_zh": title[0],
                "title_en": title[1],
                "body_zh": body[0],
                "body_en": body[1],
                "created_at": now,
            },
        )

    async def notices(self, household_id: UUID, *, limit: int = 50) -> list[dict[str, Any]]:
        n = applicant_notice
        rows = await self.session.execute(
            select(n).where(n.c.household_id == household_id).order_by(n.c.created_at.desc()).limit(limit)
        )
        return [dict(r) for r in rows.mappings()]


async def _relative_taken() -> RelativeAlreadyRecorded:
    return RelativeAlreadyRecorded()


def _state_json(case: CaseFile) -> str:
    dumped = _CASE.dump_python(case, mode="json")
    return json.dumps({k: v for k, v in dumped.items() if k in _STATE_FIELDS}, ensure_ascii=False, sort_keys=True)


def _with_steps(case: CaseFile, steps: tuple[StepRecord, ...]) -> CaseFile:
    return dataclasses.replace(case, steps=steps)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One assessment an application received: who ran it, when, under which policy version,
    what it found (the household description it ran on is kept encrypted)."""

    id: UUID
    application_id: UUID
    recorded_at: datetime
    recorded_by: str
    policy_version: str
    category: str
    monthly_total_fen: int
    result: dict[str, Any]


class DecisionRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: DecisionRecord, inputs: str) -> None:
        values = dataclasses.asdict(record) | {
            "inputs": inputs,
            "result": json.dumps(record.result, ensure_ascii=False, sort_keys=True),
        }
        await self.session.execute(insert(decision_record), values)

    async def of_application(self, application_id: UUID) -> list[DecisionRecord]:
        d = decision_record
        rows = await self.session.execute(
            select(
                d.c.id,
                d.c.application_id,
                d.c.recorded_at,
                d.c.recorded_by,
                d.c.policy_version,
                d.c.category,
                d.c.monthly_total_fen,
                d.c.result,
            )
            .where(d.c.application_id == application_id)
            .order_by(d.c.recorded_at.desc(), d.c.id)
        )
        return [DecisionRecord(**{**dict(r), "result": json.loads(r["result"])}) for r in rows.mappings()]
