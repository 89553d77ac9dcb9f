"""The gateway's command line (settings from the `GATEWAY_` environment):

    python -m gateway [serve|api] --host 0.0.0.0 --port 8000
    python -m gateway migrate
    python -m gateway create-admin --username admin --display-name 管理员 [--password-stdin]
    python -m gateway create-user --username u --role town_caseworker --region 520102001000 [--password-stdin]
    python -m gateway create-client --name 民政局 --kind department --scope monitoring:households:read \\
        [--region 520102] [--public-key-file key.pub]
    python -m gateway rotate-keys
    python -m gateway audit-verify

Without `--password-stdin` the password is asked for (hidden, twice). Commands print no
secret, except `create-client`, which prints the client secret once (it is stored hashed).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn

from gateway.db import migrate, verify_audit
from gateway.identity.adapters.audit import AuditLog
from gateway.identity.adapters.clients import UnconfiguredCodeSender, UnconfiguredRealNameVerifier
from gateway.identity.domain.errors import Refused
from gateway.identity.domain.model import ClientKind, NewClient, NewStaffUser
from gateway.identity.revocation import RevocationList
from gateway.identity.service.admin import Actor, Administration
from gateway.main import build_identity, create_app, utc_now
from gateway.settings import Settings
from jiuzhu_platform.auth import Role
from jiuzhu_platform.db import Database
from jiuzhu_platform.errors import DomainError
from jiuzhu_platform.logging import configure_logging

T = TypeVar("T")

cli = typer.Typer(add_completion=False, help="Jiuzhu API gateway and token issuer")


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy settings: the client address comes from `X-Forwarded-For` of the trusted
    proxies only, and with none configured from nobody's (uvicorn would trust loopback's)."""
    if not settings.trusted_proxies.strip():
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}


def _serve(host: str, port: int) -> None:
    settings = Settings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(
        create_app(settings), host=host, port=port, log_config=None, access_log=False, **proxy_options(settings)
    )


@cli.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to bind (serve)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind (serve)")] = 8000,
) -> None:
    """Without a command: serve (so `python -m gateway --host … --port …` keeps working)."""
    if ctx.invoked_subcommand is None:
        _serve(host, port)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind")] = 8000,
) -> None:
    """Serve the Jiuzhu API gateway."""
    _serve(host, port)


# The services' word for it (`python -m <service> api`), so the one image recipe
# (deploy/docker/Dockerfile) starts every process's API with the same default command.
cli.command("api", help="Serve the Jiuzhu API gateway (the same as `serve`).")(serve)


def _database_url(settings: Settings) -> str:
    if settings.database_url is None:
        typer.echo("GATEWAY_DATABASE_URL is not set", err=True)
        raise typer.Exit(2)
    return settings.database_url.get_secret_value()


@cli.command("migrate")
def migrate_command() -> None:
    """Migrate the gateway database to the latest revision."""
    settings = Settings()
    migrate(_database_url(settings))
    typer.echo("gateway database migrated")


async def _administer(settings: Settings, action: Callable[[Administration], Awaitable[T]]) -> T:
    """The identity administration on the configured database, for one command."""
    database = Database.from_url(_database_url(settings))
    try:
        ring = settings.key_ring()
        service = build_identity(
            settings,
            database,
            ring,
            audit=AuditLog(database, clock=utc_now),
            revocations=RevocationList(database, ring, clock=utc_now),
            code_sender=UnconfiguredCodeSender(),
            real_name=UnconfiguredRealNameVerifier(),
            clock=utc_now,
        )
        return await action(service.admin)
    finally:
        await database.dispose()


def _run(settings: Settings, action: Callable[[Administration], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_administer(settings, action))
    except (Refused, DomainError) as refused:
        typer.echo(f"refused ({refused.reason}): {refused.detail} / {refused.message_zh or ''}", err=True)
        raise typer.Exit(1) from None


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _create_user(username: str, display_name: str, roles: list[str], region: str | None, password_stdin: bool) -> None:
    settings = Settings()
    password = _read_password(password_stdin)
    new = NewStaffUser(username, password, tuple(roles), display_name or username, region)
    user = _run(settings, lambda admin: admin.create_user(new, actor=Actor.cli()))
    typer.echo(f"created user {user.username} ({', '.join(user.roles)}) id {user.user_id}")


@cli.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Login name of the first administrator")],
    display_name: Annotated[str, typer.Option(help="Name shown in the console")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from the first line of stdin")] = False,
) -> None:
    """Create a city_admin (refuses an existing username)."""
    _create_user(username, display_name, [Role.CITY_ADMIN], None, password_stdin)


@cli.command("create-user")
def create_user(
    username: Annotated[str, typer.Option(help="Login name")],
    role: Annotated[list[str], typer.Option(help="Staff role (repeat for several)")],
    region: Annotated[str | None, typer.Option(help="County (6 digits) or town (12 digits) code")] = None,
    display_name: Annotated[str, typer.Option(help="Name shown in the console")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from the first line of stdin")] = False,
) -> None:
    """Create a staff user with the given roles and region."""
    _create_user(username, display_name, role, region, password_stdin)


@cli.command("create-client")
def create_client(
    name: Annotated[str, typer.Option(help="Name of the department or third party")],
    kind: Annotated[ClientKind, typer.Option(help="department or third_party")],
    scope: Annotated[list[str], typer.Option(help="Granted scope (repeat for several)")],
    region: Annotated[str | None, typer.Option(help="County or town code the client is limited to")] = None,
    public_key_file: Annotated[
        Path | None, typer.Option(help="Ed25519 public key (PEM, or raw base64url) for request signatures")
    ] = None,
) -> None:
    """Register an OAuth2 client; prints its id and its secret, once."""
    settings = Settings()
    key = public_key_file.read_text() if public_key_file is not None else None
    new = NewClient(name, kind, tuple(scope), region, key)
    client = _run(settings, lambda admin: admin.register_client(new, actor=Actor.cli()))
    typer.echo(f"client_id={client.client_id}")
    typer.echo(f"client_secret={client.client_secret}")
    typer.echo("the secret is shown once; store it in the client's secret store now", err=True)


@cli.command("disable-user")
def disable_user(username: Annotated[str, typer.Option(help="Login name of the user to disable")]) -> None:
    """Disable a staff user (any role): no more sign-ins, their tokens are refused."""
    _run(Settings(), lambda admin: admin.disable_user(username, actor=Actor.cli()))
    typer.echo(f"user {username} disabled")


@cli.command("disable-client")
def disable_client(client_id: Annotated[str, typer.Option(help="The client to disable")]) -> None:
    """Disable a department or third-party client: no more tokens, its tokens are refused."""
    _run(Settings(), lambda admin: admin.disable_client(client_id, actor=Actor.cli()))
    typer.echo(f"client {client_id} disabled")


@cli.command("rotate-keys")
def rotate_keys() -> None:
    """Make a new signing key active; the previous one stays published for the token TTL."""
    settings = Settings()
    kid = _run(settings, lambda admin: admin.rotate_keys(actor=Actor.cli()))
    typer.echo(f"signing key {kid} is active")


@cli.command("audit-verify")
def audit_verify() -> None:
    """Check the audit chain; exit code 1 if it is broken."""
    settings = Settings()
    result = asyncio.run(verify_audit(_database_url(settings)))
    if result.ok:
        typer.echo(f"audit chain intact: {result.count} entries, head {result.last_seq} {result.last_hash}")
        return
    typer.echo(
        f"audit chain BROKEN at seq {result.first_broken_seq}: {result.reason} "
        f"({result.count} entries intact before it)",
        err=True,
    )
    raise typer.Exit(1)


if __name__ == "__main__":
    cli()
