"""Benchmark: what an HTTP request costs through the gateway and inside the eligibility
service, each against a baseline measured in the same run, over real loopback HTTP with wrk.

    uv run python platform/bench/bench_http.py gateway --seconds 10
    uv run python platform/bench/bench_http.py service --seconds 10

Both start, as processes configured only by environment variables (as in docker compose and
the e2e tier), the eligibility API (`python -m eligibility api`, PostgreSQL, Kafka bus, INFO
logs) and the gateway in issuer mode (`python -m gateway`, upstream eligibility only, with
its rate limits raised so they never answer 429 and the token lifetime at its hour-long
maximum), on throwaway databases; then a town caseworker created by the administrator signs
in through the gateway and submits one application, so there is a row to read.

`gateway`:
1. `GET /v1/eligibility/applications/{id}` (a database read with a token), one connection:
   directly on the service, then through the gateway, with the same token.
2. `GET /v1/eligibility/policies` (in memory, token checked), 16 connections: the same two.

`service`:
1. The application read vs the same process's `/healthz`, one connection each.
2. `POST /v1/eligibility/applications` (the application, its outbox event and its audit
   entry in one transaction), one connection, vs bare SQLAlchemy Core inserts of the same row
   into the same table, one transaction each, one after another, in a process of their own
   (`raw_insert.py`).

Every measurement follows a short warm-up of the same request; a non-2xx response or a socket
error stops the run (the figure would measure error pages). Not a test: nothing here asserts a
speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import support  # also puts the repository root on sys.path, for `tests.e2e.cluster` below

from jiuzhu_platform.testing import ThrowawayDatabases
from tests.e2e.cluster import (
    ADMIN,
    ADMIN_PASSWORD,
    Cluster,
    create_staff,
    free_port,
    pii_env,
    run,
    sign_in,
    wait_until_ready,
)

RAW_INSERT = Path(__file__).resolve().with_name("raw_insert.py")
TOWN = "520102001000"  # a town of 南明区: the caseworker's region, and so the application's
NEW_APPLICATION = {
    "assistance_type": "dibao",
    "region_code": TOWN[:6],
    "member_count": 3,
    "applicant": {"name": "王秀英", "resident_id": "520102195803120026"},
}
UNLIMITED = "1000000"


@dataclass
class Stack:
    cluster: Cluster
    service_url: str
    gateway_url: str
    database_url: str
    headers: dict[str, str]
    application_id: str


@asynccontextmanager
async def running_stack(directory: Path) -> AsyncIterator[Stack]:
    admin_url, bootstrap = support.start_servers()
    support.ensure_wrk()
    databases = ThrowawayDatabases(admin_url)
    service_port, gateway_port = free_port(), free_port()
    service_url, gateway_url = f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{gateway_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ELIGIBILITY_", "GATEWAY_"))}
    cluster = Cluster(directory, gateway_url, {"eligibility": service_url}, env)
    try:
        database_url = await databases.create("eligibility")
        env |= {
            "ELIGIBILITY_ENV": "test",
            "ELIGIBILITY_DATABASE_URL": database_url,
            "ELIGIBILITY_BUS": "kafka",
            "ELIGIBILITY_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "ELIGIBILITY_KAFKA_TOPIC_PREFIX": f"bench{uuid.uuid4().hex[:8]}.",
            "ELIGIBILITY_LOG_LEVEL": "INFO",
            "ELIGIBILITY_AUTH_JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
            **pii_env("ELIGIBILITY"),
            "GATEWAY_ENV": "test",
            "GATEWAY_DATABASE_URL": await databases.create("gateway"),
            "GATEWAY_UPSTREAMS": json.dumps({"eligibility": service_url}),
            "GATEWAY_LOG_LEVEL": "INFO",
            "GATEWAY_ACCESS_TOKEN_TTL_SECONDS": "3600",  # the longest allowed; the default 300 s would expire mid-run
            # one caller, thousands of requests a second: the per-IP and per-caller buckets
            # (50/s and 20/s by default) would answer 429 within a second
            "GATEWAY_RATE_LIMIT_PER_SECOND": UNLIMITED,
            "GATEWAY_RATE_LIMIT_BURST": UNLIMITED,
            "GATEWAY_CLIENT_RATE_LIMIT_PER_SECOND": UNLIMITED,
            "GATEWAY_CLIENT_RATE_LIMIT_BURST": UNLIMITED,
            **pii_env("GATEWAY"),
        }
        for component in ("eligibility", "gateway"):
            run([component, "migrate"], env, directory)
        run(["gateway", "create-admin", "--username", ADMIN, "--password-stdin"], env, directory, ADMIN_PASSWORD + "\n")
        cluster.start("eligibility-api", ["eligibility", "api", "--port", str(service_port)])
        cluster.start("gateway", ["gateway", "--port", str(gateway_port)])
        await wait_until_ready([f"{service_url}/readyz", f"{gateway_url}/healthz"], cluster)
        async with cluster.client() as admin:
            admin.headers.update(await sign_in(admin, ADMIN, ADMIN_PASSWORD))
            headers = await create_staff(admin, "bench-caseworker", ["town_caseworker"], TOWN)
            created = await admin.post("/v1/eligibility/applications", json=NEW_APPLICATION, headers=headers)
            if created.status_code != 201:
                raise SystemExit(f"creating the application answered {created.status_code}: {created.text}")
        stack = Stack(cluster, service_url, gateway_url, database_url, headers, created.json()["id"])
        await expect_200(stack)
        print(
            "set-up: eligibility API and gateway (issuer) as processes on loopback, PostgreSQL + Kafka; "
            f"a town caseworker ({TOWN}) signed in; application {stack.application_id} created through the gateway"
        )
        yield stack
    finally:
        for name in list(cluster.processes):
            cluster.stop(name)
        await databases.drop_all()


async def expect_200(stack: Stack) -> None:
    """Every URL measured answers 200 (wrk only counts non-2xx; a 3xx would slip through)."""
    async with httpx.AsyncClient(timeout=10, trust_env=False, headers=stack.headers) as client:
        for base in (stack.service_url, stack.gateway_url):
            for path in (f"/v1/eligibility/applications/{stack.application_id}", "/v1/eligibility/policies"):
                response = await client.get(base + path)
                if response.status_code != 200:
                    raise SystemExit(f"GET {base}{path} answered {response.status_code}: {response.text[:500]}")
        response = await client.get(f"{stack.service_url}/healthz")
        if response.status_code != 200:
            raise SystemExit(f"/healthz answered {response.status_code}")


def compare(
    baseline: tuple[str, support.WrkResult],
    measured: tuple[str, support.WrkResult],
    watch: support.LogWatch,
    *,
    added: str | None = None,
) -> None:
    print(baseline[1].line(baseline[0]))
    print(measured[1].line(measured[0]))
    if added is not None:
        print(f"  {added} adds {measured[1].p50_ms - baseline[1].p50_ms:.2f} ms at p50")
    watch.report()
    print(support.ratio_line(measured[1].per_second, baseline[1].per_second))


def bench_gateway(stack: Stack, seconds: float, warmup: float) -> None:
    watch = support.LogWatch(stack.cluster.log_text, ["eligibility-api", "gateway"])
    read = f"/v1/eligibility/applications/{stack.application_id}"
    timing = f"{seconds:g} s each after {warmup:g} s of warm-up"

    print(f"\n1. GET {read.replace(stack.application_id, '{id}')}: a database read with a token, wrk -t1 -c1, {timing}")
    direct = support.wrk(stack.service_url + read, seconds=seconds, warmup_seconds=warmup, headers=stack.headers)
    proxied = support.wrk(stack.gateway_url + read, seconds=seconds, warmup_seconds=warmup, headers=stack.headers)
    compare(("directly on the service", direct), ("through the gateway", proxied), watch, added="the gateway")

    policies = "/v1/eligibility/policies"
    print(f"\n2. GET {policies}: in memory with a token, wrk -t2 -c16, {timing}")
    direct, proxied = (
        support.wrk(
            base + policies, seconds=seconds, warmup_seconds=warmup, headers=stack.headers, threads=2, connections=16
        )
        for base in (stack.service_url, stack.gateway_url)
    )
    compare(("directly on the service", direct), ("through the gateway", proxied), watch, added="the gateway")


def bench_service(stack: Stack, seconds: float, warmup: float) -> None:
    watch = support.LogWatch(stack.cluster.log_text, ["eligibility-api"])
    read = f"/v1/eligibility/applications/{stack.application_id}"
    timing = f"{seconds:g} s each after {warmup:g} s of warm-up"

    print(f"\n1. the application read vs /healthz of the same process, wrk -t1 -c1, {timing}")
    health = support.wrk(stack.service_url + "/healthz", seconds=seconds, warmup_seconds=warmup)
    application = support.wrk(stack.service_url + read, seconds=seconds, warmup_seconds=warmup, headers=stack.headers)
    compare(
        ("GET /healthz", health),
        (f"GET {read.replace(stack.application_id, '{id}')} (token, DB)", application),
        watch,
        added="the read",
    )

    print(f"\n2. POST /v1/eligibility/applications vs bare inserts of the same row, one at a time, {timing}")
    script = stack.cluster.directory / "create.lua"
    body = json.dumps(NEW_APPLICATION, ensure_ascii=False)
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = [==[{body}]==]\nwrk.headers["Content-Type"] = "application/json"\n',
        encoding="utf-8",
    )
    arguments = ["--url", stack.database_url, "--like", stack.application_id]
    arguments += ["--seconds", str(seconds), "--warmup", str(warmup)]
    inserted = subprocess.run(  # noqa: S603 (our script, with arguments built here)
        [sys.executable, str(RAW_INSERT), *arguments], capture_output=True, text=True, check=False, env=os.environ
    )
    if inserted.returncode != 0:
        raise SystemExit(f"raw_insert.py failed:\n{inserted.stdout}{inserted.stderr}")
    bare = json.loads(inserted.stdout.strip().splitlines()[-1])
    bare_rate = bare["count"] / bare["seconds"]
    created = support.wrk(
        stack.service_url + "/v1/eligibility/applications",
        seconds=seconds,
        warmup_seconds=warmup,
        headers=stack.headers,
        script=script,
    )
    label = "bare insert (SQLAlchemy Core + asyncpg, own process)"
    mean = f"mean {1000 / bare_rate:5.2f} ms"
    print(f"  {label:<54} {bare_rate:>9,.0f} rows/s   {mean:<33} ({bare['count']:,} rows)")
    print(created.line("POST /v1/eligibility/applications (201)"))
    watch.report()
    print(support.ratio_line(created.per_second, bare_rate))


async def main(what: str, seconds: float, warmup: float) -> None:
    with tempfile.TemporaryDirectory(prefix=f"bench-{what}-") as directory:
        async with running_stack(Path(directory)) as stack:
            if what == "gateway":
                bench_gateway(stack, seconds, warmup)
            else:
                bench_service(stack, seconds, warmup)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("gateway", "service"), help="which comparison")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up before each measurement")
    args = parser.parse_args()
    asyncio.run(main(args.what, args.seconds, args.warmup))
