"""``python -m verification.departments.simulator --host 127.0.0.1 --port 18600 --seed 2026``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from verification.departments.domain.model import Source
from verification.departments.simulator.app import create_simulator_app

cli = typer.Typer(add_completion=False)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 18600,
    seed: Annotated[int, typer.Option(help="Seed of the departments' records.")] = 2026,
    latency_ms: Annotated[float, typer.Option(help="Latency added to every answer, ms.")] = 0.0,
    failure_rate: Annotated[float, typer.Option(help="Share of answers that are 503, 0..1.")] = 0.0,
    fail_source: Annotated[list[Source] | None, typer.Option(help="A source that always answers 503.")] = None,
    hang_source: Annotated[list[Source] | None, typer.Option(help="A source that never answers in time.")] = None,
    garbage_source: Annotated[list[Source] | None, typer.Option(help="A source that answers garbage.")] = None,
    households: Annotated[
        Path | None, typer.Option(help="Synthetic households (JSON lines): tax reports their members' wages.")
    ] = None,
) -> None:
    """Serve the twelve simulated departments over HTTP (faults changeable at POST /_admin/config)."""
    known: list[dict[str, Any]] = []
    if households is not None:
        with households.open(encoding="utf-8") as lines:
            known = [json.loads(line) for line in lines if line.strip()]
    app = create_simulator_app(
        seed=seed,
        latency_ms=latency_ms,
        failure_rate=failure_rate,
        fail_sources={s.value for s in fail_source or []},
        hang_sources={s.value for s in hang_source or []},
        garbage_sources={s.value for s in garbage_source or []},
        households=known,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":
    cli()
