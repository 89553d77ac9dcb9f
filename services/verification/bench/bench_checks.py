"""Benchmark: household checks (核对) against the department simulator running as its own
process over real HTTP, each figure a ratio against a baseline measured in the same run.

    make bench-verification            # or: uv run python services/verification/bench/bench_checks.py

Set-up, not timed: the verification service on a throwaway PostgreSQL database (the local test
server, `deploy/local/postgres.sh start`; SQLite with `--sqlite`), the simulator started with
`python -m verification.departments.simulator`, one authorisation per person.

1. Concurrency. A one-member check across 10 departments that each take LATENCY ms (100), run
   through `service.run_check` (lease, fan-out, store every answer, audit, event), against the
   baseline of asking one of those departments once through the same connector. Ratio = check
   time / one department's time (medians of ROUNDS); 1.0 would be no cost beyond the slowest
   department, 10.0 asking them one after another.
2. Throughput. COUNT one-member checks of the same 10 departments answering at once (latency 0),
   CONCURRENCY checks at a time, opened and run as the API does, against the baseline of the same
   number of department queries sent straight through the connectors with the same concurrency
   (no database, no orchestration: what HTTP alone costs here). Checks/s, and ratio = checks/s ÷
   (baseline queries/s ÷ 10), the share of the bare HTTP rate the checking centre keeps.

Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import httpx
from httpx_aiohttp import AiohttpTransport

from jiuzhu_platform.testing import TestIssuer, ThrowawayDatabases, service_harness
from shared.types import resident_id_check_digit
from verification.checks import service
from verification.checks.adapters.fanout import FanOut, FanOutPolicy
from verification.checks.adapters.sources import RESOURCE
from verification.consumers import checks_job
from verification.departments.connectors import build_connectors, simulator_urls
from verification.departments.domain.model import PersonQuery, Source, SourceAnswer
from verification.main import DEFINITION

SOURCES = tuple(Source)[:10]
"""Ten departments' sources (DOMAIN-RULES §6.2: 户籍 … 银行存款)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def person(n: int) -> str:
    body = f"520102{1950 + n % 50:04d}0101{n % 1000:03d}"
    return body + resident_id_check_digit(body)


async def wait_until_up(url: str) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for _ in range(200):
            try:
                if (await client.get(f"{url}/_admin/config")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the simulator did not start")


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    simulator = subprocess.Popen(  # noqa: ASYNC220, S603 (our own module, a child for the whole run)
        [sys.executable, "-m", "verification.departments.simulator", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    databases = None if args.sqlite else ThrowawayDatabases.required()
    try:
        await wait_until_up(url)
        settings: dict[str, object] = {}
        if databases is not None:
            settings["database_url"] = await databases.create("verification")
        with tempfile.TemporaryDirectory() as directory:
            async with service_harness(DEFINITION, Path(directory), issuer=TestIssuer(), **settings) as h:
                await run(h, url, args)
    finally:
        simulator.terminate()
        simulator.wait(10)
        if databases is not None:
            await databases.drop_all()


async def run(h, url: str, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    limits = httpx.Limits(max_connections=args.concurrency * len(SOURCES), max_keepalive_connections=256)
    transport = AiohttpTransport(limits=limits, trust_env=False) if args.client == "aiohttp" else None
    client = httpx.AsyncClient(transport=transport, limits=limits, timeout=30, trust_env=False)
    policy = FanOutPolicy(timeout_seconds=10, attempts=1, max_concurrency=args.concurrency * len(SOURCES))
    connectors = build_connectors(simulator_urls(url), client=client)
    fanout = FanOut(connectors, policy)
    h.runtime.resources[RESOURCE] = fanout
    deps = service.CheckDeps(now=h.runtime.now, sources=SOURCES)
    people = [person(n) for n in range(max(args.count, args.rounds) + 1)]
    print(
        f"database: {'SQLite' if args.sqlite else 'PostgreSQL'}; simulator: {url} (own process); client: {args.client}"
    )
    print(f"authorising {len(people)} people …", flush=True)
    for number in people:
        response = await h.client.post(
            "/v1/verification/consents",
            json={
                "household_id": str(uuid.uuid4()),
                "region_code": "520102",
                "subject_name": "基准",
                "subject_resident_id": number,
                "purpose": "核对基准",
                "signed_on": date.today().isoformat(),
            },
        )
        assert response.status_code == 201, response.text
    from jiuzhu_platform.person_ref import person_ref
    from shared.types import ResidentId
    from verification.checks.domain import rules

    key = h.runtime.settings.person_ref_secret()

    async def open_one(number: str) -> uuid.UUID:
        async with h.runtime.database.transaction() as session:
            check = await service.open_check(
                session,
                service.OpenCheck(
                    household_id=uuid.uuid4(),
                    application_id=None,
                    purpose=service.QueryPurpose.REVIEW,
                    region_code="520102",
                    town_code=None,
                    members=[rules.Person(person_ref(ResidentId(number), key).ref, ResidentId(number).masked())],
                    requested_by="bench",
                ),
                deps,
            )
        return check.check_id

    async def check_one(number: str) -> None:
        ran = await service.run_check(h.runtime.database, fanout, await open_one(number), deps)
        assert ran is not None
        assert ran.status.value == "complete", ran

    def query(number: str) -> PersonQuery:
        return PersonQuery(uuid.uuid4(), number, "基准", date(2025, 12, 1), date(2026, 11, 30))

    async with httpx.AsyncClient(base_url=url, trust_env=False) as admin:
        # 1. concurrency
        await admin.post("/_admin/config", json={"latency_ms": args.latency_ms})
        await check_one(people[0])  # warm-up: connections, caches
        one, whole = [], []
        for i in range(args.rounds):
            started = time.perf_counter()
            outcome = await fanout.ask(Source.TAX, query(people[i]))
            one.append(time.perf_counter() - started)
            assert outcome.answer is not None
            started = time.perf_counter()
            await check_one(people[i])
            whole.append(time.perf_counter() - started)
        slowest, check = statistics.median(one), statistics.median(whole)
        print(
            f"\n1. one check across {len(SOURCES)} departments of {args.latency_ms:.0f} ms each ({args.rounds} rounds)"
        )
        print(f"   baseline, one department once: median {slowest * 1000:7.1f} ms")
        print(f"   the check (fan-out, store, audit, event): median {check * 1000:7.1f} ms")
        print(f"   ratio: {check / slowest:.2f}x the slowest department (sequential would be ~{len(SOURCES)}x)")

        # 2. throughput: batch screening (老户筛查) as the worker runs it
        await admin.post("/_admin/config", json={"latency_ms": 0})
        gate = asyncio.Semaphore(args.concurrency)
        items = [(s, query(people[n % len(people)])) for n in range(args.count) for s in SOURCES]

        async def bare(source: Source, q: PersonQuery) -> None:
            async with gate:
                await connectors[source].query(q)

        started = time.perf_counter()
        await asyncio.gather(*(bare(s, q) for s, q in items))
        bare_rate = len(items) / (time.perf_counter() - started)

        async def screening(fan: FanOut) -> tuple[float, float]:
            """Open COUNT checks (CONCURRENCY at a time), then let the checks job run them all:
            checks/s from the first opening to the last report, and the job's own rate."""
            h.runtime.resources[RESOURCE] = fan

            async def opened(number: str) -> uuid.UUID:
                async with gate:
                    return await open_one(number)

            started = time.perf_counter()
            await asyncio.gather(*(opened(people[n % len(people)]) for n in range(args.count)))
            job_started = time.perf_counter()
            ran = await checks_job(h.runtime).run()
            ended = time.perf_counter()
            assert ran == args.count, ran
            return args.count / (ended - started), args.count / (ended - job_started)

        rate, job_rate = await screening(fanout)
        print(f"\n2. screening {args.count} one-member checks × {len(SOURCES)} departments answering at once")
        print(f"   baseline, the same {len(items)} queries straight through the connectors: {bare_rate:8.0f} queries/s")
        print(f"   (that is {bare_rate / len(SOURCES):.0f} checks/s if a check cost nothing but its HTTP)")
        print(f"   the checking centre: {rate:8.1f} checks/s opened and run ({job_rate:.1f} checks/s the job alone)")
        print(f"   ratio: {rate / (bare_rate / len(SOURCES)):.2f} of the bare HTTP rate")

        # 3. the checking centre alone: sources answering in-process (no HTTP at all)
        sample = {s: await connectors[s].query(query(people[0])) for s in SOURCES}

        class Instant:
            def __init__(self, source: Source) -> None:
                self.source = source

            async def query(self, person: PersonQuery) -> SourceAnswer:
                return sample[self.source]

            async def aclose(self) -> None:
                return None

        alone, alone_job = await screening(FanOut({s: Instant(s) for s in SOURCES}, policy))
        print("\n3. the same screening with the departments answering in-process (no HTTP)")
        print(f"   the checking centre alone: {alone:8.1f} checks/s opened and run ({alone_job:.1f} the job alone)")
        print(f"   ratio: {alone / rate:.1f}x the rate over HTTP in 2. (what the simulator and HTTP cost)")

        # 4. one check at a time through the API's path (each its own transactions)
        h.runtime.resources[RESOURCE] = fanout

        async def gated(number: str) -> None:
            async with gate:
                await check_one(number)

        count = min(args.count, 300)
        started = time.perf_counter()
        await asyncio.gather(*(gated(people[n % len(people)]) for n in range(count)))
        single = count / (time.perf_counter() - started)
        print(f"\n4. {count} checks one by one as `POST /checks` runs them, {args.concurrency} at a time")
        print(f"   {single:8.1f} checks/s; ratio to batch screening in 2.: {single / rate:.2f}")
    await fanout.aclose()
    await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=int(os.environ.get("COUNT", 1000)))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--client",
        choices=("aiohttp", "httpx"),
        default="aiohttp",
        help="the connectors' transport (as deployed: aiohttp)",
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of the local PostgreSQL")
    asyncio.run(main(parser.parse_args()))
