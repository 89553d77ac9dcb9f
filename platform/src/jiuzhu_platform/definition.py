"""A service described once (`ServiceDefinition`), and everything built from that description:
the API app, the worker (outbox relay + consumers) and the command line
(`python -m <service> api|worker|migrate`).

Each service's `main.py` holds its definition, so the five services are wired identically.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvicorn
from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData, Table

from jiuzhu_platform.app import create_service_app
from jiuzhu_platform.audit import verify_database
from jiuzhu_platform.audit_anchor import (
    AnchorError,
    anchor_database,
    anchor_once,
    load_private_key,
    verify_database_anchored,
)
from jiuzhu_platform.auth import KeySource, RemoteJwks, StaticKeySet
from jiuzhu_platform.bus import Bus
from jiuzhu_platform.business_metrics import BusinessMetric
from jiuzhu_platform.consumer import BatchHandler, EventConsumer, Handler
from jiuzhu_platform.faults import NO_FAULTS, Faults
from jiuzhu_platform.heartbeat import Heartbeat
from jiuzhu_platform.logging import configure_logging
from jiuzhu_platform.migrations import upgrade
from jiuzhu_platform.outbox import OutboxRelay
from jiuzhu_platform.pii import KeyRing, install_key_ring
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.settings import ServiceSettings
from jiuzhu_platform.worker import ScheduledJob, WorkerComponents, run_components, stop_on_signals

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerDefinition:
    """One consumer group: the topics it reads and a handler per event type it applies."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)
    """Optional handlers for runs of one type in the batched path (`jiuzhu_platform.consumer`)."""


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    settings_class: type[ServiceSettings]
    metadata: MetaData
    outbox: Table
    inbox: Table
    routers: Callable[[], Sequence[APIRouter]]
    alembic_ini: Path
    audit: Table | None = None
    """The service's `audit_entry` table (`jiuzhu_platform.audit.define_audit_table`)."""
    keeps_pii: bool = False
    """The service stores personal data encrypted: its runtime needs a key ring (`<SVC>_PII_*`),
    installed on its database engine for the encrypted columns and blind indexes."""
    consumers: Sequence[ConsumerDefinition | Callable[[Runtime], ConsumerDefinition]] = field(default_factory=tuple)
    """The consumer groups; a callable builds one per runtime (handlers that need its settings,
    clock or keys close over them)."""
    jobs: Sequence[Callable[[Runtime], ScheduledJob]] = field(default_factory=tuple)
    """Periodic work of the worker (`ScheduledJob`), built per runtime."""
    on_startup: Callable[[Runtime], Awaitable[None]] | None = None
    business_metrics: Sequence[BusinessMetric] = ()
    """Gauges of business figures on `/metrics` (`jiuzhu_platform.business_metrics`)."""
    """Runs in the API's lifespan after the runtime opens (e.g. load reference data)."""

    def load_settings(self) -> ServiceSettings:
        return self.settings_class()  # pydantic-settings reads the prefixed environment

    def open_runtime(
        self, settings: ServiceSettings | None = None, *, bus: Bus | None = None, faults: Faults = NO_FAULTS
    ) -> Runtime:
        """The service's runtime (API, worker, tests alike). A service that keeps personal data
        installs its key ring from the settings here; without one it stops with a clear message."""
        runtime = Runtime.open(self.name, settings or self.load_settings(), bus=bus, faults=faults, outbox=self.outbox)
        if self.keeps_pii:
            install_key_ring(runtime.database.engine, require_key_ring(runtime))
        return runtime

    def create_app(
        self, settings: ServiceSettings | None = None, *, bus: Bus | None = None, keys: KeySource | None = None
    ) -> FastAPI:
        """The API app. `keys` overrides where token keys come from (the embedded mode hands
        over the in-process gateway's JWKS); by default they come from the settings."""
        return create_service_app(
            self.name,
            title=self.title,
            open_runtime=lambda: self.open_runtime(settings, bus=bus),
            routers=self.routers(),
            on_startup=self.on_startup,
            key_source=(lambda _runtime: keys) if keys is not None else key_source_from_settings,
            audit_table=self.audit,
            business_metrics=self.business_metrics,
        )

    def worker_components(self, runtime: Runtime) -> WorkerComponents:
        settings = runtime.settings
        relay = OutboxRelay(
            runtime.database,
            runtime.bus,
            self.outbox,
            now=runtime.now,
            batch_size=settings.relay_batch_size,
            idle_seconds=settings.relay_idle_seconds,
            metrics=runtime.metrics,
            faults=runtime.faults,
        )
        consumers = [
            EventConsumer(
                f"{self.name}.{c.name}",
                c.topics,
                dict(c.handlers),
                batch_handlers=dict(c.batch_handlers),
                database=runtime.database,
                bus=runtime.bus,
                inbox=self.inbox,
                now=runtime.now,
                max_attempts=settings.consumer_max_attempts,
                backoff_seconds=settings.consumer_backoff_seconds,
                metrics=runtime.metrics,
                faults=runtime.faults,
            )
            for c in (c if isinstance(c, ConsumerDefinition) else c(runtime) for c in self.consumers)
        ]
        jobs = [job(runtime) for job in self.jobs]
        if self.audit is not None and settings.audit_anchoring:
            jobs.append(audit_anchor_job(self.name, self.audit, runtime))
        return WorkerComponents(relay, consumers, jobs)

    async def migrate(self, database_url: str, *, key_ring: KeyRing | None = None) -> None:
        """Upgrade to head. `key_ring`: the service's, for migrations that encrypt values kept in
        clear before (`jiuzhu_platform.migrations.encrypt_plaintext`)."""
        await asyncio.to_thread(upgrade, self.alembic_ini, database_url, key_ring=key_ring)

    async def run_worker(self, settings: ServiceSettings | None = None) -> None:
        runtime = self.open_runtime(settings)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await runtime.bus.start()
        try:
            heartbeat_file = runtime.settings.worker_heartbeat_file
            heartbeat = Heartbeat(Path(heartbeat_file)) if heartbeat_file else None
            await run_components(self.worker_components(runtime), stop, heartbeat=heartbeat)
        finally:
            await runtime.close()

    def cli(self) -> typer.Typer:
        return build_cli(self)


def require_key_ring(runtime: Runtime) -> KeyRing:
    ring = runtime.settings.pii_key_ring()
    if ring is None:
        prefix = runtime.name.upper()
        raise RuntimeError(
            f"{runtime.name} keeps personal data encrypted: set {prefix}_PII_KEYS, {prefix}_PII_ACTIVE_KEY and "
            f"{prefix}_PII_INDEX_KEY (generate a set with `python -m jiuzhu_platform.pii_keys {prefix}`)"
        )
    return ring


KEEP_ALIVE_SECONDS = 75
"""How long a service's API keeps an idle connection open (uvicorn's default is 5 s). It must
outlast the gateway's pool, which reuses an idle connection for up to 15 s: a server that closes
first races the gateway's next request on that connection, which then fails with a 502 (the load
harness saw about one request in a few thousand)."""

JWKS_REFRESH_SECONDS = 1.0
"""How soon a service re-fetches the issuer's JWKS for a token naming an unknown key: small, so a
freshly rotated key is seen within a second (one cheap request per second per replica at most,
however many made-up key ids arrive)."""


async def fetch_json(url: str) -> dict[str, Any]:
    """GET a JSON object (a JWKS document) over HTTP, ignoring environment proxies."""
    async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
        response = await client.get(url)
        response.raise_for_status()
        document = response.json()
    if not isinstance(document, dict):
        raise ValueError("the JWKS document is not a JSON object")
    return document


def key_source_from_settings(runtime: Runtime) -> KeySource:
    """The issuer's keys as the settings say: an inline JWKS, or the JWKS URL (cached, refreshed
    on an unknown key id: how rotation reaches the services without a restart)."""
    settings = runtime.settings
    document = settings.auth_jwks_document()
    if document is not None:
        return StaticKeySet(document)
    if settings.auth_jwks_url:
        return RemoteJwks(settings.auth_jwks_url, fetch_json, min_refresh_interval=JWKS_REFRESH_SECONDS)
    raise RuntimeError(
        f"{runtime.name}: no token keys configured; set {runtime.name.upper()}_AUTH_JWKS_URL "
        f"(the issuer's JWKS, e.g. http://gateway:8000/.well-known/jwks.json) or {runtime.name.upper()}_AUTH_JWKS"
    )


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run a long-lived process's main coroutine on uvloop where it is installed (as uvicorn
    does for the APIs): its C transports make a worker's socket I/O to the database and Kafka
    several times cheaper than asyncio's selector loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover (Windows)
        asyncio.run(main)
        return
    uvloop.run(main)


def audit_anchor_job(service: str, table: Table, runtime: Runtime) -> ScheduledJob:
    """The worker's `audit-anchor` job: sign the audit chain's head every
    `audit_anchor_interval_seconds` (`jiuzhu_platform.audit_anchor.anchor_once`). A chain that
    no longer extends the last anchor is logged as an error at every run and never signed."""
    settings = runtime.settings
    assert settings.audit_anchor_key_file is not None
    assert settings.audit_anchor_file is not None
    key_file, anchor_file = settings.audit_anchor_key_file, settings.audit_anchor_file

    async def run() -> int:
        key = load_private_key(key_file)
        async with runtime.database.transaction() as session:
            anchor = await anchor_once(
                session, table, service=service, key=key, anchor_file=anchor_file, now=runtime.now()
            )
        return 0 if anchor is None else 1

    return ScheduledJob("audit-anchor", settings.audit_anchor_interval_seconds, run)


def build_cli(definition: ServiceDefinition) -> typer.Typer:
    app = typer.Typer(help=f"Jiuzhu {definition.name} service", no_args_is_help=True, add_completion=False)

    def _settings() -> ServiceSettings:
        settings = definition.load_settings()
        configure_logging(definition.name, settings.log_level)
        return settings

    @app.command()
    def api(
        host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to bind")] = 8000,
    ) -> None:
        """Serve the HTTP API."""
        settings = _settings()
        uvicorn.run(
            definition.create_app(settings),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )

    @app.command()
    def worker() -> None:
        """Run the outbox relay and the event consumers."""
        run_event_loop(definition.run_worker(_settings()))

    @app.command("verify-audit")
    def verify_audit() -> None:
        """Check the audit log's hash chain (and its latest signed anchor, when anchoring is
        configured); exit 1 if it is broken."""
        settings = _settings()
        if definition.audit is None:
            raise typer.BadParameter(f"{definition.name} keeps no audit log")
        url = settings.database_url.get_secret_value()
        if settings.audit_anchor_key_file is not None and settings.audit_anchor_file is not None:
            result = asyncio.run(
                verify_database_anchored(
                    url,
                    service=definition.name,
                    key_file=settings.audit_anchor_key_file,
                    anchor_file=settings.audit_anchor_file,
                    table_name=definition.audit.name,
                )
            )
        else:
            result = asyncio.run(verify_database(url, definition.audit.name))
        typer.echo(
            f"{definition.name} audit log: {'intact' if result.ok else 'BROKEN'}; {result.count} entries, "
            f"head seq={result.last_seq} hash={result.last_hash}"
            + ("" if result.ok else f"; first broken seq={result.first_broken_seq}: {result.reason}")
        )
        if not result.ok:
            raise typer.Exit(1)

    @app.command("anchor-audit")
    def anchor_audit() -> None:
        """Sign the audit chain's head and append it to the anchor file (what the worker's
        `audit-anchor` job does every interval); exit 1 if the chain does not extend the last anchor."""
        settings = _settings()
        if definition.audit is None:
            raise typer.BadParameter(f"{definition.name} keeps no audit log")
        if settings.audit_anchor_key_file is None or settings.audit_anchor_file is None:
            raise typer.BadParameter("set <SVC>_AUDIT_ANCHOR_KEY_FILE and <SVC>_AUDIT_ANCHOR_FILE")
        try:
            anchor = asyncio.run(
                anchor_database(
                    settings.database_url.get_secret_value(),
                    service=definition.name,
                    key_file=settings.audit_anchor_key_file,
                    anchor_file=settings.audit_anchor_file,
                    table_name=definition.audit.name,
                )
            )
        except AnchorError as exc:
            typer.echo(f"{definition.name} audit log NOT anchored: {exc}")
            raise typer.Exit(1) from None
        typer.echo(
            f"{definition.name} audit log: "
            + ("already anchored at its head" if anchor is None else f"anchored seq={anchor.seq} hash={anchor.hash}")
        )

    @app.command()
    def migrate() -> None:
        """Upgrade the database to the latest migration."""
        settings = _settings()
        ring = settings.pii_key_ring() if definition.keeps_pii else None
        asyncio.run(definition.migrate(settings.database_url.get_secret_value(), key_ring=ring))
        logger.info("migrated %s to head", definition.name)

    return app
