"""Benchmark: the event pipeline end to end (eligibility's outbox → Kafka → monitoring's
register) against raw aiokafka on the same broker, measured in the same run.

    uv run python platform/bench/bench_events.py --count 20000

Set-up, not timed: the local PostgreSQL and Kafka (deploy/local/*.sh start), throwaway
eligibility and monitoring databases migrated to head, COUNT `eligibility.application_submitted`
events (the latest version, from the domain rule that makes them: varied households, counties,
towns, kinds of assistance and applicants; some households apply twice) staged in eligibility's
outbox with `jiuzhu_platform.outbox.add_events`, and the topics created under a prefix of this
run's own.

1. Baseline: an aiokafka producer (acks=all, idempotent, linger 5 ms as `KafkaBus`) sends the
   same payloads, keys and headers; a consumer in a group (manual commits, read_committed)
   takes `getmany(max_records=500)` and commits once per batch. Two processes, timed from
   their start until the consumer has seen every message.
2. The pipeline as deployed: `python -m eligibility worker` (the outbox relay) and
   `python -m monitoring worker` (its register consumer), two processes configured only by
   environment variables (INFO logs, as in production), timed from their start until
   monitoring's inbox holds every event for its consumer (written in the same transaction as
   the register rows, so every effect is then committed).

Both are timed from the start of their processes and from the moment the processes were up
(imports done, connected, in the group); the `ratio:` compares the rates once up, the
throughput of the pipeline itself (a worker's start-up, ~2 s of imports and connections, is a
one-off, printed on its own with the moment the relay had published everything).
Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import support  # also puts the repository root on sys.path, for `tests.e2e.cluster` below
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from eligibility.adapters.orm import outbox as eligibility_outbox
from eligibility.applications.domain.commands import SubmitApplication
from eligibility.applications.domain.rules import submit_application
from eligibility.main import DEFINITION as ELIGIBILITY
from jiuzhu_platform.db import Database
from jiuzhu_platform.outbox import CORRELATION_HEADER, TYPE_HEADER, add_events
from jiuzhu_platform.testing import ThrowawayDatabases
from monitoring.main import DEFINITION as MONITORING
from shared.events import ApplicationSubmitted, AssistanceType
from shared.regions import guiyang_counties
from shared.topics import ELIGIBILITY_EVENTS, MONITORING_EVENTS
from shared.types import ResidentId, resident_id_check_digit
from tests.e2e.cluster import Cluster, pii_env

POLL_SECONDS = 0.05
RAW_KAFKA = Path(__file__).resolve().with_name("raw_kafka.py")
STAGE_CHUNK = 1000
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢"
    "姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅琴云飞建国春燕晓东文斌海波鑫宇浩然子涵欣怡"
ASSISTANCE = (
    (AssistanceType.DIBAO, 55),
    (AssistanceType.TEMPORARY, 15),
    (AssistanceType.MARGINAL, 12),
    (AssistanceType.TEKUN, 8),
    (AssistanceType.EXPENDITURE, 6),
    (AssistanceType.EMERGENCY, 4),
)


# ------------------------------------------------------------------------------- the events


def resident_id(rng: random.Random, county: str) -> ResidentId:
    born = date(1938, 1, 1) + timedelta(days=rng.randrange(365 * 66))
    body = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return ResidentId(body + resident_id_check_digit(body))


def make_events(count: int, seed: int = 1) -> list[ApplicationSubmitted]:
    """`count` submitted-application events as eligibility makes them; about one household in
    eight applies a second time (another kind of assistance), which monitoring applies as an
    update of the register entry instead of a new one."""
    rng = random.Random(seed)
    counties = [region.code for region in guiyang_counties()]
    kinds, weights = zip(*ASSISTANCE, strict=True)
    households: list[tuple[uuid.UUID, str, str | None]] = []
    events = []
    now = datetime.now(UTC)
    for index in range(count):
        if households and rng.random() < 0.12:
            household_id, county, town = rng.choice(households)
        else:
            county = rng.choice(counties)
            town = f"{county}{rng.randint(1, 30):03d}000" if rng.random() < 0.7 else None
            household_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            households.append((household_id, county, town))
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        command = SubmitApplication(
            household_id=household_id,
            assistance_type=rng.choices(kinds, weights)[0],
            region_code=county,
            town_code=town,
            member_count=rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6)),
            applicant_name=rng.choice(SURNAMES) + given,
            applicant_resident_id=resident_id(rng, county),
            correlation_id=f"bench-{index:06d}-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}",
        )
        _, event = submit_application(command, now=now + timedelta(milliseconds=index))
        events.append(event)
    return events


async def stage(database_url: str, events: Sequence[ApplicationSubmitted]) -> None:
    """The events in eligibility's outbox, unpublished (as many requests would leave them)."""
    database = Database.from_url(database_url)
    try:
        for start in range(0, len(events), STAGE_CHUNK):
            chunk = events[start : start + STAGE_CHUNK]
            async with database.transaction() as session:
                await add_events(session, eligibility_outbox, chunk, now=chunk[0].time)
    finally:
        await database.dispose()


def write_messages(path: Path, events: Sequence[ApplicationSubmitted]) -> None:
    """The baseline's messages: the bytes, key and headers the relay sends for each event."""
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            headers = [[TYPE_HEADER, event.type], [CORRELATION_HEADER, event.correlation_id]]
            line = {"key": event.subject, "value": event.to_json_bytes().decode(), "headers": headers}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------ Kafka


async def create_topics(bootstrap: str, names: Sequence[str], partitions: int = 3) -> None:
    """Made up front, like a deployment does: no run waits for auto-creation and metadata."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1) for name in names])
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, prefixes: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [topic for topic in await admin.list_topics() if topic.startswith(tuple(prefixes))]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


# ------------------------------------------------------------------------------- the run


@dataclass
class Marks:
    """Seconds from the start of the processes."""

    up: float  # the later of the two processes ready
    first_stage_done: float  # producer acknowledged / relay published everything
    done: float  # consumer saw / monitoring applied everything


def spawn_baseline(cluster: Cluster, name: str, args: list[str]) -> None:
    """A role of `raw_kafka.py` as a separate process, stopped with the cluster."""
    log = (cluster.directory / f"{name}.log").open("ab")
    cluster.processes[name] = subprocess.Popen(  # noqa: S603 (our script, with arguments built here)
        [sys.executable, str(RAW_KAFKA), *args],
        env=cluster.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cluster.directory,
    )


def check_alive(cluster: Cluster, names: Sequence[str], *, finished_ok: Sequence[str] = ()) -> None:
    for name in names:
        code = cluster.processes[name].poll()
        if code is not None and not (code == 0 and name in finished_ok):
            raise SystemExit(f"{name} exited with {code}:\n{cluster.log_text(name)[-3000:]}")


def result_of(cluster: Cluster, name: str) -> dict[str, Any]:
    for line in reversed(cluster.log_text(name).splitlines()):
        if line.startswith("{") and '"done"' in line:
            result: dict[str, Any] = json.loads(line)
            return result
    raise SystemExit(f"{name} printed no result:\n{cluster.log_text(name)[-3000:]}")


async def run_baseline(
    cluster: Cluster, bootstrap: str, topic: str, messages: Path, count: int, timeout: float
) -> Marks:
    common = ["--bootstrap", bootstrap, "--topic", topic]
    names = ("baseline-producer", "baseline-consumer")
    started = time.monotonic()
    spawn_baseline(cluster, names[0], ["produce", *common, "--messages", str(messages)])
    spawn_baseline(cluster, names[1], ["consume", *common, "--count", str(count)])
    while any(cluster.processes[name].poll() is None for name in names):
        check_alive(cluster, names, finished_ok=names)
        if time.monotonic() - started > timeout:
            raise SystemExit(f"baseline: not done after {timeout:.0f} s")
        await asyncio.sleep(POLL_SECONDS)
    check_alive(cluster, names, finished_ok=names)
    producer, consumer = result_of(cluster, names[0]), result_of(cluster, names[1])
    if consumer["count"] < count:
        raise SystemExit(f"baseline consumer saw {consumer['count']} of {count}")
    return Marks(
        up=max(producer["started"], consumer["started"]) - started,
        first_stage_done=producer["done"] - started,
        done=consumer["done"] - started,
    )


async def run_pipeline(
    cluster: Cluster, urls: dict[str, str], consumers: Sequence[str], count: int, timeout: float
) -> Marks:
    workers = ("eligibility-worker", "monitoring-worker")
    eligibility = await asyncpg.connect(urls["eligibility"].replace("postgresql+asyncpg://", "postgresql://"))
    monitoring = await asyncpg.connect(urls["monitoring"].replace("postgresql+asyncpg://", "postgresql://"))
    try:
        started = time.monotonic()
        cluster.start(workers[0], ["eligibility", "worker"])
        cluster.start(workers[1], ["monitoring", "worker"])
        up: dict[str, float] = {}
        published: float | None = None
        while True:
            now = time.monotonic() - started
            check_alive(cluster, workers)
            for name in workers:
                if name not in up and "worker started" in cluster.log_text(name):
                    up[name] = now
            if published is None:
                pending = await eligibility.fetchval("SELECT count(*) FROM outbox_message WHERE published_at IS NULL")
                if pending == 0:
                    published = now
            applied = await monitoring.fetchval(
                "SELECT count(*) FROM processed_event WHERE consumer = ANY($1::text[])", list(consumers)
            )
            if applied >= count * len(consumers):
                return Marks(up=max(up.values(), default=now), first_stage_done=published or now, done=now)
            if now > timeout:
                raise SystemExit(f"pipeline: {applied} of {count} events applied after {timeout:.0f} s")
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await eligibility.close()
        await monitoring.close()


async def count_rows(url: str, table: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 (a constant name)
    finally:
        await connection.close()


async def main(count: int) -> None:
    admin_url, bootstrap = support.start_servers()
    databases = ThrowawayDatabases(admin_url)
    run_id = uuid.uuid4().hex[:8]
    pipeline_prefix, baseline_prefix = f"bench{run_id}.", f"bench{run_id}raw."
    timeout = 60 + count / 100
    raw_topic = baseline_prefix + ELIGIBILITY_EVENTS
    consumers = [
        f"{MONITORING.name}.{c.name}" for c in MONITORING.consumers if ApplicationSubmitted.event_type in c.handlers
    ]
    if not consumers:
        raise SystemExit(f"no consumer of monitoring handles {ApplicationSubmitted.event_type}")
    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        directory = Path(tmp)
        own = ("ELIGIBILITY_", "MONITORING_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
        cluster = Cluster(directory, gateway_url="", service_urls={}, env=env)
        try:
            set_up = time.monotonic()
            urls = {
                "eligibility": await databases.create("eligibility"),
                "monitoring": await databases.create("monitoring"),
            }
            await ELIGIBILITY.migrate(urls["eligibility"])
            await MONITORING.migrate(urls["monitoring"])
            events = make_events(count)
            await stage(urls["eligibility"], events)
            write_messages(directory / "messages.jsonl", events)
            await create_topics(
                bootstrap,
                [pipeline_prefix + ELIGIBILITY_EVENTS, pipeline_prefix + MONITORING_EVENTS, raw_topic],
            )
            households = len({event.data.household_id for event in events})
            for service in ("eligibility", "monitoring"):
                upper = service.upper()
                env |= {
                    f"{upper}_ENV": "test",
                    f"{upper}_DATABASE_URL": urls[service],
                    f"{upper}_BUS": "kafka",
                    f"{upper}_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                    f"{upper}_KAFKA_TOPIC_PREFIX": pipeline_prefix,
                    f"{upper}_RELAY_IDLE_SECONDS": "0.2",  # the production default
                    f"{upper}_LOG_LEVEL": "INFO",
                }
            env |= pii_env("ELIGIBILITY")
            print(
                f"\nset-up (not timed, {time.monotonic() - set_up:.1f} s): {count:,} {ApplicationSubmitted.event_type} "
                f"events of {households:,} households in eligibility's outbox; topics under {pipeline_prefix}"
            )

            print("\n1. baseline: raw aiokafka (raw_kafka.py), a producer and a consumer process")
            raw = await run_baseline(cluster, bootstrap, raw_topic, directory / "messages.jsonl", count, timeout)
            print(
                f"  both connected {raw.up:.2f} s · producer had every ack {raw.first_stage_done:.2f} s · "
                f"consumer had every message {raw.done:.2f} s"
            )
            workers = ("eligibility-worker", "monitoring-worker")
            print("\n2. pipeline: python -m eligibility worker (outbox relay) + python -m monitoring worker (consumer)")
            piped = await run_pipeline(cluster, urls, consumers, count, timeout)
            print(
                f"  both workers up {piped.up:.2f} s · relay had published every row {piped.first_stage_done:.2f} s · "
                f"monitoring had applied every event {piped.done:.2f} s"
            )
            for name in workers:
                cluster.stop(name)
            entries = await count_rows(urls["monitoring"], "register_entry")
            if entries != households:
                print(f"  UNEXPECTED: {entries:,} register entries for {households:,} households")

            print(f"\n{count:,} events, timed from the start of the processes (and from when they were up)")
            for label, marks, unit in (
                ("raw aiokafka: produce → consume, batches of 500", raw, "msg"),
                ("pipeline: outbox relay → Kafka → monitoring register", piped, "events"),
            ):
                print(
                    f"  {label:<54} {support.rate(count, marks.done, unit)}  ({marks.done:5.2f} s; "
                    f"{count / (marks.done - marks.up):,.0f}/s once up)"
                )
            support.report_logs({name: cluster.log_text(name) for name in workers})
            print(support.ratio_line(count / (piped.done - piped.up), count / (raw.done - raw.up)))
        finally:
            for name in list(cluster.processes):
                cluster.stop(name)
            await databases.drop_all()
            try:
                await delete_topics(bootstrap, [pipeline_prefix, baseline_prefix])
            except Exception as exc:  # cleanup only: the topics are namespaced and small
                print(f"(could not delete the topics {pipeline_prefix}*: {exc})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="events (and baseline messages)")
    asyncio.run(main(parser.parse_args().count))
