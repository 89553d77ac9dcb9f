"""The payment command line beyond api/worker/migrate: `python -m payment payroll` opens (if
needed) and calculates a county's monthly run with a progress bar (rich), for the operator who
runs the month from a terminal; approval and export stay four-eyes through the API."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import uuid4

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.runtime import Runtime
from payment.adapters.repository import PayrollRunRepository
from payment.domain.commands import OpenPayrollRun
from payment.ledger.adapters.repository import LedgerRepository
from payment.payroll import service
from payment.payroll.api.schemas import totals_read
from payment.service import open_payroll_run
from shared.types import Period


def add_commands(app: typer.Typer, definition: ServiceDefinition) -> None:
    @app.command()
    def payroll(
        county: Annotated[str, typer.Option(help="County code, e.g. 520102")],
        period: Annotated[str, typer.Option(help="Benefit month YYYY-MM")],
        officer: Annotated[str, typer.Option(help="Who calculates (recorded; another officer approves)")],
    ) -> None:
        """Open (if needed) and calculate a county's monthly run, with a progress bar."""
        asyncio.run(_payroll(definition.open_runtime(), county, Period.parse(period), officer))


async def _payroll(runtime: Runtime, county: str, period: Period, officer: str) -> None:
    scope = RegionScope(AccessLevel.COUNTY, region_code=county)
    try:
        async with runtime.database.transaction() as session:
            run = await PayrollRunRepository(session).find(period, county)
            if run is None:
                run = await open_payroll_run(
                    session, scope, OpenPayrollRun(period, county, f"cli-{uuid4().hex}"), now=runtime.now
                )
            total = await LedgerRepository(session).count(county)
        with Progress(
            TextColumn(f"{county} {period}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as progress:
            task = progress.add_task("entitlements", total=total)
            deps = service.PayrollDeps.of(runtime.settings, runtime.now, on_page=lambda n: progress.advance(task, n))
            totals = await service.calculate(runtime.database, scope, run.id, officer, deps)
        typer.echo(totals_read(totals).model_dump_json(indent=2))
        typer.echo(
            f"run {run.id}: calculated; approve it as another officer (POST /v1/payment/payroll-runs/{run.id}/approve)"
        )
    finally:
        await runtime.close()
