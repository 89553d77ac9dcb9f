"""The distributed deployment on one machine, for the e2e tier: every service's API and worker
and the gateway each in its own process, on real PostgreSQL (one throwaway database each) and
real Kafka (a topic prefix per run), configured only through environment variables, as in
docker compose. The gateway is the token issuer; the first administrator is created with the
gateway's own CLI, as the README tells an operator to."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from jiuzhu_platform.pii import generate_key
from shared.types import resident_id_check_digit
from tests.conftest import ThrowawayDatabases, server_setting

SERVICES = ("eligibility", "verification", "payment", "monitoring", "procurement")
PII_SERVICES = ("eligibility", "verification", "payment", "monitoring", "procurement")
STARTUP_SECONDS = 180
"""The bound on every process answering ready: generous, a busy machine starts eleven Python
processes slowly (the wait ends as soon as they answer)."""
FLOW_SECONDS = 120
"""The bound on waiting for an effect to cross the cluster (an event through Kafka to another
service's worker): generous for the same reason."""
ADMIN = "admin"
ADMIN_PASSWORD = "E2e-Cluster-Passw0rd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pii_env(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}_PII_KEYS": json.dumps({"e2e1": generate_key()}),
        f"{prefix}_PII_ACTIVE_KEY": "e2e1",
        f"{prefix}_PII_INDEX_KEY": generate_key(),
    }


@dataclass
class Cluster:
    directory: Path
    gateway_url: str
    service_urls: dict[str, str]
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    departments_url: str = ""
    """The department simulator (its own process): `POST {departments_url}/_admin/config` sets faults."""

    def log(self, name: str) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_text(name).splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return lines

    def log_text(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def start(self, name: str, args: list[str]) -> None:
        log = (self.directory / f"{name}.log").open("ab")
        self.commands[name] = args
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
        )

    def stop(self, name: str) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def kill(self, name: str) -> None:
        """SIGKILL a process (no clean shutdown: what a crashed pod or an OOM kill looks like)."""
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(15)

    def respawn(self, name: str) -> None:
        """Start a stopped or killed process again with the command it was started with."""
        self.start(name, self.commands[name])

    def ready_url(self, name: str) -> str | None:
        """Where a process answers when it is ready (`None` for workers, which serve no HTTP)."""
        if name == "gateway":
            return f"{self.gateway_url}/healthz"
        if name.endswith("-api"):
            return f"{self.service_urls[name.removesuffix('-api')]}/readyz"
        if name == "departments":
            return f"{self.departments_url}/_admin/config"
        return None

    async def restart(self, name: str, ready_url: str) -> None:
        self.stop(name)
        self.start(name, self.commands[name])
        await wait_until_ready([ready_url], self)

    def client(self, **headers: str) -> httpx.AsyncClient:
        """An HTTP client to the gateway (the only public entry)."""
        return httpx.AsyncClient(base_url=self.gateway_url, timeout=90, trust_env=False, headers=headers)

    def code_sent_to(self, masked_phone: str) -> str:
        """The last sign-in code the gateway's test outbox holds for a (masked) phone."""
        codes = [
            json.loads(line)["code"]
            for line in (self.directory / "codes.jsonl").read_text().splitlines()
            if json.loads(line)["to"] == masked_phone
        ]
        assert codes, f"no code sent to {masked_phone}"
        return str(codes[-1])


def run(args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=120,
        check=False,
        input=stdin.encode() if stdin is not None else None,
    )
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output
    return output


async def wait_until_ready(urls: list[str], cluster: Cluster) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
        for url in urls:
            while True:
                for name, process in cluster.processes.items():
                    if process.poll() is not None and name in cluster.commands and process.returncode not in (0, -15):
                        raise AssertionError(
                            f"{name} exited with {process.returncode}:\n{cluster.log_text(name)[-3000:]}"
                        )
                try:
                    if (await client.get(url)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{url} not ready after {STARTUP_SECONDS}s")
                await asyncio.sleep(0.3)


@asynccontextmanager
async def running_cluster(directory: Path, *, traces_to: str | None = None) -> AsyncIterator[Cluster]:
    """The cluster; with `traces_to` (an OTLP/HTTP endpoint, e.g. `tests.e2e.otlp.OtlpReceiver`)
    every process exports its spans there."""
    kafka_bootstrap = server_setting("JIUZHU_KAFKA_BOOTSTRAP")
    databases = ThrowawayDatabases(server_setting("JIUZHU_PG_ADMIN_URL"))
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    own = tuple(s.upper() + "_" for s in (*SERVICES, "gateway"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    ports = {s: free_port() for s in SERVICES}
    gateway_port = free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    departments_url = f"http://127.0.0.1:{free_port()}"
    person_ref_key = generate_key()
    for service in SERVICES:
        upper = service.upper()
        env |= {
            f"{upper}_ENV": "test",
            f"{upper}_DATABASE_URL": await databases.create(service),
            f"{upper}_BUS": "kafka",
            f"{upper}_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            f"{upper}_KAFKA_TOPIC_PREFIX": prefix,
            f"{upper}_RELAY_IDLE_SECONDS": "0.1",
            # DEBUG: consumers log each event there (at INFO only problems), and the tests follow
            # a request's correlation id into the workers' logs.
            f"{upper}_LOG_LEVEL": "DEBUG",
            f"{upper}_AUTH_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
        }
        if service in PII_SERVICES:
            env |= pii_env(upper)
        env[f"{upper}_PERSON_REF_KEY"] = person_ref_key  # one city-wide key: the same in every service
    env |= {
        "VERIFICATION_DEPARTMENTS_URL": departments_url,
        # per attempt (the production default): room for a busy machine's answers; a test that
        # hangs a department waits it out twice, and the hang lasts longer
        "VERIFICATION_QUERY_TIMEOUT_SECONDS": "3",
        "VERIFICATION_QUERY_ATTEMPTS": "2",
        "VERIFICATION_CHECKS_INTERVAL_SECONDS": "0.2",
        "PAYMENT_DEBTORS": json.dumps(
            {
                county: {"name": "民政局社会救助资金专户", "account": "6222020200112345679", "cnaps": "102701000019"}
                for county in ("520102", "520103")
            }
        ),
    }
    env |= {
        "GATEWAY_ENV": "test",
        "GATEWAY_UPSTREAMS": json.dumps({s: f"http://127.0.0.1:{p}" for s, p in ports.items()}),
        # above a check that waits out a hanging department (2 attempts of the query timeout)
        "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "60",
        "GATEWAY_DATABASE_URL": await databases.create("gateway"),
        "GATEWAY_CODE_OUTBOX_FILE": str(directory / "codes.jsonl"),
        # cheap password hashing and room for the tests' many sign-ins from one address
        "GATEWAY_ARGON2_TIME_COST": "1",
        "GATEWAY_ARGON2_MEMORY_COST_KIB": "8192",
        "GATEWAY_ARGON2_PARALLELISM": "1",
        "GATEWAY_LOGIN_IP_ATTEMPTS_PER_MINUTE": "1000",
        "GATEWAY_LOGIN_ATTEMPTS_PER_MINUTE": "100",
        "GATEWAY_OTP_RESEND_SECONDS": "0",
        **pii_env("GATEWAY"),
    }
    if traces_to is not None:
        for owner in (*SERVICES, "gateway"):
            env |= {f"{owner.upper()}_TRACING": "otlp", f"{owner.upper()}_OTLP_ENDPOINT": traces_to}
        env["OTEL_BSP_SCHEDULE_DELAY"] = "200"  # export within 0.2 s (the SDK's batch processor)
    cluster = Cluster(
        directory,
        gateway_url,
        {s: f"http://127.0.0.1:{p}" for s, p in ports.items()},
        env,
        departments_url=departments_url,
    )
    try:
        for service in (*SERVICES, "gateway"):
            run([service, "migrate"], env, directory)
        run(["gateway", "create-admin", "--username", ADMIN, "--password-stdin"], env, directory, ADMIN_PASSWORD + "\n")
        simulator_port = departments_url.rsplit(":", 1)[1]
        cluster.start(
            "departments", ["verification.departments.simulator", "--host", "127.0.0.1", "--port", simulator_port]
        )
        for service in SERVICES:
            cluster.start(f"{service}-api", [service, "api", "--port", str(ports[service])])
            cluster.start(f"{service}-worker", [service, "worker"])
        cluster.start("gateway", ["gateway", "--port", str(gateway_port)])
        await wait_until_ready(
            [f"{url}/readyz" for url in cluster.service_urls.values()]
            + [f"{gateway_url}/healthz", f"{departments_url}/_admin/config"],
            cluster,
        )
        yield cluster
    finally:
        for name in list(cluster.processes):
            cluster.stop(name)
        await databases.drop_all()


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def operator_created_staff(
    cluster: Cluster, client: httpx.AsyncClient, username: str, roles: list[str], region: str | None = None
) -> dict[str, str]:
    """A staff user made with the gateway's command line (auditors and administrators can only be
    made this way); their bearer header."""
    password = f"Operator-{uuid.uuid4().hex[:10]}-Pw"
    args = ["gateway", "create-user", "--username", username, "--password-stdin"]
    args += [item for role in roles for item in ("--role", role)] + (["--region", region] if region else [])
    run(args, cluster.env, cluster.directory, password + "\n")
    return await sign_in(client, username, password)


async def create_staff(
    admin: httpx.AsyncClient, username: str, roles: list[str], region: str | None = None
) -> dict[str, str]:
    """A staff user made by the administrator through the gateway; their bearer header."""
    password = f"Staff-{uuid.uuid4().hex[:10]}-Pw"
    response = await admin.post(
        "/v1/auth/users",
        json={"username": username, "password": password, "roles": roles, "region": region, "display_name": username},
    )
    assert response.status_code == 201, response.text
    return await sign_in(admin, username, password)


def resident(body17: str) -> str:
    """A valid resident ID from its 17-digit body (the check digit added)."""
    return body17 + resident_id_check_digit(body17)


async def until(condition: Any, what: str, seconds: float = FLOW_SECONDS, every: float = 0.3) -> Any:
    """Poll `condition` (async, returns a value or a falsy one) until it answers, or fail."""
    deadline = time.monotonic() + seconds
    while not (value := await condition()):
        assert time.monotonic() < deadline, f"{what} not seen after {seconds}s"
        await asyncio.sleep(every)
    return value
