"""The embedded mode: every service and the gateway in one process, SQLite files, and the
in-process bus. It runs the same code as the distributed mode: the gateway proxies over HTTP
semantics (ASGI transports instead of sockets), services write state and outbox rows in one
transaction, relays publish to the bus, consumers apply events through their inbox.

The gateway is the token issuer here too (its identity database is `gateway.db`); services
verify every token again with the gateway's keys. Keys for personal data at rest are kept in
`keys/<name>.json` under the data directory (dev only: made on first start, mode 0600).
On first start the data directory also gets `credentials.json` (mode 0600) with the first
administrator and one demo caseworker per county; `jiuzhu create-admin` makes more."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from eligibility.main import DEFINITION as ELIGIBILITY
from gateway.db import migrate_async as migrate_gateway
from gateway.identity.domain.errors import InvalidInput
from gateway.identity.domain.model import NewStaffUser
from gateway.identity.domain.rules import check_password
from gateway.identity.service.admin import Actor, Administration
from gateway.main import AppKeySource
from gateway.main import create_app as create_gateway_app
from gateway.runtime import runtime_of
from gateway.settings import Settings as GatewaySettings
from jiuzhu.demo import approver_of, caseworker_of, demo_counties, load_demo_households
from jiuzhu.demo_payment import payment_officer_of, second_officer_of
from jiuzhu_platform.auth import Role
from jiuzhu_platform.bus import InProcessBus
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.pii_keys import dev_key_settings
from jiuzhu_platform.runtime import Runtime
from jiuzhu_platform.settings import ServiceSettings
from jiuzhu_platform.worker import run_components
from monitoring.main import DEFINITION as MONITORING
from payment.main import DEFINITION as PAYMENT
from procurement.main import DEFINITION as PROCUREMENT
from verification.main import DEFINITION as VERIFICATION

logger = logging.getLogger(__name__)

DEFINITIONS: tuple[ServiceDefinition, ...] = (ELIGIBILITY, VERIFICATION, PAYMENT, MONITORING, PROCUREMENT)
CREDENTIALS_FILE = "credentials.json"
ADMIN_USERNAME = "admin"


def embedded_settings(definition: ServiceDefinition, data_dir: Path) -> ServiceSettings:
    keys = dev_key_settings(data_dir / "keys" / f"{definition.name}.json") if definition.keeps_pii else {}
    return definition.settings_class(
        env="dev",
        database_url=f"sqlite+aiosqlite:///{data_dir / f'{definition.name}.db'}",
        bus="inprocess",
        relay_idle_seconds=0.05,
        **keys,
    )


SMS_CODES_FILE = "sms-codes.jsonl"
"""In the data directory: every citizen sign-in code the dev gateway "sent", one JSON line each
(`{"to": "138****5678", "code": "123456"}`), since embedded mode sends no SMS."""


def gateway_settings(data_dir: Path, upstreams: Sequence[str]) -> GatewaySettings:
    return GatewaySettings(
        env="dev",
        upstreams={name: f"http://{name}.embedded" for name in upstreams},
        database_url=f"sqlite+aiosqlite:///{data_dir / 'gateway.db'}",
        pii_dev_key_file=data_dir / "keys" / "gateway.json",
        # dev: sign-in codes for citizens are not sent by SMS; a developer reads them here
        code_outbox_file=data_dir / SMS_CODES_FILE,
        # One developer on loopback: the first start's demo loader sends a burst of a few
        # hundred requests, which the production limits (50/s per IP, 20/s per caller) would
        # stretch into a minute of waiting before the docs answer.
        rate_limit_per_second=500.0,
        rate_limit_burst=1000,
        client_rate_limit_per_second=500.0,
        client_rate_limit_burst=1000,
    )


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    roles: tuple[str, ...]
    region: str | None = None


def _write_private(path: Path, document: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)


def random_password() -> str:
    """A random password the gateway's password policy accepts (drawn until one does)."""
    while True:
        candidate = secrets.token_urlsafe(18)
        try:
            check_password(candidate, username="")
        except InvalidInput:
            continue
        return candidate


async def create_first_accounts(admin: Administration, data_dir: Path) -> dict[str, Account]:
    """The first administrator, and one demo caseworker (经办人) and one approver (审核确认人) per
    county of the demo slice, with random passwords, written to `credentials.json` (0600).
    Returns them by username."""
    counties = demo_counties()
    accounts = [
        Account(ADMIN_USERNAME, random_password(), (Role.CITY_ADMIN,)),
        *(Account(caseworker_of(county), random_password(), (Role.TOWN_CASEWORKER,), county) for county in counties),
        *(Account(approver_of(county), random_password(), (Role.COUNTY_APPROVER,), county) for county in counties),
        *(Account(payment_officer_of(c), random_password(), (Role.PAYMENT_OFFICER,), c) for c in counties),
        *(Account(second_officer_of(c), random_password(), (Role.PAYMENT_OFFICER,), c) for c in counties),
        Account("procurement", random_password(), (Role.PROCUREMENT_OFFICER,)),  # city-wide (市局)
    ]
    for account in accounts:
        await admin.create_user(
            NewStaffUser(account.username, account.password, account.roles, account.username, account.region),
            actor=Actor.cli(),
        )
    _write_private(
        data_dir / CREDENTIALS_FILE,
        {
            "note": "embedded mode (dev) accounts; change the passwords or delete this file",
            "accounts": [account.__dict__ | {"roles": list(account.roles)} for account in accounts],
        },
    )
    logger.info("first start: %d accounts created; credentials in %s", len(accounts), data_dir / CREDENTIALS_FILE)
    return {account.username: account for account in accounts}


def saved_accounts(data_dir: Path) -> dict[str, Account]:
    """The accounts of `credentials.json` (empty if it was deleted, as its note suggests)."""
    path = data_dir / CREDENTIALS_FILE
    if not path.exists():
        return {}
    accounts = json.loads(path.read_text(encoding="utf-8"))["accounts"]
    return {a["username"]: Account(a["username"], a["password"], tuple(a["roles"]), a["region"]) for a in accounts}


def owner_only(data_dir: Path) -> None:
    """Make the SQLite databases readable by their owner only (0600; SQLite gives its -wal and
    -shm files the database's mode)."""
    for path in data_dir.glob("*.db*"):
        path.chmod(0o600)


def create_embedded_app(
    data_dir: Path, *, demo: bool = True, definitions: Sequence[ServiceDefinition] = DEFINITIONS
) -> FastAPI:
    """The gateway app, whose lifespan also migrates and starts every service and its worker."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)  # personal data, keys and credentials: the owner's only
    bus = InProcessBus()
    first_gateway_start = not (data_dir / "gateway.db").exists()
    first_service_start = not (data_dir / f"{ELIGIBILITY.name}.db").exists()
    settings = {d.name: embedded_settings(d, data_dir) for d in definitions}
    config = gateway_settings(data_dir, [d.name for d in definitions])
    # The services need the gateway's keys and the gateway needs transports to the services: the
    # gateway reads `transports` only when its lifespan starts, by which time they are filled in.
    transports: dict[str, httpx.AsyncBaseTransport] = {}
    gateway = create_gateway_app(config, transports=transports)
    keys = AppKeySource(gateway)
    service_apps = {d.name: d.create_app(settings[d.name], bus=bus, keys=keys) for d in definitions}
    transports.update({name: httpx.ASGITransport(app=app) for name, app in service_apps.items()})
    gateway_lifespan = gateway.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            assert config.database_url is not None
            await migrate_gateway(config.database_url.get_secret_value())
            for definition in definitions:
                service_settings = settings[definition.name]
                ring = service_settings.pii_key_ring() if definition.keeps_pii else None
                await definition.migrate(service_settings.database_url.get_secret_value(), key_ring=ring)
            owner_only(data_dir)
            for service_app in service_apps.values():
                await stack.enter_async_context(service_app.router.lifespan_context(service_app))
            stop = asyncio.Event()
            workers = [
                asyncio.create_task(run_components(d.worker_components(_runtime(service_apps[d.name])), stop))
                for d in definitions
            ]
            try:
                async with gateway_lifespan(app):
                    identity = runtime_of(app).identity
                    assert identity is not None, "the embedded gateway issues tokens"
                    accounts = (
                        await create_first_accounts(identity.admin, data_dir)
                        if first_gateway_start
                        else saved_accounts(data_dir)
                    )
                    if demo and first_service_start and accounts:
                        await load_demo_households(
                            gateway,
                            accounts,
                            eligibility=_runtime(service_apps[ELIGIBILITY.name]),
                            procurement=_runtime(service_apps[PROCUREMENT.name]),
                            verification=_runtime(service_apps[VERIFICATION.name]),
                            monitoring=_runtime(service_apps[MONITORING.name]),
                        )
                    yield
            finally:
                stop.set()
                await asyncio.gather(*workers, return_exceptions=True)

    gateway.router.lifespan_context = lifespan
    gateway.state.bus = bus
    gateway.state.service_apps = service_apps
    return gateway


def _runtime(app: FastAPI) -> Runtime:
    runtime = app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime
