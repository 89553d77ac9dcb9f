"""The baseline of `bench_http.py service`'s create: bare SQLAlchemy Core inserts into
eligibility's `application` table (asyncpg, one transaction per insert, one after another),
in a process of its own that imports nothing of the project.

    python raw_insert.py --url postgresql+asyncpg://… --like <application id> --seconds 10

The row is a copy of the application `--like` as stored (its encrypted resident ID and blind
index included) with a fresh `id` and `household_id` each time, as a new application for a new
household has. Inserts for `--warmup` seconds first, then counts for `--seconds`; prints one
JSON line: `count` and `seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

from sqlalchemy import column, insert, table, text
from sqlalchemy.ext.asyncio import create_async_engine


async def main(url: str, like: uuid.UUID, seconds: float, warmup: float) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text("SELECT * FROM application WHERE id = :id"), {"id": like})).mappings()
            values = dict(row.one())
        statement = insert(table("application", *(column(name) for name in values)))
        count = 0
        for duration, counted in ((warmup, False), (seconds, True)):
            started = time.perf_counter()
            while (elapsed := time.perf_counter() - started) < duration:
                async with engine.begin() as connection:
                    await connection.execute(statement, values | {"id": uuid.uuid4(), "household_id": uuid.uuid4()})
                count += counted
    finally:
        await engine.dispose()
    print(json.dumps({"count": count, "seconds": elapsed}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the eligibility database (SQLAlchemy async URL)")
    parser.add_argument("--like", type=uuid.UUID, required=True, help="an application to copy")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.like, args.seconds, args.warmup))
