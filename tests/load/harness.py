"""`make load`: the highest request rate the box sustains through the gateway with p99 under
1 s and no error, measured on the distributed system (every service's API and worker, the
gateway and the department simulator as processes, as in `tests/e2e/cluster.py`; real
PostgreSQL and Kafka on loopback, started by `deploy/local/*.sh`).

The workload is town caseworkers at work, all through the gateway: mostly reads (an
application, its procedure, the worklist, the policies, the monitoring register), application
creates (申请, a new applicant each, with a valid resident ID) and password sign-ins (argon2id
at the gateway's production cost, two hashes at once). Requests arrive open-loop at a fixed
mean rate (Poisson arrivals, seeded), whatever the answers do; each request's latency counts
from when it was due, so a backlog in the generator or its connection pool shows as latency.

The rate goes up by a factor per step (`--step-seconds` each) until a step has p99 ≥ 1 s or an
error, is refined once between the last passing and the first failing rate, and the rest of
`--duration` (at least a third) runs at the highest passing rate. After a failing step, and
before the sustained run, the system is let settle (outboxes published, the box quiet). A table
of every phase is printed (offered and achieved rates, p50/p95/p99, errors by status, CPU of the
box, of the cluster's processes and of the generator; the busiest processes per phase) and, with
`--out`, written as JSON. Exit 0 when the sustained phase passes too.

What differs from the e2e cluster, and why (printed with the results):
- every process logs at INFO (the e2e tier logs at DEBUG to follow events);
- argon2id at the gateway's defaults (the e2e tier makes hashing cheap);
- the generator plays the ingress: `GATEWAY_TRUSTED_PROXIES=127.0.0.1` and every simulated
  caseworker has an own address in `X-Forwarded-For`, so per-IP limits apply per person at their
  defaults (50/s, 30 sign-ins a minute); per-caller limits stay at their defaults (20/s);
- sign-ins per account and address go from 5 to 60 a minute: a few dozen accounts sign in far
  more often than people do; access tokens live an hour (the longest allowed), so a token does
  not expire mid-run;
- outbox relays and the verification worker poll at their defaults.

    python -m tests.load --duration 180 [--out load.json] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvloop

from tests.chaos.harness import APPLICATIONS, COUNTY, TOWN, query
from tests.e2e.cluster import (
    ADMIN,
    ADMIN_PASSWORD,
    SERVICES,
    Cluster,
    resident,
    running_cluster,
    sign_in,
    wait_until_ready,
)
from tests.load.figures import OK, Mix, PhaseResult, RateSearch, Sample, kind_table, phase_plan, summarize, table

log = logging.getLogger("load")

P99_LIMIT = 1.0
SETTLE_SECONDS = 20.0
MIX = Mix(
    (
        ("get_application", 30),
        ("get_procedure", 12),
        ("worklist", 12),
        ("policies", 8),
        ("households", 15),
        ("create_application", 20),
        ("sign_in", 3),
    )
)
EXPECTED = {"create_application": 201}
"""the status each kind should answer (200 when not listed)"""

LOAD_ENV = {
    **{f"{service.upper()}_LOG_LEVEL": "INFO" for service in SERVICES},
    "GATEWAY_LOG_LEVEL": "INFO",
    "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
    "GATEWAY_LOGIN_ATTEMPTS_PER_MINUTE": "60",
    "GATEWAY_ACCESS_TOKEN_TTL_SECONDS": "3600",
}
LOAD_UNSET = (
    "GATEWAY_ARGON2_TIME_COST",
    "GATEWAY_ARGON2_MEMORY_COST_KIB",
    "GATEWAY_ARGON2_PARALLELISM",
    "GATEWAY_LOGIN_IP_ATTEMPTS_PER_MINUTE",
    "VERIFICATION_CHECKS_INTERVAL_SECONDS",
    *(f"{service.upper()}_RELAY_IDLE_SECONDS" for service in SERVICES),
)
"""the e2e cluster's settings dropped for the run (so the services' defaults apply)"""

CONFIG_NOTE = (
    "set-up vs the e2e cluster: INFO logs; argon2id at the gateway's defaults (t=3, 64 MiB, p=4; "
    "2 at once); per-IP limits at their defaults with one address per caseworker "
    "(GATEWAY_TRUSTED_PROXIES=127.0.0.1, X-Forwarded-For); per-caller limits at their defaults; "
    "sign-ins per account+address raised from 5 to 60/min; access tokens 1 h"
)


@dataclass
class Staff:
    username: str
    password: str
    address: str
    """the address the generator, as the ingress, forwards for this person"""
    token: str = ""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Forwarded-For": self.address}


async def reconfigure(cluster: Cluster) -> None:
    """Every process started again with the load run's settings (`LOAD_ENV`, `LOAD_UNSET`);
    the databases and what they hold (the administrator, the signing keys) stay."""
    for name in list(cluster.processes):
        cluster.stop(name)
    for name in LOAD_UNSET:
        cluster.env.pop(name, None)
    cluster.env.update(LOAD_ENV)
    for name in list(cluster.processes):
        cluster.respawn(name)
    urls = [url for name in cluster.processes if (url := cluster.ready_url(name)) is not None]
    await wait_until_ready(urls, cluster)


class Generator:
    """Open-loop requests to the gateway on one HTTP client (a bounded connection pool)."""

    def __init__(
        self,
        cluster: Cluster,
        rng: random.Random,
        *,
        arrivals: str,
        max_in_flight: int,
        timeout: float,
    ) -> None:
        self.cluster = cluster
        self.http = httpx.AsyncClient(
            base_url=cluster.gateway_url,
            timeout=httpx.Timeout(timeout),
            # idle connections dropped after 2 s, before uvicorn's 5 s keep-alive closes them
            # server-side: else the generator would count its own reuse-of-a-closing-socket race
            limits=httpx.Limits(
                max_connections=max_in_flight, max_keepalive_connections=max_in_flight, keepalive_expiry=2
            ),
            trust_env=False,
        )
        self.rng = rng
        self.arrivals = arrivals
        self.max_in_flight = max_in_flight
        self.staff: list[Staff] = []
        self.application_ids: list[str] = []
        self.serial = 0
        self.next_sign_in = 0
        self.error_examples: dict[str, str] = {}
        self.requests: dict[str, Callable[[], Awaitable[tuple[int, str]]]] = {
            "get_application": lambda: self.get(f"{APPLICATIONS}/{self.some_application()}"),
            "get_procedure": lambda: self.get(f"{APPLICATIONS}/{self.some_application()}/procedure"),
            "worklist": lambda: self.get("/v1/eligibility/worklist?limit=20"),
            "policies": lambda: self.get("/v1/eligibility/policies"),
            "households": lambda: self.get("/v1/monitoring/households?limit=20"),
            "create_application": self.create_application,
            "sign_in": self.sign_in,
        }
        assert set(self.requests) == set(MIX.fractions()), "every kind of the mix has a request"

    # --- set-up

    async def create_staff(self, admin: httpx.AsyncClient, count: int) -> None:
        """`count` town caseworkers made by the administrator, each signed in from their address."""
        limit = asyncio.Semaphore(4)

        async def one(i: int) -> Staff:
            async with limit:
                person = Staff(f"load-{i:03d}", f"Load-{uuid.uuid4().hex[:10]}-Pw", f"10.20.{i // 250}.{i % 250 + 1}")
                body = {
                    "username": person.username,
                    "password": person.password,
                    "roles": ["town_caseworker"],
                    "region": TOWN,
                    "display_name": person.username,
                }
                response = await admin.post("/v1/auth/users", json=body)
                if response.status_code != 201:
                    raise SystemExit(f"creating {person.username} answered {response.status_code}: {response.text}")
                status, detail = await self.login(person)
                if status != 200:
                    raise SystemExit(f"{person.username} could not sign in: {status} {detail}")
                return person

        self.staff = list(await asyncio.gather(*(one(i) for i in range(count))))

    async def seed_applications(self, count: int) -> None:
        limit = asyncio.Semaphore(8)

        async def one() -> None:
            async with limit:
                status, detail = await self.create_application()
                if status != 201:
                    raise SystemExit(f"seeding an application answered {status}: {detail}")

        await asyncio.gather(*(one() for _ in range(count)))

    async def check_every_kind(self) -> None:
        """Each kind of request answers as expected once before anything is measured."""
        for kind, send in self.requests.items():
            status, detail = await send()
            if status != EXPECTED.get(kind, 200):
                raise SystemExit(f"{kind} answered {status}: {detail}")

    # --- the requests

    def someone(self) -> Staff:
        return self.staff[self.rng.randrange(len(self.staff))]

    def some_application(self) -> str:
        return self.application_ids[self.rng.randrange(len(self.application_ids))]

    def next_resident(self) -> str:
        self.serial += 1
        born = date(1950, 1, 1) + timedelta(days=self.serial // 500)
        return resident(f"{COUNTY}{born:%Y%m%d}{self.serial % 500 + 1:03d}")

    async def get(self, path: str) -> tuple[int, str]:
        response = await self.http.get(path, headers=self.someone().headers())
        return response.status_code, response.text[:300]

    async def create_application(self) -> tuple[int, str]:
        body = {
            "assistance_type": "dibao",
            "region_code": COUNTY,
            "town_code": TOWN,
            "member_count": 1,
            "applicant": {"name": "压测", "resident_id": self.next_resident()},
        }
        response = await self.http.post(APPLICATIONS, json=body, headers=self.someone().headers())
        if response.status_code == 201:
            self.application_ids.append(str(response.json()["id"]))
        return response.status_code, response.text[:300]

    async def login(self, person: Staff) -> tuple[int, str]:
        response = await self.http.post(
            "/v1/auth/login",
            json={"username": person.username, "password": person.password},
            headers={"X-Forwarded-For": person.address},
        )
        if response.status_code == 200:
            person.token = str(response.json()["access_token"])
        return response.status_code, response.text[:300]

    async def sign_in(self) -> tuple[int, str]:
        """The next caseworker in turn signs in again (and uses the new token from then on)."""
        person = self.staff[self.next_sign_in % len(self.staff)]
        self.next_sign_in += 1
        return await self.login(person)

    async def request(self, kind: str, scheduled: float) -> Sample:
        began = time.monotonic()
        try:
            status, detail = await self.requests[kind]()
            outcome = OK if status == EXPECTED.get(kind, 200) else str(status)
        except httpx.TimeoutException as error:
            outcome, detail = "timeout", type(error).__name__
        except httpx.TransportError as error:
            outcome, detail = type(error).__name__, str(error)[:300]
        if outcome != OK:
            self.error_examples.setdefault(f"{kind} {outcome}", detail)
        return Sample(kind, scheduled, time.monotonic() - scheduled, began - scheduled, outcome)

    # --- a phase

    async def phase(self, name: str, rate: float, seconds: float) -> PhaseResult:
        """Requests due at `rate` a second for `seconds`, each started when due whatever the
        others are doing; the phase ends when the last one has answered."""
        pids = {name: process.pid for name, process in self.cluster.processes.items()}
        cpu_before = cpu_snapshot(pids)
        started = time.monotonic() + 0.05
        due = started
        tasks: list[asyncio.Task[Sample]] = []
        in_flight: set[asyncio.Task[Sample]] = set()
        refused: list[Sample] = []
        while True:
            due += self.rng.expovariate(rate) if self.arrivals == "poisson" else 1 / rate
            if due >= started + seconds:
                break
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            kind = MIX.pick(self.rng.random())
            if len(in_flight) >= self.max_in_flight:
                # the generator's own bound: the request is not sent, and counted as an error
                now = time.monotonic()
                refused.append(Sample(kind, due, now - due, now - due, "not_sent_in_flight_cap"))
                continue
            task = asyncio.create_task(self.request(kind, due))
            tasks.append(task)
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        samples = [*await asyncio.gather(*tasks), *refused]
        result = summarize(name, rate, started, seconds, samples)
        cpu_after = cpu_snapshot(pids)
        result.cpu.update(cpu_used(cpu_before, cpu_after))
        result.processes.update(process_cpu(cpu_before, cpu_after))
        return result

    async def close(self) -> None:
        await self.http.aclose()


# --- CPU -------------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSnapshot:
    wall: float
    box_busy: float
    box_total: float
    """jiffies of all cores from /proc/stat (busy: all but idle and iowait)"""
    processes: dict[str, float]
    """jiffies each of the cluster's processes (APIs, workers, gateway, simulator) has used"""
    generator: float
    """this process's CPU seconds"""


def process_jiffies(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return float(fields[11]) + float(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_snapshot(pids: dict[str, int]) -> CpuSnapshot:
    busy = total = 0.0
    try:
        fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        total = sum(fields[:8])
        busy = total - fields[3] - fields[4]
    except (OSError, IndexError, ValueError):
        pass
    processes = {name: process_jiffies(pid) for name, pid in pids.items()}
    return CpuSnapshot(time.monotonic(), busy, total, processes, time.process_time())


def cpu_used(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """Shares of the whole box (every core) between two snapshots: busy in all, used by the
    cluster's processes, used by the generator; the rest of `box` is PostgreSQL, Kafka and
    whatever else runs on the machine."""
    total = after.box_total - before.box_total
    if total <= 0:
        return {}
    services = sum(after.processes.get(name, 0) - used for name, used in before.processes.items())
    figures = {
        "box": 100 * (after.box_busy - before.box_busy) / total,
        "services": 100 * services / total,
        "generator": 100 * (after.generator - before.generator) * TICKS / total,
    }
    figures["rest"] = max(0.0, figures["box"] - figures["services"] - figures["generator"])
    return figures


def process_cpu(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """Each cluster process's CPU in % of one core (100 = a core saturated), and the generator's."""
    wall = after.wall - before.wall
    if wall <= 0:
        return {}
    figures = {
        name: 100 * (after.processes.get(name, 0) - used) / TICKS / wall for name, used in before.processes.items()
    }
    figures["generator"] = 100 * (after.generator - before.generator) / wall
    return dict(sorted(figures.items(), key=lambda item: -item[1]))


def box_state(busy_before: float) -> str:
    """What the machine was doing before the cluster started (others' processes)."""
    state = f"box busy before the cluster started: {busy_before:.0f}% of {os.cpu_count()} cores"
    if busy_before > 10:
        return state + " — NOT idle: the figures include whatever else runs on the machine"
    return state + " (idle)"


# --- the run ---------------------------------------------------------------------------------


async def event_backlog(cluster: Cluster) -> dict[str, int]:
    """Outbox rows not yet published, by service (what the workers still owe Kafka)."""
    backlog = {}
    for service in SERVICES:
        rows = await query(service.upper(), cluster, "select count(*) from outbox_message where published_at is null")
        backlog[service] = int(rows[0][0])
    return backlog


async def wait_for_relays(cluster: Cluster, seconds: float = 60) -> tuple[dict[str, int], float]:
    """The backlog when the load stopped, and how long the relays took to publish it (or the cap)."""
    began = time.monotonic()
    first = backlog = await event_backlog(cluster)
    while any(backlog.values()) and time.monotonic() - began < seconds:
        await asyncio.sleep(1)
        backlog = await event_backlog(cluster)
    return first, (time.monotonic() - began if not any(backlog.values()) else math.inf)


async def settle(cluster: Cluster, *, quiet_percent: float = 35, seconds: float = SETTLE_SECONDS) -> None:
    """Wait (at most `seconds`) until what a phase left behind is done: the outboxes published
    and the box under `quiet_percent` busy for a second (on a shared box it may never be)."""
    began = time.monotonic()
    busy = math.nan
    owed = -1
    while time.monotonic() - began < seconds:
        before = cpu_snapshot({})
        await asyncio.sleep(1)
        busy = cpu_used(before, cpu_snapshot({})).get("box", 0.0)
        owed = sum((await event_backlog(cluster)).values())
        if owed == 0 and busy < quiet_percent:
            break
    print(f"  settled in {time.monotonic() - began:.0f}s (box {busy:.0f}% busy, {owed} events owed)", flush=True)


def line(result: PhaseResult) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in result.errors.most_common()) or "no errors"
    verdict = "pass" if result.passes(P99_LIMIT) else "FAIL"
    busiest = ", ".join(f"{name} {used:.0f}%" for name, used in list(result.processes.items())[:3])
    return (
        f"{result.name}: {result.offered_rate:.1f}/s offered, {result.achieved_rate:.1f}/s achieved, "
        f"p50 {result.latency.p50 * 1000:.0f} ms, p99 {result.latency.p99 * 1000:.0f} ms, {errors} → {verdict}"
        f" (busiest, % of a core: {busiest})"
    )


async def load(args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    directory = Path(tempfile.mkdtemp(prefix="jiuzhu-load-"))
    print(f"load: seed {seed}, duration {args.duration:.0f}s, logs in {directory}", flush=True)
    before = cpu_snapshot({})
    await asyncio.sleep(3)
    busy_before = cpu_used(before, cpu_snapshot({})).get("box", math.nan)
    print(f"{box_state(busy_before)}", flush=True)
    async with running_cluster(directory) as cluster:
        await reconfigure(cluster)
        print(CONFIG_NOTE, flush=True)
        generator = Generator(
            cluster, rng, arrivals=args.arrivals, max_in_flight=args.max_in_flight, timeout=args.timeout
        )
        try:
            async with cluster.client() as admin:
                admin.headers.update(await sign_in(admin, ADMIN, ADMIN_PASSWORD))
                await generator.create_staff(admin, args.accounts)
            await generator.seed_applications(args.seed_applications)
            await generator.check_every_kind()
            mix = ", ".join(f"{k} {v:.0%}" for k, v in MIX.fractions().items())
            print(
                f"{args.accounts} caseworkers signed in, {args.seed_applications} applications seeded; "
                f"mix: {mix}; {args.arrivals} arrivals; p99 limit {P99_LIMIT * 1000:.0f} ms",
                flush=True,
            )
            results = await run_phases(generator, args)
            backlog, relay_seconds = await wait_for_relays(cluster)
        finally:
            await generator.close()
    return report(results, generator, args, seed, backlog, relay_seconds, busy_before)


async def run_phases(generator: Generator, args: argparse.Namespace) -> list[PhaseResult]:
    search_budget, _ = phase_plan(args.duration, args.sustain_fraction)
    began = time.monotonic()
    results = [await generator.phase("warm-up", args.start_rate, args.warmup)]
    print(line(results[-1]), flush=True)
    search = RateSearch(start=args.start_rate, factor=args.factor, refinements=args.refinements)
    step = 0
    settled = False
    while (rate := search.next_rate()) is not None and rate <= args.max_rate:
        if time.monotonic() - began + args.step_seconds + SETTLE_SECONDS > search_budget:
            break  # (room kept for the settling after it, so the sustained run keeps its share)
        step += 1
        result = await generator.phase(f"step {step}", rate, args.step_seconds)
        results.append(result)
        search.record(rate, result.passes(P99_LIMIT))
        print(line(result), flush=True)
        settled = False
        if not result.passes(P99_LIMIT):
            await settle(generator.cluster)  # the next step starts on a system that caught up
            settled = True
    if search.best is None:
        print("no step passed: nothing to sustain", flush=True)
        return results
    if not settled:
        await settle(generator.cluster)
    remaining = args.duration - (time.monotonic() - began)
    print(f"sustaining {search.best:.1f}/s (the highest passing step) for {remaining:.0f}s", flush=True)
    results.append(await generator.phase("sustained", search.best, max(remaining, args.step_seconds)))
    print(line(results[-1]), flush=True)
    return results


def report(
    results: list[PhaseResult],
    generator: Generator,
    args: argparse.Namespace,
    seed: int,
    backlog: dict[str, int],
    relay_seconds: float,
    busy_before: float,
) -> int:
    sustained = next((r for r in results if r.name == "sustained"), None)
    print("\n" + table(results, P99_LIMIT))
    print(
        "CPU: % of the whole box (every core): busy in all; svc = the cluster's processes (APIs, workers, "
        "gateway); gen = this generator; rest = PostgreSQL, Kafka and anything else on the machine"
    )
    shared = max((r.cpu.get("rest", 0.0) - r.cpu.get("services", 0.0) for r in results), default=0.0)
    if shared > 0:
        print(
            "WARNING: the box was shared: in some phase PostgreSQL, Kafka and other processes (rest) used more "
            "CPU than the cluster's own, so the rates understate what the system does on an idle box"
        )
    if any(r.sent < 100 for r in results):
        print("p99 of fewer than 100 requests is their slowest one (nearest rank)")
    passed = [r for r in results if r.name.startswith("step") and r.passes(P99_LIMIT)]
    if passed:
        best = max(passed, key=lambda r: r.target_rate)
        print(f"\n{best.name} (the highest passing, {best.target_rate:.1f}/s) by request kind:")
        print(kind_table(best))
    if sustained is not None:
        print(f"\nsustained phase by request kind ({sustained.seconds:.0f}s at {sustained.target_rate:.1f}/s):")
        print(kind_table(sustained))
    if generator.error_examples:
        print("\nfirst answer of each error:")
        for what, detail in sorted(generator.error_examples.items()):
            print(f"  {what}: {detail[:200]}")
    owed = sum(backlog.values())
    relays = f"published within {relay_seconds:.0f}s" if math.isfinite(relay_seconds) else "NOT published within 60s"
    print(f"\nevents in the outboxes when the load stopped: {owed} ({relays})")
    print(CONFIG_NOTE)
    print(box_state(busy_before))
    ok = sustained is not None and sustained.passes(P99_LIMIT)
    if sustained is None:
        print("\nload FAILED: no rate passed (p99 < 1 s, 0 errors)")
    else:
        print(
            f"\nload {'PASSED' if ok else 'FAILED'}: sustained {sustained.achieved_rate:.1f} req/s "
            f"(offered {sustained.offered_rate:.1f}/s) for {sustained.seconds:.0f}s through the gateway, "
            f"p50 {sustained.latency.p50 * 1000:.0f} ms, p95 {sustained.latency.p95 * 1000:.0f} ms, "
            f"p99 {sustained.latency.p99 * 1000:.0f} ms, errors {sustained.error_count} of {sustained.sent} "
            f"({sustained.error_rate:.2%}) (seed {seed})"
        )
    if args.out:
        summary: dict[str, Any] = {
            "seed": seed,
            "duration_s": args.duration,
            "p99_limit_ms": P99_LIMIT * 1000,
            "mix": MIX.fractions(),
            "arrivals": args.arrivals,
            "accounts": args.accounts,
            "configuration": CONFIG_NOTE,
            "box_busy_before_percent": round(busy_before, 1),
            "cores": os.cpu_count(),
            "phases": [r.as_json() for r in results],
            "sustained": sustained.as_json() if sustained is not None else None,
            "passed": ok,
            "error_examples": generator.error_examples,
            "outbox_backlog_at_stop": backlog,
            "relays_published_backlog_s": relay_seconds if math.isfinite(relay_seconds) else None,
        }
        Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=2))
        print(f"results written to {args.out}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of load: warm-up, steps, sustained")
    parser.add_argument("--seed", type=int, default=None, help="the arrivals' and the mix's seed (printed)")
    parser.add_argument("--out", default=None, help="write the results as JSON to this file")
    parser.add_argument("--start-rate", type=float, default=30, help="requests/s of the warm-up and the first step")
    parser.add_argument("--factor", type=float, default=1.5, help="rate multiplier from one step to the next")
    parser.add_argument("--step-seconds", type=float, default=15, help="length of each step")
    parser.add_argument("--refinements", type=int, default=1, help="steps between the last pass and the first fail")
    parser.add_argument("--sustain-fraction", type=float, default=1 / 3, help="least share of --duration sustained")
    parser.add_argument("--warmup", type=float, default=5, help="seconds at --start-rate before the steps")
    parser.add_argument("--max-rate", type=float, default=2000, help="never offer more than this")
    parser.add_argument("--max-in-flight", type=int, default=256, help="connections and requests in flight at most")
    parser.add_argument("--timeout", type=float, default=10, help="seconds before a request counts as timed out")
    parser.add_argument("--accounts", type=int, default=40, help="town caseworkers (one address each)")
    parser.add_argument("--seed-applications", type=int, default=100, help="applications created before the load")
    parser.add_argument("--arrivals", choices=("poisson", "uniform"), default="poisson")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for name in ("JIUZHU_PG_ADMIN_URL", "JIUZHU_KAFKA_BOOTSTRAP"):
        if not os.environ.get(name):
            raise SystemExit(f"{name} is not set: run through `make load` (it starts deploy/local servers)")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(load(args))
