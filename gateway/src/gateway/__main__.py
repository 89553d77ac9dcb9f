"""`python -m gateway --host 0.0.0.0 --port 8000`."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from gateway.main import create_app
from gateway.settings import Settings
from jiuzhu_platform.logging import configure_logging

cli = typer.Typer(add_completion=False)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind")] = 8000,
) -> None:
    """Serve the Jiuzhu API gateway."""
    settings = Settings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


cli()
