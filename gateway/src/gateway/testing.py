"""Test helpers for the gateway (its own tests, the embedded mode's and the e2e tier's):
a migrated database, settings with cheap password hashing, a movable clock, an open gateway
with an HTTP client, and department request signing.

    url = await migrated_sqlite(tmp_path)
    settings = settings_for_tests(url, upstreams={"eligibility": "http://eligibility.test"})
    async with open_gateway(settings, transports=...) as (app, client):
        identity: IdentityService = runtime_of(app).identity
        await identity.admin.create_user(NewStaffUser("admin", "Str0ng-Passw0rd!", ("city_admin",), "Admin"),
                                   actor=Actor.cli())
        outbox: TestOutboxCodeSender = runtime_of(app).code_sender   # outbox.latest_code("13812345678")
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request

from gateway.db import migrate_async
from gateway.identity.adapters.audit import AuditLog
from gateway.identity.adapters.clients import TestOutboxCodeSender
from gateway.identity.domain.model import ClientKind, NewClient, NewStaffUser, RegisteredClient
from gateway.identity.domain.rules import canonical_request
from gateway.identity.service import IdentityService
from gateway.identity.service.admin import Actor
from gateway.main import create_app
from gateway.runtime import GatewayRuntime, runtime_of
from gateway.settings import Settings
from jiuzhu_platform.auth import Principal
from jiuzhu_platform.pii import generate_key
from jiuzhu_platform.testing import ThrowawayDatabases

CHEAP_ARGON2: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_cost_kib": 8192, "argon2_parallelism": 1}
"""argon2id parameters that keep a test suite fast (never for production)."""

_template_lock = asyncio.Lock()
_template: Path | None = None


async def migrated_sqlite(directory: Path, name: str = "gateway.db") -> str:
    """A migrated SQLite gateway database in `directory` (a copy of one migrated template per
    process, so each test gets a fresh database cheaply). Returns its async URL."""
    global _template
    async with _template_lock:
        if _template is None:
            folder = Path(tempfile.mkdtemp(prefix="jiuzhu-gateway-template-"))
            template = folder / "template.db"
            await migrate_async(f"sqlite+aiosqlite:///{template}")
            _template = template
    target = directory / name
    await asyncio.to_thread(shutil.copyfile, _template, target)
    return f"sqlite+aiosqlite:///{target}"


def settings_for_tests(database_url: str, *, upstreams: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Issuer-mode settings for tests: env=test, a fresh PII key ring, cheap argon2, no OpenAPI
    re-fetch delay, the deny-list re-read on every check."""
    values: dict[str, Any] = {
        "env": "test",
        "upstreams": dict(upstreams or {}),
        "database_url": database_url,
        "pii_keys": {"t1": generate_key()},
        "pii_active_key": "t1",
        "pii_index_key": generate_key(),
        "revocation_refresh_seconds": 0,
        "signing_key_cache_seconds": 0,
        **CHEAP_ARGON2,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class MovableClock:
    """An aware UTC clock that tests move forward (`advance(seconds=...)`)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class AnonymousAuthenticator:
    """Lets every proxied request through unauthenticated. For tests of the proxy mechanics
    only; never in a deployed gateway."""

    async def authenticate(self, request: Request, service: str) -> Principal | None:
        return None


@asynccontextmanager
async def open_gateway(
    settings: Settings, *, client_ip: str = "203.0.113.7", base_url: str = "http://gateway.test", **kwargs: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The gateway with its lifespan entered and an in-process HTTP client to it;
    `kwargs` go to `create_app` (transports, authenticator, code_sender, clock…)."""
    app = create_app(settings, **kwargs)
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield app, client


# --------------------------------------------------------------------------- department signatures


@dataclass(frozen=True)
class DepartmentKey:
    """An Ed25519 key pair of a department; `public_text` is what gets registered."""

    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public_text(self) -> str:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def sign_headers(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """The three signature headers for `method target` (path and query as sent) and `body`."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or secrets.token_urlsafe(18)
        signature = self.private.sign(canonical_request(stamp, nonce, method, target, body))
        return {
            "X-Jiuzhu-Timestamp": stamp,
            "X-Jiuzhu-Nonce": nonce,
            "X-Jiuzhu-Signature": base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii"),
        }


# --------------------------------------------------------------------------- throwaway PostgreSQL


ThrowawayPostgres = ThrowawayDatabases
"""Throwaway PostgreSQL databases for the gateway's tests (the platform's helper)."""


# --------------------------------------------------------------------------- a harness for identity tests

STRONG_PASSWORD = "Guiyang-Relief-2026"  # noqa: S105 (a test password)


@dataclass
class Harness:
    """A running gateway (issuer mode) with its clock, and shortcuts to get tokens."""

    app: FastAPI
    client: httpx.AsyncClient
    clock: MovableClock

    @property
    def runtime(self) -> GatewayRuntime:
        return runtime_of(self.app)

    @property
    def audit(self) -> AuditLog:
        audit = self.runtime.audit
        assert audit is not None
        return audit

    @property
    def identity(self) -> IdentityService:
        identity = self.runtime.identity
        assert identity is not None
        return identity

    @property
    def outbox(self) -> TestOutboxCodeSender:
        sender = self.runtime.code_sender
        assert isinstance(sender, TestOutboxCodeSender)
        return sender

    async def create_staff(
        self, username: str, roles: tuple[str, ...], *, region: str | None = None, password: str = STRONG_PASSWORD
    ) -> None:
        await self.identity.admin.create_user(
            NewStaffUser(username, password, roles, username.title(), region), actor=Actor.cli()
        )

    async def staff_tokens(self, username: str, password: str = STRONG_PASSWORD, totp: str | None = None) -> Any:
        body: dict[str, Any] = {"username": username, "password": password}
        if totp is not None:
            body["totp"] = totp
        response = await self.client.post("/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def staff_headers(self, username: str, roles: tuple[str, ...], region: str | None = None) -> dict[str, str]:
        """Create the user and sign in: `{"Authorization": "Bearer …"}`."""
        await self.create_staff(username, roles, region=region)
        tokens = await self.staff_tokens(username)
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    async def citizen_tokens(self, phone: str) -> Any:
        assert (await self.client.post("/v1/auth/citizen/code", json={"phone": phone})).status_code == 202
        code = self.outbox.latest_code(phone)
        response = await self.client.post("/v1/auth/citizen/login", json={"phone": phone, "code": code})
        assert response.status_code == 200, response.text
        return response.json()

    async def register_client(
        self, kind: str, scopes: tuple[str, ...], *, region: str | None = None, public_key: str | None = None
    ) -> RegisteredClient:
        return await self.identity.admin.register_client(
            NewClient(f"{kind} client", ClientKind(kind), scopes, region, public_key), actor=Actor.cli()
        )

    async def client_token(self, client: RegisteredClient, scope: str | None = None) -> str:
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        response = await self.client.post("/v1/auth/token", data=form, auth=(client.client_id, client.client_secret))
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


@asynccontextmanager
async def open_harness(
    database_url: str,
    *,
    upstreams: Mapping[str, Any] | None = None,
    clock: MovableClock | None = None,
    **overrides: Any,
) -> AsyncIterator[Harness]:
    """The gateway on `database_url` (migrated) with in-process ASGI `upstreams` (name → app);
    `overrides` go to `settings_for_tests`."""
    apps = dict(upstreams or {})
    moving = clock or MovableClock()
    settings = settings_for_tests(database_url, upstreams={name: f"http://{name}.test" for name in apps}, **overrides)
    transports = {name: httpx.ASGITransport(app=app) for name, app in apps.items()}
    async with open_gateway(settings, transports=transports, clock=moving) as (app, client):
        yield Harness(app, client, moving)
