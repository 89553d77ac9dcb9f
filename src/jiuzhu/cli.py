"""`jiuzhu run`: the embedded mode (`make run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from jiuzhu_platform.logging import configure_logging

app = typer.Typer(help="Jiuzhu (救助) social-assistance platform", no_args_is_help=True, add_completion=False)


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="Where the SQLite files live")] = Path("var/embedded"),
    demo: Annotated[bool, typer.Option(help="Load demo households on first start")] = True,
    log_level: Annotated[str, typer.Option(help="Log level")] = "INFO",
) -> None:
    """Run every service and the gateway in one process (SQLite, in-process bus)."""
    from jiuzhu.embedded import create_embedded_app

    configure_logging("embedded", log_level)
    typer.echo(f"Jiuzhu embedded mode: data in {data_dir.resolve()}")
    typer.echo(f"  API docs:   http://{host}:{port}/docs")
    typer.echo(f"  register:   http://{host}:{port}/v1/monitoring/households")
    uvicorn.run(create_embedded_app(data_dir, demo=demo), host=host, port=port, log_config=None, access_log=False)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo("jiuzhu 0.1.0")


if __name__ == "__main__":
    app()
