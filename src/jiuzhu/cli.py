"""`jiuzhu run`: the embedded mode (`make run`)."""

from __future__ import annotations

import json
import os
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
    from jiuzhu.embedded import SMS_CODES_FILE, create_embedded_app

    configure_logging("embedded", log_level)
    os.umask(0o077)  # every file this process makes (databases, keys, codes) is the owner's only
    typer.echo(f"Jiuzhu embedded mode: data in {data_dir.resolve()}")
    typer.echo(f"  API docs:   http://{host}:{port}/docs")
    typer.echo(f"  register:   http://{host}:{port}/v1/monitoring/households (sign in: POST /v1/auth/login)")
    typer.echo(f"  accounts:   {(data_dir / 'credentials.json').resolve()} (made on first start)")
    typer.echo(f"  SMS codes:  {(data_dir / SMS_CODES_FILE).resolve()} (citizen sign-in codes; dev sends no SMS)")
    # No proxy in front: X-Forwarded-For is nobody's to set (uvicorn would believe loopback's).
    uvicorn.run(
        create_embedded_app(data_dir, demo=demo),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def gateway(
    ctx: typer.Context,
    data_dir: Annotated[Path, typer.Option(help="The embedded mode's data directory")] = Path("var/embedded"),
) -> None:
    """Run a gateway command on the embedded mode's identity database, e.g.
    `jiuzhu gateway create-admin --username alice` or `jiuzhu gateway create-client ...`
    (see `python -m gateway --help`)."""
    from gateway.__main__ import cli as gateway_cli
    from gateway.db import migrate as migrate_gateway
    from jiuzhu.embedded import DEFINITIONS, gateway_settings

    settings = gateway_settings(data_dir, [d.name for d in DEFINITIONS])
    assert settings.database_url is not None
    os.environ.update(
        {
            "GATEWAY_ENV": settings.env,
            "GATEWAY_UPSTREAMS": json.dumps({name: str(url) for name, url in settings.upstreams.items()}),
            "GATEWAY_DATABASE_URL": settings.database_url.get_secret_value(),
            "GATEWAY_PII_DEV_KEY_FILE": str(settings.pii_dev_key_file),
        }
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate_gateway(settings.database_url.get_secret_value())  # idempotent: before or after a first `run`
    gateway_cli(ctx.args, prog_name="jiuzhu gateway")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo("jiuzhu 0.1.0")


if __name__ == "__main__":
    app()
