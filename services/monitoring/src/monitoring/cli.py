"""The monitoring command line beyond api/worker/migrate: `python -m monitoring recompute-risk`
recomputes every household's risk score now (what the worker does daily), with a progress bar."""

from __future__ import annotations

import asyncio
import time

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.runtime import Runtime
from monitoring.risk import service
from shared.types.business_time import business_date


def add_commands(app: typer.Typer, definition: ServiceDefinition) -> None:
    @app.command("recompute-risk")
    def recompute_risk() -> None:
        """Recompute every household's risk score from the register and its signals."""
        asyncio.run(_recompute(definition.open_runtime()))


async def _recompute(runtime: Runtime) -> None:
    try:
        started = time.perf_counter()
        with Progress(
            SpinnerColumn(), TextColumn("households scored: {task.completed:,}"), TimeElapsedColumn()
        ) as progress:
            task = progress.add_task("scores", total=None)
            done = await service.recompute(
                runtime.database, business_date(runtime.now()), on_batch=lambda n: progress.advance(task, n)
            )
        if done.skipped:
            typer.echo("another recompute is running; nothing done")
            raise typer.Exit(1)
        typer.echo(
            f"{done.households:,} households scored, {done.reached:,} at a threshold "
            f"({time.perf_counter() - started:.1f} s)"
        )
    finally:
        await runtime.close()
