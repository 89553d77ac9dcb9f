"""The baseline of `bench_events.py`: raw aiokafka, one role per process, importing nothing of
the project (so its start-up is aiokafka's alone).

    python raw_kafka.py produce --bootstrap HOST:PORT --topic T --messages FILE
    python raw_kafka.py consume --bootstrap HOST:PORT --topic T --count N

`produce` sends every message of FILE (JSON lines: key, value, headers) with an idempotent
producer (acks=all, linger 5 ms, as `jiuzhu_platform.bus.KafkaBus`) and awaits every
acknowledgement; `consume` reads with a consumer in a fresh group (manual commits,
read_committed), `getmany(max_records=500)`, one offset commit per batch, until it has seen N.
Each prints one JSON line: `started` (connected) and `done`, `time.monotonic()` readings (one
clock for every process of the machine), and `count`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

BATCH = 500


async def produce(bootstrap: str, topic: str, messages: Sequence[dict[str, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    started = time.monotonic()
    try:
        futures = [
            await producer.send(
                topic,
                message["value"].encode(),
                key=message["key"].encode(),
                headers=[(name, value.encode()) for name, value in message["headers"]],
            )
            for message in messages
        ]
        await asyncio.gather(*futures)
        done = time.monotonic()
    finally:
        await producer.stop()
    print(json.dumps({"started": started, "done": done, "count": len(messages)}), flush=True)


async def consume(bootstrap: str, topic: str, count: int) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    started = time.monotonic()
    seen = 0
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            received = sum(len(records) for records in batches.values())
            if received:
                seen += received
                await consumer.commit()
        done = time.monotonic()
    finally:
        await consumer.stop()
    print(json.dumps({"started": started, "done": done, "count": seen}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=("produce", "consume"))
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--messages", type=Path, help="produce: JSON lines of key, value, headers")
    parser.add_argument("--count", type=int, default=0, help="consume: stop after this many messages")
    args = parser.parse_args()
    if args.role == "produce":
        lines = args.messages.read_text(encoding="utf-8").splitlines()
        asyncio.run(produce(args.bootstrap, args.topic, [json.loads(line) for line in lines]))
    else:
        asyncio.run(consume(args.bootstrap, args.topic, args.count))
