"""`make chaos`: the distributed system (every service's API and worker, the gateway and the
department simulator as processes; real PostgreSQL and Kafka on loopback, started by
`deploy/local/*.sh`) under a steady cross-service workload through the gateway, while faults are
injected on a schedule drawn from a recorded seed:

- SIGKILL of a random API, worker or the gateway, started again at once (a crashed pod);
- a restart of the Kafka broker (`deploy/local/kafka.sh restart`: the shared local one);
- a restart of PostgreSQL (`deploy/local/postgres.sh stop` + `start`: the shared local one).

The workload is what town and county staff do: 申请 → 授权 (consent) → 受理 → 调查 → 入户 →
(verification's 核对报告 arrives by Kafka) → 初审 → 公示异议 → 民主评议 → 县级入户 → 确认, which
crosses every service: `application_submitted` → monitoring's register, `application_accepted` →
verification's check → `check_completed` → eligibility, `case_approved` → payment's ledger; after
the drain one payroll run of the county. Each command is retried as a real client would (on a
connection error, a 5xx or a 429), made safe by the API's own means: a create is reconciled by
searching the applicant's resident ID before it is sent again, a step carries the version it was
read at (`expected_version`), so a retried step that had been applied is recognised, never
applied twice.

Afterwards the system drains and `invariants.check` compares what the client saw accepted with
what the databases and Kafka hold. Exit 0 when every invariant holds, 1 otherwise.

    python -m tests.chaos --duration 180 [--seed N] [--concurrency 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from jiuzhu_platform.audit import verify_database
from tests.chaos.invariants import Accepted, Observed, Report, check
from tests.e2e.cluster import (
    ADMIN,
    ADMIN_PASSWORD,
    SERVICES,
    Cluster,
    resident,
    running_cluster,
    sign_in,
)

REPO = Path(__file__).resolve().parents[2]
LOCAL = REPO / "deploy" / "local"
COUNTY = "520102"
TOWN = "520102001000"
APPLICATIONS = "/v1/eligibility/applications"
COMMAND_DEADLINE = 180.0
"""A command is retried for this long (longer than any outage the harness causes)."""
REPORT_DEADLINE = 240.0
DRAIN_DEADLINE = 300.0

log = logging.getLogger("chaos")


class Refused(Exception):
    """A 4xx the client cannot retry: the walk of this application stops here (counted)."""


@dataclass
class Figures:
    faults: Counter[str] = field(default_factory=Counter)
    fault_log: list[str] = field(default_factory=list)
    unexpected_exits: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    retries: int = 0
    reconciled: int = 0
    signed_in_again: int = 0
    """sign-ins after a 401 token_expired (the access token lives 5 minutes)"""
    """retried commands found applied after an ambiguous failure (so not sent again)"""
    refused: Counter[str] = field(default_factory=Counter)
    walks_started: int = 0
    walks_done: int = 0


class Client:
    """A staff member's HTTP client to the gateway that retries like a real one, and signs in
    again when its access token expired (5 minutes; a run with its drain lasts longer)."""

    def __init__(self, cluster: Cluster, account: str, password: str, figures: Figures) -> None:
        self.http = cluster.client()
        self.account = account
        self.password = password
        self.figures = figures

    async def sign_in(self) -> None:
        """Sign in (again), through faults: retried on a connection error, a 5xx or a 429."""
        deadline = time.monotonic() + COMMAND_DEADLINE
        delay = 0.2
        while True:
            try:
                response = await self.http.post(
                    "/v1/auth/login", json={"username": self.account, "password": self.password}
                )
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 200:
                self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
                return
            if response is not None and response.status_code < 500 and response.status_code != 429:
                raise HttpRefusal(response.status_code, response.json() if response.content else {})
            if time.monotonic() > deadline:
                raise Ambiguous(f"sign-in of {self.account}: no answer after {COMMAND_DEADLINE}s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 3.0)

    async def call(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201)) -> Any:
        """One attempt; raises `Ambiguous` when the outcome is unknown (retry-worthy). A 401
        `token_expired` applied nothing: the client signs in again and sends it again."""
        for fresh_token in (False, True):
            self.figures.requests += 1
            try:
                response = await self.http.request(method, path, json=body)
            except httpx.TransportError as error:
                raise Ambiguous(f"{type(error).__name__}") from error
            if response.status_code in ok:
                return response.json()
            if response.status_code >= 500 or response.status_code == 429:
                raise Ambiguous(str(response.status_code))
            refusal = HttpRefusal(response.status_code, response.json() if response.content else {})
            if refusal.status == 401 and refusal.reason == "token_expired" and not fresh_token:
                self.figures.signed_in_again += 1
                await self.sign_in()
                continue
            raise refusal
        raise AssertionError("unreachable")

    async def retrying(self, method: str, path: str, body: Any = None) -> Any:
        """Retry a command that is safe to repeat (reads, or a repeat the server recognises)."""
        deadline = time.monotonic() + COMMAND_DEADLINE
        delay = 0.2
        while True:
            try:
                return await self.call(method, path, body)
            except Ambiguous:
                if time.monotonic() > deadline:
                    raise
                self.figures.retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3.0)


class Ambiguous(Exception):
    pass


class HttpRefusal(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('reason')}: {body.get('message', '')}"[:300])
        self.status = status
        self.reason = str(body.get("reason"))


async def backoff(attempt: int) -> None:
    await asyncio.sleep(min(0.2 * 2**attempt, 3.0))


class Workload:
    def __init__(self, cluster: Cluster, figures: Figures, accepted: Accepted, rng: random.Random) -> None:
        self.cluster = cluster
        self.figures = figures
        self.accepted = accepted
        self.rng = rng
        self.serial = 0
        self.born = date(1950, 1, 1)

    async def staff(self) -> None:
        async with self.cluster.client() as admin:
            admin.headers.update(await sign_in(admin, ADMIN, ADMIN_PASSWORD))
            self.town = await self.new_staff(admin, "chaos-li", "town_caseworker", TOWN)
            self.colleague = await self.new_staff(admin, "chaos-wang", "town_caseworker", TOWN)
            self.county = await self.new_staff(admin, "chaos-zhao", "county_approver", COUNTY)
            self.officer = await self.new_staff(admin, "chaos-pay", "payment_officer", COUNTY)

    async def new_staff(self, admin: httpx.AsyncClient, account: str, role: str, region: str) -> Client:
        """A staff user made by the administrator, signed in (the client keeps the password to
        sign in again, as the app does when the access token expires)."""
        password = f"Chaos-{uuid.uuid4().hex[:10]}-Pw"
        body = {"username": account, "password": password, "roles": [role], "region": region, "display_name": account}
        response = await admin.post("/v1/auth/users", json=body)
        assert response.status_code == 201, response.text
        client = Client(self.cluster, account, password, self.figures)
        await client.sign_in()
        return client

    def next_resident(self) -> str:
        self.serial += 1
        day = self.born + timedelta(days=self.serial)
        return resident(f"{COUNTY}{day:%Y%m%d}{self.rng.randrange(1, 999):03d}")

    async def create(self, number: str) -> dict[str, Any]:
        """申请, retried safely: after an ambiguous failure, the applicant's applications are
        searched first; one found is the one the lost answer was about."""
        body = {
            "assistance_type": "dibao",
            "region_code": COUNTY,
            "town_code": TOWN,
            "member_count": 1,
            "applicant": {"name": "混沌", "resident_id": number},
        }
        deadline = time.monotonic() + COMMAND_DEADLINE
        attempt = 0
        while True:
            try:
                return dict(await self.town.call("POST", APPLICATIONS, body))
            except Ambiguous:
                if time.monotonic() > deadline:
                    raise
                self.figures.retries += 1
                await backoff(attempt)
                attempt += 1
                found = await self.town.retrying("POST", f"{APPLICATIONS}/search", {"resident_id": number})
                if found:
                    self.figures.reconciled += 1
                    return dict(found[0])

    async def procedure(self, app_id: str) -> dict[str, Any]:
        return dict(await self.town.retrying("GET", f"{APPLICATIONS}/{app_id}/procedure"))

    async def step(self, who: Client, app_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A procedure step sent with the version it was read at; after an ambiguous failure
        the timeline tells whether it was applied (then it is not sent again)."""
        deadline = time.monotonic() + COMMAND_DEADLINE
        case = await self.procedure(app_id)
        first_seen = len(case["steps"])
        sent = False  # sent at least once with an unknown outcome
        attempt = 0
        while True:
            try:
                return dict(
                    await who.call(
                        "POST",
                        f"{APPLICATIONS}/{app_id}/{action}",
                        (body or {}) | {"expected_version": case["version"]},
                    )
                )
            except Ambiguous:
                sent = True
            except HttpRefusal as refusal:
                stale = refusal.status == 409 and refusal.reason == "application_changed"
                if not stale and not (sent and refusal.status == 409):
                    raise Refused(f"{action}: {refusal}") from refusal
            if time.monotonic() > deadline:
                raise Refused(f"{action}: no answer after {COMMAND_DEADLINE}s")
            self.figures.retries += 1
            await backoff(attempt)
            attempt += 1
            # the version moved on (our lost answer, or the report arriving) or the outcome is
            # unknown: the timeline tells whether our step is in it
            case = await self.procedure(app_id)
            if sent and any(s["action"] == action and s["actor"] == who.account for s in case["steps"][first_seen:]):
                self.figures.reconciled += 1
                return case

    async def walk(self) -> None:
        """One application from 申请 to 确认 (each stage recorded once the client saw it)."""
        self.figures.walks_started += 1
        number = self.next_resident()
        created = await self.create(number)
        app_id, household = str(created["id"]), str(created["household_id"])
        self.accepted.created[app_id] = household
        await self.town.retrying(
            "POST",
            "/v1/verification/consents",
            {
                "household_id": household,
                "region_code": COUNTY,
                "subject_name": "混沌",
                "subject_resident_id": number,
                "purpose": "低保申请核对",
                "signed_on": date.today().isoformat(),
            },
        )
        await self.step(self.town, app_id, "accept")
        self.accepted.accepted.add(app_id)
        await self.step(self.town, app_id, "start-investigation")
        visit = {
            "visited_on": date.today().isoformat(),
            "investigators": ["chaos-wang"],
            "family_signed": True,
            "findings": "入户核实",
        }
        await self.step(self.town, app_id, "record-home-visit", visit)
        deadline = time.monotonic() + REPORT_DEADLINE
        while not (await self.procedure(app_id))["verification_received"]:
            if time.monotonic() > deadline:
                raise Refused(f"the 核对报告 not received after {REPORT_DEADLINE}s")
            await asyncio.sleep(1)
        await self.step(self.colleague, app_id, "preliminary-review", {"amount": "640.00", "opinion": "符合条件"})
        await self.step(self.town, app_id, "record-publicity-objection", {"summary": "群众反映有经营收入"})
        revised = {"method": "democratic_review", "recommend": True, "amount": "640.00", "opinion": "民主评议后维持"}
        await self.step(self.colleague, app_id, "revise-opinion", revised)
        county_visit = visit | {"investigators": ["chaos-li"], "findings": "县级入户核实"}
        await self.step(self.county, app_id, "record-county-visit", county_visit)
        await self.step(self.county, app_id, "approve", {"amount": "640.00", "note": "同意"})
        self.accepted.approved.add(app_id)
        self.figures.walks_done += 1

    async def run(self, until: float, concurrency: int) -> None:
        async def lane() -> None:
            while time.monotonic() < until:
                try:
                    await self.walk()
                except Refused as refused:
                    self.figures.refused[str(refused)[:120]] += 1
                    log.warning("walk stopped: %s", refused)
                except (Ambiguous, HttpRefusal) as error:
                    self.figures.refused[f"{type(error).__name__}: {error}"[:120]] += 1
                    log.warning("walk stopped: %s", error)

        await asyncio.gather(*(lane() for _ in range(concurrency)))

    async def payroll(self) -> str | None:
        """One payroll run of the county for the month the approvals start (after the drain)."""
        months = await query("PAYMENT", self.cluster, "select distinct first_month from entitlement")
        if not months:
            return None
        period = max(str(m) for (m,) in months)
        try:
            run = await self.officer.retrying(
                "POST", "/v1/payment/payroll-runs", {"period": period, "county_code": COUNTY}
            )
            await self.officer.retrying("POST", f"/v1/payment/payroll-runs/{run['id']}/calculate")
        except HttpRefusal as refusal:
            self.figures.refused[f"payroll run {period}: {refusal}"[:120]] += 1
            return None
        return period

    async def close(self) -> None:
        for client in (self.town, self.colleague, self.county, self.officer):
            await client.http.aclose()


# --- faults ----------------------------------------------------------------------------------


def server_script(name: str, *args: str) -> str:
    result = subprocess.run([str(LOCAL / f"{name}.sh"), *args], capture_output=True, text=True, timeout=240)
    if result.returncode != 0:
        raise RuntimeError(f"{name}.sh {' '.join(args)}: {result.stderr[-2000:]}")
    return result.stdout


def same_servers() -> None:
    """The servers `deploy/local/*.sh` manage are the ones the cluster uses (else refuse)."""
    env = server_script("postgres", "env") + server_script("kafka", "env")
    for line in env.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        if name in ("JIUZHU_PG_ADMIN_URL", "JIUZHU_KAFKA_BOOTSTRAP") and os.environ.get(name) != value:
            raise SystemExit(f"{name} is {os.environ.get(name)!r} but deploy/local manages {value!r}: refusing")


@dataclass
class Fault:
    at: float
    kind: str


def schedule(rng: random.Random, duration: float, kafka_restarts: int, postgres_restarts: int) -> list[Fault]:
    """SIGKILLs every 6–14 s; the server restarts spread over the middle of the run."""
    faults: list[Fault] = []
    t = rng.uniform(5, 10)
    while t < duration - 5:
        faults.append(Fault(t, "sigkill"))
        t += rng.uniform(6, 14)
    servers = ["kafka"] * kafka_restarts + ["postgres"] * postgres_restarts
    rng.shuffle(servers)
    for n, server in enumerate(servers):
        slot = duration * (n + 1) / (len(servers) + 1)
        faults.append(Fault(slot + rng.uniform(-5, 5), f"restart-{server}"))
    return sorted(faults, key=lambda f: f.at)


class Injector:
    def __init__(self, cluster: Cluster, figures: Figures, rng: random.Random) -> None:
        self.cluster = cluster
        self.figures = figures
        self.rng = rng
        self.victims = [name for name in cluster.commands if name != "departments"]
        self.stopped = False

    def note(self, message: str, started: float) -> None:
        line = f"+{time.monotonic() - started:6.1f}s {message}"
        self.figures.fault_log.append(line)
        log.info("fault %s", line)

    async def run(self, faults: list[Fault], started: float) -> None:
        for fault in faults:
            await asyncio.sleep(max(0.0, started + fault.at - time.monotonic()))
            if fault.kind == "sigkill":
                victim = self.rng.choice(self.victims)
                self.cluster.kill(victim)
                self.cluster.respawn(victim)
                kind = "sigkill-" + ("worker" if victim.endswith("-worker") else "api")
                self.figures.faults[kind] += 1
                self.note(f"SIGKILL {victim} (restarted)", started)
            else:
                server = fault.kind.removeprefix("restart-")
                self.note(f"restarting {server}", started)
                begun = time.monotonic()
                if server == "kafka":
                    await asyncio.to_thread(server_script, "kafka", "restart")
                else:
                    await asyncio.to_thread(server_script, "postgres", "stop")
                    await asyncio.to_thread(server_script, "postgres", "start")
                self.figures.faults[fault.kind] += 1
                self.note(f"{server} back after {time.monotonic() - begun:.1f}s", started)

    async def supervise(self) -> None:
        """Like an orchestrator: a process that exits by itself is counted and started again."""
        while not self.stopped:
            for name, process in list(self.cluster.processes.items()):
                if process.poll() is not None:
                    self.figures.unexpected_exits[name] += 1
                    log.warning("%s exited by itself (%s); restarting it", name, process.returncode)
                    self.cluster.respawn(name)
            await asyncio.sleep(1)


# --- observation -----------------------------------------------------------------------------


async def query(service: str, cluster: Cluster, sql: str) -> list[Any]:
    engine = create_async_engine(cluster.env[f"{service}_DATABASE_URL"], poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(sql))).all())
    finally:
        await engine.dispose()


CONSUMED = {
    # (producer, event type) → (consumer service, consumer name in its inbox)
    ("ELIGIBILITY", "eligibility.application_submitted.v1"): ("MONITORING", "register"),
    ("ELIGIBILITY", "eligibility.application_accepted.v1"): ("VERIFICATION", "checks"),
    ("ELIGIBILITY", "eligibility.case_approved.v1"): ("PAYMENT", "ledger"),
    ("VERIFICATION", "verification.check_completed.v1"): ("ELIGIBILITY", "lifecycle"),
}


async def topic_messages(cluster: Cluster, topics: list[str]) -> dict[str, list[Any]]:
    """Every message (value, headers) of `topics`, from the beginning to the current end."""
    out: dict[str, list[Any]] = {t: [] for t in topics}
    # The partitions from the admin client: a consumer that subscribed to nothing has no
    # metadata of these topics (`partitions_for_topic` is None), which read every topic empty.
    admin = AIOKafkaAdminClient(bootstrap_servers=os.environ["JIUZHU_KAFKA_BOOTSTRAP"])
    await admin.start()
    try:
        described = await admin.describe_topics(topics) if topics else []
    finally:
        await admin.close()
    partitions = sorted(
        (TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]),
        key=lambda tp: (tp.topic, tp.partition),
    )
    if not partitions:
        return out
    consumer = AIOKafkaConsumer(
        bootstrap_servers=os.environ["JIUZHU_KAFKA_BOOTSTRAP"], enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                out[tp.topic].extend((r.value, dict(r.headers)) for r in records)
                if records and records[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
        return out
    finally:
        await stop_quietly(consumer)


async def stop_quietly(consumer: AIOKafkaConsumer) -> None:
    """Stop a reading consumer. After broker restarts aiokafka's stop() can re-raise the
    CancelledError of its own internal task (the group coordinator's): that is not this task being
    cancelled, and must not end the drain; a real cancellation still propagates."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.info("drain: the consumer's stop raised its own cancellation (ignored)")


async def all_topics(cluster: Cluster) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=os.environ["JIUZHU_KAFKA_BOOTSTRAP"])
    await admin.start()
    try:
        prefix = cluster.env["ELIGIBILITY_KAFKA_TOPIC_PREFIX"]
        return sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()


@dataclass
class Traffic:
    published: int = 0
    consumed: int = 0
    on_kafka: int = 0
    redelivered: int = 0
    """messages on Kafka beyond one per event id (the relay's at-least-once), absorbed by inboxes"""


async def observe(cluster: Cluster, accepted: Accepted, payroll_period: str | None) -> tuple[Observed, Traffic]:
    o = Observed(payroll_period=payroll_period)
    traffic = Traffic()
    for household, n in await query(
        "ELIGIBILITY", cluster, "select household_id, count(*) from application group by household_id"
    ):
        o.applications_per_household[str(household)] = n
    o.application_ids = {str(a) for (a,) in await query("ELIGIBILITY", cluster, "select id from application")}
    for (household,) in await query("MONITORING", cluster, "select household_id from register_entry"):
        o.register_households[str(household)] += 1
    for app, n in await query(
        "VERIFICATION",
        cluster,
        "select application_id, count(*) from household_check where application_id is not null group by 1",
    ):
        o.checks_per_application[str(app)] = n
    for app, n in await query(
        "ELIGIBILITY",
        cluster,
        "select application_id, count(*) from application_step where action = 'receive-verification-report' group by 1",
    ):
        o.reports_per_application[str(app)] = n
    for app, case in await query("ELIGIBILITY", cluster, "select application_id, case_id from assistance_case"):
        o.case_of_application[str(app)] = str(case)
    for (case,) in await query("PAYMENT", cluster, "select case_id from entitlement"):
        o.entitlements_per_case[str(case)] += 1
    if payroll_period is not None:
        o.instructions_per_case_month = Counter()
        for case, period, n in await query(
            "PAYMENT",
            cluster,
            "select case_id, period, count(*) from payment_instruction "
            f"where period = '{payroll_period}' group by 1, 2",
        ):
            o.instructions_per_case_month[(str(case), str(period))] = n
    outbox: dict[str, dict[str, set[str]]] = {}
    published: dict[str, set[str]] = {}
    for service in (s.upper() for s in SERVICES):
        rows = await query(
            service, cluster, "select event_id, event_type, published_at is not null from outbox_message"
        )
        o.unpublished_outbox[service.lower()] = sum(1 for *_, done in rows if not done)
        traffic.published += sum(1 for *_, done in rows if done)
        outbox[service] = {}
        for event_id, event_type, _ in rows:
            outbox[service].setdefault(event_type, set()).add(str(event_id))
        published[service.lower()] = {str(event_id) for event_id, _, done in rows if done}
        inbox = await query(service, cluster, "select consumer, event_id from processed_event")
        traffic.consumed += len(inbox)
        for (consumer, _), n in Counter((c, str(e)) for c, e in inbox).items():
            if n > 1:
                key = f"{service.lower()}.{consumer}"
                o.inbox_duplicates[key] = o.inbox_duplicates.get(key, 0) + n - 1
    for (producer, event_type), (consumer_service, consumer) in CONSUMED.items():
        inbox_ids = {
            str(e)
            for (c, e) in await query(consumer_service, cluster, "select consumer, event_id from processed_event")
            if str(c).endswith(consumer)
        }
        sent = outbox[producer].get(event_type, set())
        o.lost_events[f"{producer.lower()} → {consumer_service.lower()}.{consumer} ({event_type})"] = len(
            sent - inbox_ids
        )
    topics = await all_topics(cluster)
    messages = await topic_messages(cluster, topics)
    on_kafka: set[str] = set()
    for topic, records in messages.items():
        if topic.endswith(".dlq"):
            for value, headers in records:
                error = headers.get("dlq_error", b"?").decode(errors="replace")
                consumer = headers.get("dlq_consumer", b"?").decode(errors="replace")
                o.dlq_messages.append(f"{topic} [{consumer}] {error[:200]} :: {value[:120]!r}")
        else:
            ids = Counter(json.loads(v)["id"] for v, _ in records)
            on_kafka.update(ids)
            traffic.on_kafka += len(records)
            traffic.redelivered += sum(n - 1 for n in ids.values())
    for service, ids in published.items():
        o.published_not_on_kafka[service] = len(ids - on_kafka)
    for service in (*(s.upper() for s in SERVICES), "GATEWAY"):
        result = await verify_database(cluster.env[f"{service}_DATABASE_URL"])
        o.audit[service.lower()] = None if result.ok else f"{result.reason} (entries: {result.count})"
    return o, traffic


async def drain(cluster: Cluster, accepted: Accepted) -> tuple[float, Observed, Traffic, Report]:
    """Poll the invariants until they hold (the drain time) or the deadline passes."""
    began = time.monotonic()
    while True:
        try:
            observed, traffic = await observe(cluster, accepted, None)
            report = check(accepted, observed)
        except Exception as error:  # a server still coming back: try again
            log.info("drain: %s", error)
            if time.monotonic() - began > DRAIN_DEADLINE:
                raise
            report = None
        if report is not None and (report.ok or time.monotonic() - began > DRAIN_DEADLINE):
            return time.monotonic() - began, observed, traffic, report
        await asyncio.sleep(2)


# --- the run ---------------------------------------------------------------------------------


async def chaos(args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    same_servers()
    directory = Path(tempfile.mkdtemp(prefix="jiuzhu-chaos-"))
    figures, accepted = Figures(), Accepted()
    print(f"chaos: seed {seed}, duration {args.duration:.0f}s, logs in {directory}", flush=True)
    async with running_cluster(directory) as cluster:
        workload = Workload(cluster, figures, accepted, random.Random(rng.randrange(2**32)))
        await workload.staff()
        injector = Injector(cluster, figures, random.Random(rng.randrange(2**32)))
        faults = schedule(rng, args.duration, args.kafka_restarts, args.postgres_restarts)
        started = time.monotonic()
        supervisor = asyncio.create_task(injector.supervise())
        try:
            await asyncio.gather(workload.run(started + args.duration, args.concurrency), injector.run(faults, started))
            load_seconds = time.monotonic() - started
            drain_seconds, observed, traffic, report = await drain(cluster, accepted)
            period = await workload.payroll()
            if period is not None:
                observed, traffic = await observe(cluster, accepted, period)
                report = check(accepted, observed)
        finally:
            injector.stopped = True
            await supervisor
            await workload.close()
        summary = {
            "seed": seed,
            "duration_s": round(load_seconds, 1),
            "faults": dict(figures.faults),
            "fault_log": figures.fault_log,
            "unexpected_exits": dict(figures.unexpected_exits),
            "requests": figures.requests,
            "retries": figures.retries,
            "reconciled_after_ambiguous_failure": figures.reconciled,
            "signed_in_again": figures.signed_in_again,
            "walks": {"started": figures.walks_started, "approved": figures.walks_done},
            "walks_stopped": dict(figures.refused),
            "accepted": {
                "applications_created": len(accepted.created),
                "applications_accepted": len(accepted.accepted),
                "approvals": len(accepted.approved),
            },
            "register_entries": sum(observed.register_households.values()),
            "verification_checks": sum(observed.checks_per_application.values()),
            "entitlements": sum(observed.entitlements_per_case.values()),
            "payroll": {
                "period": period,
                "instructions": sum((observed.instructions_per_case_month or Counter()).values()),
            },
            "events": {
                "published": traffic.published,
                "on_kafka": traffic.on_kafka,
                "redelivered_absorbed": traffic.redelivered,
                "consumed_inbox_rows": traffic.consumed,
            },
            "lost": report.lost,
            "duplicated": report.duplicated,
            "dlq": len(observed.dlq_messages),
            "audit_chains": {k: v or "ok" for k, v in observed.audit.items()},
            "drain_s": round(drain_seconds, 1),
            "violations": report.violations,
        }
        (directory / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print(
        f"chaos {'PASSED' if report.ok else 'FAILED'}: faults {sum(figures.faults.values())} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(figures.faults.items()))}), "
        f"applications {len(accepted.created)} created / {len(accepted.approved)} approved, "
        f"events {traffic.published} published / {traffic.consumed} consumed, "
        f"lost {report.lost}, duplicated {report.duplicated}, DLQ {len(observed.dlq_messages)}, "
        f"drain {drain_seconds:.1f}s (seed {seed})"
    )
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of workload under faults")
    parser.add_argument("--seed", type=int, default=None, help="the fault schedule's seed (printed when drawn)")
    parser.add_argument("--concurrency", type=int, default=3, help="applications walked at once")
    parser.add_argument("--kafka-restarts", type=int, default=2)
    parser.add_argument("--postgres-restarts", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    for name in ("JIUZHU_PG_ADMIN_URL", "JIUZHU_KAFKA_BOOTSTRAP"):
        if not os.environ.get(name):
            raise SystemExit(f"{name} is not set: run through `make chaos` (it starts deploy/local servers)")
    return asyncio.run(chaos(args))
