"""Property-based probe of every operation of the embedded app (issue 15): schemathesis
generates requests from the gateway's merged OpenAPI document and sends each one with an
administrator's, a county-level caseworker's and a citizen's token. Every answer must be
something other than a 5xx, carry a status the operation documents, and match the documented
response schema and content type.

Bounded (`MAX_EXAMPLES` per operation, no deadline, no shrinking, derandomised) so the tier
stays within a few minutes; it runs in `make test` with the rest of `tests/access`. Findings
are collected across all operations and reported together (operation, role, check, status).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.python import asgi

from gateway.runtime import runtime_of
from jiuzhu.embedded import CREDENTIALS_FILE, create_embedded_app

pytestmark = pytest.mark.timeout(1800)
"""A backstop above the suite's 300 s: the probe takes about a minute on a quiet machine and
over ten times that on a busy one (CPU-bound: thousands of requests in one process)."""

MAX_EXAMPLES = 8
"""Generated requests per operation, valid and invalid ones mixed (each sent once per role)."""

COUNTY = "520102"
CASEWORKER = ("probe-cw", "Tansuo-Jingban-2026")
CITIZEN_PHONE = "13900020000"
ROLES = ("administrator", "county_caseworker", "citizen")

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

SESSION_ENDING = ("/v1/auth/logout", "/v1/auth/password", "/v1/auth/citizen/unbind")
"""Operations after which a role's tokens may no longer work: sign in again before the next."""


@schemathesis.serializer("application/x-ndjson")
def ndjson(_ctx: Any, value: Any) -> bytes:
    """A batch of notices: one JSON document per line (a generated array), else one line."""
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode()


@dataclass
class Embedded:
    client: asgi.ASGIClient
    schema: dict[str, Any]
    data_dir: Path
    citizens: int = 0

    def login(self, username: str, password: str) -> dict[str, str]:
        response = self.client.post("/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def citizen(self) -> dict[str, str]:
        """A fresh citizen sign-in (a new phone each time: a phone gets one code a minute)."""
        app = self.client.app
        self.citizens += 1
        phone = f"{CITIZEN_PHONE[:-4]}{self.citizens:04d}"
        sent = self.client.post("/v1/auth/citizen/code", json={"phone": phone})
        assert sent.status_code == 202, sent.text
        code = runtime_of(app).code_sender.latest_code(phone)  # type: ignore[arg-type, attr-defined]
        login = self.client.post("/v1/auth/citizen/login", json={"phone": phone, "code": code})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    def tokens(self) -> dict[str, dict[str, str]]:
        accounts = json.loads((self.data_dir / CREDENTIALS_FILE).read_text())["accounts"]
        admin = next(a for a in accounts if a["username"] == "admin")
        return {
            "administrator": self.login("admin", admin["password"]),
            "county_caseworker": self.login(*CASEWORKER),
            "citizen": self.citizen(),
        }


@pytest.fixture(scope="module")
def embedded() -> Iterator[Embedded]:
    """The embedded app (no demo data) started in schemathesis' own event-loop thread, with a
    county-level caseworker account created by the administrator."""
    data_dir = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    try:
        with pytest.MonkeyPatch.context() as env, asgi.ASGIClient(app := _app(env, data_dir)) as client:
            assert client.app is app
            probe = Embedded(client, {}, data_dir / "data")
            accounts = json.loads((probe.data_dir / CREDENTIALS_FILE).read_text())["accounts"]
            password = next(a["password"] for a in accounts if a["username"] == "admin")
            created = client.post(
                "/v1/auth/users",
                json={
                    "username": CASEWORKER[0],
                    "password": CASEWORKER[1],
                    "roles": ["town_caseworker"],
                    "region": COUNTY,
                    "display_name": "接口探测经办人",
                },
                headers=probe.login("admin", password),
            )
            assert created.status_code == 201, created.text
            probe.schema = client.get("/openapi.json").json()
            yield probe
    finally:
        asgi.shutdown_lifespans()
        shutil.rmtree(data_dir, ignore_errors=True)


def _app(env: pytest.MonkeyPatch, data_dir: Path) -> Any:
    # Every request comes from one client address: the per-IP login throttle (30 a minute)
    # would turn the generated logins and the probe's own sign-ins into 429s after a minute.
    env.setenv("GATEWAY_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
    env.setenv("GATEWAY_LOGIN_IP_ATTEMPTS_PER_MINUTE", "100000")
    # The roles sign in once (again only after an operation that ends a session): their access
    # tokens must outlive the probe, which takes longer than the default 5 minutes on a busy machine.
    env.setenv("GATEWAY_ACCESS_TOKEN_TTL_SECONDS", "3600")
    return create_embedded_app(data_dir / "data", demo=False)


@dataclass(frozen=True)
class Finding:
    operation: str
    role: str
    status: int | None
    problem: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.role}: {self.status} {self.problem}"


def _describe(failure: Failure, response: Any) -> str:
    message = " ".join(str(failure.message).split())[:300]
    return f"{failure.title}: {message} | body: {response.text[:200]}"


@dataclass
class Probe:
    """Sends generated cases of each operation once per role and collects what the checks find."""

    embedded: Embedded
    findings: list[Finding] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    calls: int = 0

    def send(self, operation: Any, case: Any) -> None:
        label = f"{operation.method.upper()} {operation.path}"
        for role in ROLES:
            self.calls += 1
            response = case.call(session=self.embedded.client, headers=self.tokens[role])
            self.statuses[f"{label} {response.status_code}"] += 1
            failures: list[Failure] = []
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:  # failed checks: recorded, not shrunk (bounded time)
                failures.extend(group.exceptions)
            except Failure as failure:
                failures.append(failure)
            self.findings += [Finding(label, role, response.status_code, _describe(f, response)) for f in failures]
            if operation.path in SESSION_ENDING:
                self.tokens = self.embedded.tokens()

    def run(self, operation: Any) -> None:
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def examples(case: Any) -> None:
            self.send(operation, case)

        try:
            examples()
        except Exception as exc:  # the probe itself could not send this operation
            label = f"{operation.method.upper()} {operation.path}"
            self.findings.append(Finding(label, "-", None, f"probe error: {type(exc).__name__}: {exc}"[:400]))


def probe_every_operation(embedded: Embedded) -> tuple[list[Finding], int, int]:
    schema = schemathesis.openapi.from_dict(embedded.schema)
    probe = Probe(embedded, tokens=embedded.tokens())
    operations = 0
    for result in schema.get_all_operations():
        operations += 1
        probe.run(result.ok())
    if report := os.environ.get("JIUZHU_SCHEMATHESIS_STATUSES"):
        lines = (f"{n:5d} {key}\n" for key, n in sorted(probe.statuses.items()))
        Path(report).write_text("".join(lines), encoding="utf-8")
    return probe.findings, operations, probe.calls


def test_every_operation_for_three_roles_has_no_5xx_and_matches_its_schema(embedded: Embedded) -> None:
    findings, operations, calls = probe_every_operation(embedded)

    assert operations >= 50, f"only {operations} operations found: is the merged OpenAPI complete?"
    unique = sorted({str(f) for f in findings})
    if report := os.environ.get("JIUZHU_SCHEMATHESIS_REPORT"):
        Path(report).write_text("\n".join(unique) + "\n", encoding="utf-8")
    assert not unique, f"{len(unique)} findings over {operations} operations ({calls} calls):\n" + "\n".join(unique)
