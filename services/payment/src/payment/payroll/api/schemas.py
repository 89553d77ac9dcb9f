"""HTTP models of the payroll: run progress and totals, instructions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from payment.domain.model import PayrollRun
from payment.payroll.domain.model import RunTotals
from shared.types import NonEmptyStr, from_fen


class StatusTotal(BaseModel):
    count: int
    amount: Decimal


class RunTotalsRead(BaseModel):
    count: int
    amount: Decimal = Field(description="Every instruction of the run (元)")
    arrears: Decimal = Field(description="补发: months before the run's own, in what pays (元)")
    by_status: dict[str, StatusTotal]
    by_programme: dict[str, Decimal] = Field(description="What pays (pending, exported, paid), by fund (元)")


def totals_read(t: RunTotals) -> RunTotalsRead:
    return RunTotalsRead(
        count=t.count,
        amount=from_fen(t.total_fen),
        arrears=from_fen(t.arrears_fen),
        by_status={s: StatusTotal(count=c, amount=from_fen(f)) for s, (c, f) in sorted(t.by_status.items())},
        by_programme={p: from_fen(f) for p, f in sorted(t.by_programme.items())},
    )


class RunDetail(BaseModel):
    id: UUID
    period: str
    county_code: str
    status: str
    created_at: datetime
    calculated_by: str | None
    calculated_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    budget_override: str | None
    exported_at: datetime | None
    settled_at: datetime | None
    totals: RunTotalsRead | None = None


def run_detail(run: PayrollRun, totals: RunTotals | None = None) -> RunDetail:
    return RunDetail(
        id=run.id,
        period=str(run.period),
        county_code=run.county_code,
        status=run.status.value,
        created_at=run.created_at,
        calculated_by=run.calculated_by,
        calculated_at=run.calculated_at,
        approved_by=run.approved_by,
        approved_at=run.approved_at,
        budget_override=run.budget_override,
        exported_at=run.exported_at,
        settled_at=run.settled_at,
        totals=None if totals is None else totals_read(totals),
    )


class RunPage(BaseModel):
    items: list[RunDetail]
    total: int
    limit: int
    offset: int


class Approval(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{}, {"budget_override": "县政府常务会议纪要〔2026〕12号同意追加"}]},
    )
    budget_override: NonEmptyStr | None = Field(
        default=None, max_length=500, description="Why the run may exceed a fund's budget (kept on the run)"
    )


class InstructionRead(BaseModel):
    instruction_id: UUID
    case_id: UUID | None
    grant_id: UUID | None
    household_id: UUID
    payee_masked: str
    period: str
    component: str
    programme: str
    amount: Decimal
    attempt: int
    arrears: bool
    status: str
    hold_reason: str | None
    failure_reason: str | None
    bank_reference: str | None
    settled_on: date | None


def instruction_read(row: dict[str, Any]) -> InstructionRead:
    return InstructionRead(
        **{k: v for k, v in row.items() if k in InstructionRead.model_fields}
        | {
            "amount": from_fen(row["amount_fen"]),
            "arrears": bool(row["arrears"]),
        }
    )


class InstructionPage(BaseModel):
    items: list[InstructionRead]
    total: int
    limit: int
    offset: int
