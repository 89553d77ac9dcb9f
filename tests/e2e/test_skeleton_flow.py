"""The walking skeleton across real processes: every service's API and worker in its own
process on real PostgreSQL and Kafka, driven only through the gateway over HTTP.

POST /v1/eligibility/applications → eligibility outbox → relay → Kafka → monitoring's
consumer → register → GET /v1/monitoring/households/{id}, with the caller's request id in
both services' logs.
"""

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.types import resident_id_check_digit
from tests.conftest import ThrowawayDatabases, server_setting

pytestmark = pytest.mark.e2e

SERVICES = ("eligibility", "verification", "payment", "monitoring", "procurement")
STARTUP_SECONDS = 90
FLOW_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    directory: Path
    gateway_url: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str) -> list[dict[str, Any]]:
        lines = []
        for line in (self.directory / f"{name}.log").read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return lines

    def stop(self, name: str) -> None:
        process = self.processes[name]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def start(cluster: Cluster, name: str, args: list[str], env: dict[str, str]) -> None:
    log = (cluster.directory / f"{name}.log").open("wb")
    cluster.processes[name] = subprocess.Popen(
        [sys.executable, "-m", *args], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cluster.directory
    )


def run(args: list[str], env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *args], env=env, cwd=cwd, capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


async def wait_until_ready(urls: list[str], cluster: Cluster) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
        for url in urls:
            while True:
                for name, process in cluster.processes.items():
                    if process.poll() is not None:
                        tail = (cluster.directory / f"{name}.log").read_text(errors="replace")[-3000:]
                        raise AssertionError(f"{name} exited with {process.returncode}:\n{tail}")
                try:
                    if (await client.get(url)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{url} not ready after {STARTUP_SECONDS}s")
                await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    """One cluster for the module (starting eleven processes takes a while); the test that
    kills a service runs last."""
    tmp_path = tmp_path_factory.mktemp("cluster")
    kafka_bootstrap = server_setting("JIUZHU_KAFKA_BOOTSTRAP")
    databases = ThrowawayDatabases(server_setting("JIUZHU_PG_ADMIN_URL"))
    prefix = f"e2e{uuid.uuid4().hex[:8]}."
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(s.upper() + "_" for s in SERVICES))}
    env = dict(base_env)
    ports = {s: free_port() for s in SERVICES}
    for service in SERVICES:
        upper = service.upper()
        env |= {
            f"{upper}_ENV": "test",
            f"{upper}_DATABASE_URL": await databases.create(service),
            f"{upper}_BUS": "kafka",
            f"{upper}_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            f"{upper}_KAFKA_TOPIC_PREFIX": prefix,
            f"{upper}_RELAY_IDLE_SECONDS": "0.1",
        }
    gateway_port = free_port()
    env |= {
        "GATEWAY_ENV": "test",
        "GATEWAY_UPSTREAMS": json.dumps({s: f"http://127.0.0.1:{p}" for s, p in ports.items()}),
        "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "10",
    }
    result = Cluster(tmp_path, f"http://127.0.0.1:{gateway_port}")
    try:
        for service in SERVICES:
            run([service, "migrate"], env, tmp_path)
        for service in SERVICES:
            start(result, f"{service}-api", [service, "api", "--port", str(ports[service])], env)
            start(result, f"{service}-worker", [service, "worker"], env)
        start(result, "gateway", ["gateway", "--port", str(gateway_port)], env)
        await wait_until_ready(
            [f"http://127.0.0.1:{p}/readyz" for p in ports.values()] + [f"{result.gateway_url}/healthz"], result
        )
        yield result
    finally:
        for name in list(result.processes):
            result.stop(name)
        await databases.drop_all()


def application(n: int = 7) -> dict[str, Any]:
    body = f"52010219700101{n:03d}"
    return {
        "assistance_type": "dibao",
        "region_code": "520102",
        "member_count": 3,
        "applicant": {"name": "端到端", "resident_id": body + resident_id_check_digit(body)},
    }


async def poll_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + FLOW_SECONDS
    while True:
        response = await client.get(url)
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 404, response.text
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} still 404 after {FLOW_SECONDS}s")
        await asyncio.sleep(0.2)


def correlation_ids(records: list[dict[str, Any]]) -> set[str]:
    return {r["correlation_id"] for r in records if r.get("correlation_id")}


async def test_application_reaches_the_monitoring_register(cluster: Cluster) -> None:
    request_id = f"e2e-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=10, trust_env=False) as client:
        created = await client.post(
            "/v1/eligibility/applications", json=application(), headers={"X-Request-ID": request_id}
        )
        assert created.status_code == 201, created.text
        assert created.headers["x-request-id"] == request_id
        household_id = created.json()["household_id"]
        assert created.json()["applicant_masked_id"].count("*") == 10

        entry = await poll_json(client, f"/v1/monitoring/households/{household_id}")
        assert entry["household_id"] == household_id
        assert entry["assistance_types"] == ["dibao"]
        listing = (await client.get("/v1/monitoring/households", params={"region_code": "520102"})).json()
        assert household_id in {item["household_id"] for item in listing["items"]}

    assert request_id in correlation_ids(cluster.log("eligibility-api"))
    assert request_id in correlation_ids(cluster.log("monitoring-worker"))
    worker_lines = [r for r in cluster.log("monitoring-worker") if r.get("correlation_id") == request_id]
    assert any(r.get("service") == "monitoring" for r in worker_lines)
    for name in cluster.processes:  # privacy: the full resident ID never reaches a log
        assert application()["applicant"]["resident_id"] not in (cluster.directory / f"{name}.log").read_text()


async def test_every_service_persists_through_the_gateway(cluster: Cluster) -> None:
    async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=10, trust_env=False) as client:
        consent = await client.post(
            "/v1/verification/consents",
            json={
                "household_id": str(uuid.uuid4()),
                "subject_name": "端到端",
                "subject_resident_id": application()["applicant"]["resident_id"],
                "purpose": "低保申请核对",
                "signed_on": "2026-01-05",
            },
        )
        run = await client.post("/v1/payment/payroll-runs", json={"period": "2026-01", "county_code": "520103"})
        provider = await client.post(
            "/v1/procurement/providers", json={"credit_code": "91512081MA62K0260E", "name": "示例社工中心"}
        )
        for response, path in (
            (consent, "/v1/verification/consents/"),
            (run, "/v1/payment/payroll-runs/"),
            (provider, "/v1/procurement/providers/"),
        ):
            assert response.status_code == 201, response.text
            again = await client.get(path + response.json()["id"])
            assert again.status_code == 200
            assert again.json() == response.json()
        bad = await client.post("/v1/payment/payroll-runs", json={"period": "2026-13", "county_code": "520103"})
        assert bad.status_code == 422
        assert bad.json()["error"] == "RequestValidationError"


async def test_gateway_reports_a_dead_service_as_502(cluster: Cluster) -> None:
    cluster.stop("procurement-api")
    async with httpx.AsyncClient(base_url=cluster.gateway_url, timeout=10, trust_env=False) as client:
        response = await client.get(f"/v1/procurement/providers/{uuid.uuid4()}")
    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "UpstreamUnavailable"
    assert body["correlation_id"] == response.headers["x-request-id"]
