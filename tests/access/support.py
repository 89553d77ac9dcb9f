"""Shared helpers of the access-control and privacy suite (`tests/access`).

- `DEFINITIONS`: the five services' definitions, so every test covers every service.
- `CALLERS`: the principals the suite sends, one per role of `ROLE_SCOPES` (with a kind and a
  region that fits the role) plus a few edge cases (no role, an unknown role, a department
  holding an agreement scope). `Caller.scopes` are the effective scopes the verifier computes.
- `operations(app)`: every operation of an app with its declared requirement, enumerated from
  the routes themselves (FastAPI route contexts, as `jiuzhu_platform.auth` does), so the
  matrices grow with the routes.
- `dummy_request(...)`: a request for an operation with placeholder path parameters.
- small readers of the audit table and of raw SQLite rows.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from sqlalchemy import select

from eligibility.main import DEFINITION as ELIGIBILITY
from jiuzhu_platform.auth import (
    INFRASTRUCTURE_PATHS,
    ROLE_SCOPES,
    Requirement,
    declared_requirement,
    scopes_for_roles,
)
from jiuzhu_platform.bus import Message, OutgoingMessage
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.testing import ServiceHarness, TestIssuer
from monitoring.main import DEFINITION as MONITORING
from payment.main import DEFINITION as PAYMENT
from procurement.main import DEFINITION as PROCUREMENT
from shared.events import ApplicationSubmitted, ApplicationSubmittedData, AssistanceType
from verification.main import DEFINITION as VERIFICATION

OpenHarness = Callable[[str], Awaitable[ServiceHarness]]
"""The `open_harness` fixture: `await open_harness("eligibility")`."""

DEFINITIONS: tuple[ServiceDefinition, ...] = (ELIGIBILITY, VERIFICATION, PAYMENT, MONITORING, PROCUREMENT)
BY_NAME: Mapping[str, ServiceDefinition] = {d.name: d for d in DEFINITIONS}
SERVICE_NAMES: tuple[str, ...] = tuple(BY_NAME)

# Regions of Guiyang used throughout: Nanming (520102) with two of its towns, Yunyan (520103).
COUNTY = "520102"
TOWN = "520102001000"
OTHER_TOWN = "520102002000"
OTHER_COUNTY = "520103"
OTHER_COUNTY_TOWN = "520103001000"

# A valid resident ID (GB 11643 check character X), its masked form, and a mobile number.
RESIDENT_ID = "11010519491231002X"
RESIDENT_ID_MASKED = "1101**********002X"
OTHER_RESIDENT_ID = "520102198001011235"  # check digit 5 is valid for this body
BAD_CHECK_DIGIT_ID = "110105194912310021"
PHONE = "13812345678"
PHONE_MASKED = "138****5678"


# --------------------------------------------------------------------------- callers


@dataclass(frozen=True)
class Caller:
    """A principal as claims for `TestIssuer.token(**claims)`."""

    name: str
    kind: str
    roles: tuple[str, ...] = ()
    region: str | None = None
    household_id: str | None = None
    client_id: str | None = None
    extra_scopes: tuple[str, ...] = ()
    subject: str = field(default="")

    @property
    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "kind": self.kind,
            "roles": self.roles,
            "scopes": self.extra_scopes,
            "subject": self.subject or f"{self.name}-subject",
        }
        optional = {"region": self.region, "household_id": self.household_id, "client_id": self.client_id}
        claims.update({k: v for k, v in optional.items() if v is not None})
        return claims

    @property
    def scopes(self) -> frozenset[str]:
        """The effective scopes (token `scope` ∪ the scopes of `roles`), as the verifier computes."""
        return frozenset(self.extra_scopes) | scopes_for_roles(self.roles)

    @property
    def actor(self) -> str:
        """What the audit log records as the actor: the client id, else the subject."""
        return self.client_id or self.claims["subject"]

    def headers(self, issuer: TestIssuer) -> dict[str, str]:
        return issuer.headers(**self.claims)

    def with_(self, **changes: Any) -> Caller:
        values = {**self.__dict__, **changes}
        return Caller(**values)


CITIZEN_HOUSEHOLD = str(uuid.UUID("00000000-0000-4000-8000-00000000c171"))

_STAFF_REGIONS: Mapping[str, str | None] = {
    "town_caseworker": TOWN,
    "county_approver": COUNTY,
    "city_admin": None,  # city-wide roles: no region = the whole city
    "auditor": None,
    "procurement_officer": COUNTY,
    "payment_officer": COUNTY,
}


def _role_caller(role: str) -> Caller | None:
    """The caller of a role; None for a role this suite does not know yet (a test says so)."""
    if role == "citizen":
        return Caller(role, "citizen", (role,), household_id=CITIZEN_HOUSEHOLD)
    if role == "citizen_unbound":
        return Caller(role, "citizen", (role,))
    if role == "department":
        return Caller(role, "department", (role,), client_id="dept-civil-affairs")
    if role == "third_party":
        return Caller(role, "third_party", (role,), client_id="tp-bank")
    if role not in _STAFF_REGIONS:
        return None
    return Caller(role, "staff", (role,), region=_STAFF_REGIONS[role])


def role_callers() -> dict[str, Caller]:
    """One caller per key of `ROLE_SCOPES` that this suite knows (see `_role_caller`)."""
    callers = {str(role): _role_caller(str(role)) for role in ROLE_SCOPES}
    return {role: c for role, c in callers.items() if c is not None}


EXTRA_CALLERS: dict[str, Caller] = {
    "staff_without_role": Caller("staff_without_role", "staff", (), region=COUNTY),
    "unknown_role": Caller("unknown_role", "staff", ("superadmin",), region=None),
    # A department whose data-sharing agreement grants the register in its token's `scope`.
    "department_with_agreement": Caller(
        "department_with_agreement",
        "department",
        ("department",),
        region=COUNTY,
        client_id="dept-rural-revitalisation",
        extra_scopes=("monitoring:households:read",),
    ),
    # A department whose agreement lets it push change notices (公安: deaths, hukou, …).
    "department_pushing": Caller(
        "department_pushing",
        "department",
        ("department",),
        client_id="dept-public-security",
        extra_scopes=("verification:notices:push",),
    ),
    # A department whose agreement lets it ask who receives assistance and subscribe to changes
    # (医疗保障局: 医疗救助 for recipients of 低保/特困).
    "department_exchanging": Caller(
        "department_exchanging",
        "department",
        ("department",),
        client_id="dept-medical-security",
        extra_scopes=("verification:exchange:search", "verification:exchange:subscribe"),
    ),
    # A bank with the payroll agreement: fetches its runs' files, uploads results.
    "bank_with_agreement": Caller(
        "bank_with_agreement",
        "third_party",
        ("third_party",),
        client_id="tp-bank-payroll",
        extra_scopes=("payment:bankfiles:read", "payment:bankfiles:write"),
    ),
    # A social organisation (承接主体) with its procurement agreement: reads announcements, bids,
    # reads its care assignments and records visits (as its own provider only).
    "provider_with_agreement": Caller(
        "provider_with_agreement",
        "third_party",
        ("third_party",),
        client_id="sw-yangguang",
        extra_scopes=(
            "procurement:projects:read",
            "procurement:bids:write",
            "procurement:delivery:read",
            "procurement:delivery:write",
        ),
    ),
    # The gateway's own service token at real-name binding (no role; one scope).
    "gateway_service": Caller(
        "gateway_service", "service", (), subject="gateway", extra_scopes=("eligibility:households:resolve",)
    ),
}

CALLERS: dict[str, Caller] = {**role_callers(), **EXTRA_CALLERS}


def caller(name: str, **changes: Any) -> Caller:
    base = CALLERS[name]
    return base.with_(**changes) if changes else base


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    requirement: Requirement
    route: APIRoute

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z_]+)?\}")


def iter_views(app: FastAPI) -> Iterator[tuple[Any, Any]]:
    """(original route, effective view) of every route, as `jiuzhu_platform.auth` sees them."""
    for context in fastapi_routing.iter_route_contexts(app.router.routes):
        yield context.original_route, context


def operations(app: FastAPI) -> list[Operation]:
    """Every (method, path) of the app's API routes with a declared requirement. Routes without
    one must be infrastructure (`INFRASTRUCTURE_PATHS`): anything else is an AssertionError."""
    found: list[Operation] = []
    for original, view in iter_views(app):
        if not isinstance(original, APIRoute):
            continue
        requirement = declared_requirement(view)
        path = str(view.path)
        if requirement is None:
            assert path in INFRASTRUCTURE_PATHS, f"{path} declares no requirement"
            continue
        for method in sorted(view.methods or ()):
            if method == "HEAD":
                continue
            found.append(Operation(method, path, requirement, original))
    return found


def concrete_path(template: str) -> str:
    """The template with placeholders: a random UUID for `*_id` parameters, `x` otherwise."""

    def fill(match: re.Match[str]) -> str:
        return str(uuid.uuid4()) if match.group(1).endswith("id") else "x"

    return _PARAM.sub(fill, template)


async def dummy_request(client: httpx.AsyncClient, operation: Operation, headers: Mapping[str, str]) -> httpx.Response:
    """Send the operation with placeholder path parameters (and `{}` as the body of a write)."""
    path = concrete_path(operation.path)
    if operation.method in ("POST", "PUT", "PATCH"):
        return await client.request(operation.method, path, json={}, headers=dict(headers))
    return await client.request(operation.method, path, headers=dict(headers))


# --------------------------------------------------------------------------- error shape


def assert_error_shape(response: httpx.Response, status: int, reason: str | None = None) -> dict[str, Any]:
    """The common error body (`error`, `reason`, `detail`, `message_zh`, `correlation_id`) with
    `status`, and the given `reason` code."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body, dict), body
    assert {"error", "reason", "detail", "message_zh", "correlation_id"} <= set(body), body
    assert body["correlation_id"] == response.headers["x-request-id"], body
    assert body["message_zh"], body
    if reason is not None:
        assert isinstance(body["detail"], str), body
        assert body["reason"] == reason, body
    return body


# --------------------------------------------------------------------------- audit and raw rows


async def audit_rows(h: ServiceHarness, **where: Any) -> list[dict[str, Any]]:
    """The service's audit entries (every column, `details` parsed), in chain order."""
    table = h.definition.audit
    assert table is not None
    statement = select(table).order_by(table.c.seq)
    for column, value in where.items():
        statement = statement.where(table.c[column] == value)
    async with h.runtime.database.transaction() as session:
        rows = (await session.execute(statement)).mappings().all()
    return [{**row, "details": None if row["details"] is None else json.loads(row["details"])} for row in rows]


def database_file(h: ServiceHarness) -> Path:
    url = h.runtime.settings.database_url.get_secret_value()
    prefix = "sqlite+aiosqlite:///"
    assert url.startswith(prefix), url
    return Path(url.removeprefix(prefix))


def raw_connection(h: ServiceHarness) -> sqlite3.Connection:
    """A plain sqlite3 connection to the harness database (bypasses the app and its types)."""
    return sqlite3.connect(database_file(h))


def every_cell(h: ServiceHarness) -> Iterator[tuple[str, str, Any]]:
    """(table, column, raw value) of every cell of every table of the service's database."""
    with raw_connection(h) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    yield table, column, value


def cell_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- monitoring feed


def application_submitted(
    household_id: uuid.UUID, region_code: str, town_code: str | None = None
) -> ApplicationSubmitted:
    return ApplicationSubmitted.create(
        ApplicationSubmittedData(
            application_id=uuid.uuid4(),
            household_id=household_id,
            assistance_type=AssistanceType.DIBAO,
            region_code=region_code,
            town_code=town_code,
            member_count=2,
            applicant_masked_id=RESIDENT_ID_MASKED,
        ),
        subject=str(household_id),
        correlation_id=f"feed-{household_id.hex[:8]}",
        now=datetime.now(UTC),
    )


async def feed_register(
    h: ServiceHarness, household_id: uuid.UUID, region_code: str, town_code: str | None = None
) -> None:
    """Put a household in monitoring's register the way production does: an application_submitted
    event on the bus, handled by the service's real consumer."""
    event = application_submitted(household_id, region_code, town_code)
    await h.bus.publish([OutgoingMessage("eligibility.events", event.subject.encode(), event.to_json_bytes())])
    message: Message = h.bus.messages("eligibility.events")[-1]
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("register"))
    assert await consumer.process(message) == "applied"
