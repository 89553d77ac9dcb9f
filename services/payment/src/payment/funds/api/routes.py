"""Budget endpoints (资金预算): set a fund's budget for a county's year; the report of budget,
committed (approved runs), paid (settled at the bank) and recovered (repaid)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from payment.adapters.repository import PayrollRunRepository
from payment.funds.adapters.repository import BudgetRepository
from payment.ledger.domain.model import Programme
from payment.payroll.adapters.orm import instruction
from payment.payroll.adapters.repository import InstructionRepository
from payment.recoveries.adapters.repository import RecoveryRepository
from shared.types import CountyCode, NonNegativeMoney, from_fen, to_fen

router = APIRouter(prefix="/v1/payment", tags=["funds"])

Writer = Annotated[Principal, requires("payment:funds:write")]
Reader = Annotated[Principal, requires("payment:payroll:read")]
Year = Annotated[int, Path(ge=2000, le=2100)]


class BudgetSet(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount": "12000000.00"}]})
    amount: NonNegativeMoney = Field(description="The fund's budget for the county's year (元)")


class FundLine(BaseModel):
    programme: Programme
    budget: Decimal | None = Field(description="None: no budget recorded (not limited)")
    committed: Decimal = Field(description="In approved runs of the year (pending, exported or paid)")
    paid: Decimal
    remaining: Decimal | None


class FundReport(BaseModel):
    county_code: str
    year: int
    lines: list[FundLine]
    recovered: Decimal = Field(description="Repaid on recoveries during the year")


@router.put(
    "/budgets/{county_code}/{year}/{programme}",
    summary="Set a fund's budget for a county's year",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def set_budget(
    county_code: CountyCode,
    year: Year,
    programme: Programme,
    body: BudgetSet,
    caller: Writer,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> FundReport:
    RegionScope.for_principal(caller).require(region_code=county_code)
    await BudgetRepository(session).set(
        county_code, year, programme.value, to_fen(body.amount), caller.subject, runtime.now()
    )
    await audit.state_change(
        session, target_id=f"{county_code}-{year}-{programme.value}", details={"action": "budget_set"}
    )
    return await _report(session, county_code, year)


@router.get(
    "/budgets/{county_code}/{year}",
    summary="Budget, committed, paid and recovered of a county's year, by fund",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def budget_report(county_code: CountyCode, year: Year, caller: Reader, session: ReadSessionDep) -> FundReport:
    RegionScope.for_principal(caller).require(region_code=county_code)
    return await _report(session, county_code, year)


async def _report(session: AsyncSession, county_code: str, year: int) -> FundReport:
    budgets = await BudgetRepository(session).of(county_code, year)
    runs = await PayrollRunRepository(session).of_county_year(county_code, year)
    committed = await InstructionRepository(session).committed([r.id for r in runs if r.approved_at is not None])
    paid_rows = await session.execute(
        select(instruction.c.programme, func.sum(instruction.c.amount_fen))
        .where(
            instruction.c.run_id.in_([r.id for r in runs]) if runs else instruction.c.run_id.is_(None),
            instruction.c.status == "paid",
        )
        .group_by(instruction.c.programme)
    )
    paid = {p: int(f) for p, f in paid_rows}
    lines = []
    for programme in Programme:
        budget = budgets.get(programme.value)
        done = committed.get(programme.value, 0)
        lines.append(
            FundLine(
                programme=programme,
                budget=None if budget is None else from_fen(budget),
                committed=from_fen(done),
                paid=from_fen(paid.get(programme.value, 0)),
                remaining=None if budget is None else from_fen(budget - done),
            )
        )
    recovered = await RecoveryRepository(session).repaid_in(county_code, year)
    return FundReport(county_code=county_code, year=year, lines=lines, recovered=from_fen(recovered))
