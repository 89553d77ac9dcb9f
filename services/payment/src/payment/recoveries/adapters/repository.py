"""Loading and storing recoveries and their entries."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payment.domain.errors import RunChanged
from payment.recoveries.adapters.orm import recovery, recovery_entry
from payment.recoveries.domain.model import Recovery, RecoveryStatus
from shared.types import Period


def _model(r: Any) -> Recovery:
    return Recovery(
        recovery_id=r["recovery_id"],
        case_id=r["case_id"],
        household_id=r["household_id"],
        county_code=r["county_code"],
        payee_ref=r["payee_ref"],
        payee_masked=r["payee_masked"],
        termination_reason=r["termination_reason"],
        months=[Period.parse(m) for m in r["months"]],
        amount_fen=r["amount_fen"],
        opened_on=r["opened_on"],
        repaid_fen=r["repaid_fen"],
        written_off_fen=r["written_off_fen"],
        fine_fen=r["fine_fen"],
        fine_multiple=r["fine_multiple"],
        fine_paid_fen=r["fine_paid_fen"],
        schedule_monthly_fen=r["schedule_monthly_fen"],
        schedule_first_month=None if r["schedule_first_month"] is None else Period.parse(r["schedule_first_month"]),
        status=RecoveryStatus(r["status"]),
        version=r["version"],
    )


def _values(r: Recovery) -> dict[str, Any]:
    return {
        "months": [str(m) for m in r.months],
        "amount_fen": r.amount_fen,
        "repaid_fen": r.repaid_fen,
        "written_off_fen": r.written_off_fen,
        "fine_fen": r.fine_fen,
        "fine_multiple": r.fine_multiple,
        "fine_paid_fen": r.fine_paid_fen,
        "schedule_monthly_fen": r.schedule_monthly_fen,
        "schedule_first_month": None if r.schedule_first_month is None else str(r.schedule_first_month),
        "status": r.status.value,
    }


class RecoveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, r: Recovery) -> None:
        await self.session.execute(
            insert(recovery),
            {
                "recovery_id": r.recovery_id,
                "case_id": r.case_id,
                "household_id": r.household_id,
                "county_code": r.county_code,
                "payee_ref": r.payee_ref,
                "payee_masked": r.payee_masked,
                "termination_reason": r.termination_reason,
                "opened_on": r.opened_on,
                "version": r.version,
                **_values(r),
            },
        )

    async def get(self, recovery_id: UUID, *, for_update: bool = False) -> Recovery | None:
        statement = select(recovery).where(recovery.c.recovery_id == recovery_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).mappings().first()
        return None if row is None else _model(row)

    async def of_case(self, case_id: UUID) -> Recovery | None:
        row = (await self.session.execute(select(recovery).where(recovery.c.case_id == case_id))).mappings().first()
        return None if row is None else _model(row)

    async def save(self, r: Recovery, *, by: str, on: date, note: str, now: datetime) -> None:
        result = await self.session.execute(
            update(recovery)
            .where(recovery.c.recovery_id == r.recovery_id, recovery.c.version == r.version)
            .values(**_values(r), version=r.version + 1)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise RunChanged()
        r.version += 1
        if r.entries:
            await self.session.execute(
                insert(recovery_entry),
                [
                    {
                        "entry_id": uuid.uuid4(),
                        "recovery_id": r.recovery_id,
                        "kind": kind,
                        "amount_fen": fen,
                        "on": on,
                        "note": note[:200],
                        "by": by,
                        "at": now,
                    }
                    for kind, fen in r.entries
                ],
            )
            r.entries.clear()

    async def page(
        self, *, area_prefix: str, status: str | None, limit: int, offset: int
    ) -> tuple[list[Recovery], int]:
        conditions = [recovery.c.county_code.startswith(area_prefix[:6])] if area_prefix else []
        if status is not None:
            conditions.append(recovery.c.status == status)
        total = await self.session.scalar(select(func.count()).select_from(recovery).where(*conditions))
        rows = (
            await self.session.execute(
                select(recovery).where(*conditions).order_by(recovery.c.opened_on.desc()).limit(limit).offset(offset)
            )
        ).mappings()
        return [_model(r) for r in rows], int(total or 0)

    async def repaid_in(self, county_code: str, year: int) -> int:
        rows = await self.session.scalar(
            select(func.coalesce(func.sum(recovery_entry.c.amount_fen), 0))
            .select_from(recovery_entry.join(recovery, recovery.c.recovery_id == recovery_entry.c.recovery_id))
            .where(
                recovery.c.county_code == county_code,
                recovery_entry.c.kind == "repayment",
                func.extract("year", recovery_entry.c.on) == year,
            )
        )
        return int(rows or 0)
