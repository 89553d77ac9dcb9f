"""Benchmark: a department's death list of LIST rows (default 100,000) matched against a register
of COUNT people with active cases (default 1,000,000), against a bare SQL join of the same
people measured in the same run.

    make bench-monitoring         # or: uv run python services/monitoring/bench/bench_death_list.py

Set-up, not timed: a throwaway PostgreSQL database (the local test server), migrated; COUNT
households of one person each with an active 低保 case (`monitored_case`, `monitored_person`),
loaded with COPY; the list as CSV, 5% of its people in the register (the rest unknown to it).

1. Baseline: the list's person references (computed beforehand) COPYed into a temporary table
   and joined to the register's people and active cases (`count(*)`), with asyncpg.
2. The import: `monitoring.imports.service.import_death_list` in one transaction, from the CSV
   bytes: read and check every row (resident ID check digit, date), the person reference of
   each (HMAC), COPY, the join, and for each match an alert, a risk signal and two events in the
   outbox.

Prints both times, the ratio, and the target of issue 13 (≤ 10 s for 100,000 against
1,000,000). Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.person_ref import person_ref
from jiuzhu_platform.testing import ThrowawayDatabases, test_pii_settings
from monitoring.imports import service
from monitoring.main import DEFINITION
from shared.types import ResidentId, resident_id_check_digit

COUNTY = "520102"
MATCH_SHARE = 20  # one listed person in 20 is in the register


def resident_id(n: int) -> str:
    """A valid, distinct 18-digit number for each n < 36,500,000."""
    born = date(1930, 1, 1) + timedelta(days=n // 1000)
    body = f"{COUNTY}{born:%Y%m%d}{n % 1000:03d}"
    return body + resident_id_check_digit(body)


def town(n: int) -> str:
    return f"{COUNTY}{1 + n % 20:03d}000"


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def seed(url: str, count: int, key: bytes) -> None:
    connection = await asyncpg.connect(plain(url))
    try:
        refs = [person_ref(ResidentId(resident_id(n)), key).ref for n in range(count)]
        households = [uuid.UUID(int=n + 1) for n in range(count)]
        await connection.copy_records_to_table(
            "monitored_person", records=zip(refs, households, strict=True), columns=["person_ref", "household_id"]
        )
        opened = date(2026, 6, 1)
        await connection.copy_records_to_table(
            "monitored_case",
            records=(
                (uuid.UUID(int=n + 10**9), h, "dibao", COUNTY, town(n), refs[n], None, True, opened)
                for n, h in enumerate(households)
            ),
            columns=[
                "case_id",
                "household_id",
                "category",
                "region_code",
                "town_code",
                "payee_ref",
                "support_mode",
                "active",
                "opened_on",
            ],
        )
        await connection.execute("analyze")
    finally:
        await connection.close()


def death_list(count: int, listed: int) -> tuple[bytes, list[int]]:
    """The CSV and the person numbers on it: every MATCH_SHARE-th a register person."""
    people = [n if n % MATCH_SHARE == 0 else count + n for n in range(listed)]
    lines = ["resident_id,name,occurred_on"] + [f"{resident_id(n)},某某,2026-11-{1 + n % 28:02d}" for n in people]
    return ("\n".join(lines) + "\n").encode(), people


async def baseline(url: str, refs: list[str]) -> tuple[float, int]:
    connection = await asyncpg.connect(plain(url))
    try:
        started = time.perf_counter()
        async with connection.transaction():
            await connection.execute("create temporary table listed (person_ref varchar(60)) on commit drop")
            await connection.copy_records_to_table("listed", records=((r,) for r in refs))
            await connection.execute("analyze listed")
            found = await connection.fetchval(
                "select count(*) from listed l join monitored_person p on p.person_ref = l.person_ref "
                "join monitored_case c on c.household_id = p.household_id where c.active"
            )
        return time.perf_counter() - started, int(found)
    finally:
        await connection.close()


async def main(args: argparse.Namespace) -> None:
    databases = ThrowawayDatabases.required()
    try:
        url = await databases.create("monitoring")
        await DEFINITION.migrate(url)
        settings = DEFINITION.settings_class(env="test", database_url=url, bus="inprocess", **test_pii_settings())
        key = settings.person_ref_secret()
        print(f"seeding a register of {args.count:,} people with active cases (COPY; not timed) …", flush=True)
        await seed(url, args.count, key)
        data, people = death_list(args.count, args.list)
        refs = [person_ref(ResidentId(resident_id(n)), key).ref for n in people]
        copy_join, found = await baseline(url, refs)
        print(f"1. baseline: COPY of {args.list:,} references + join:           {copy_join:6.2f} s ({found:,} found)")
        runtime = DEFINITION.open_runtime(settings)
        try:
            started = time.perf_counter()
            async with runtime.database.transaction() as session:
                result, _ = await service.import_death_list(
                    session,
                    RegionScope(AccessLevel.CITY),
                    data,
                    source="bench",
                    region_code=None,
                    by="bench",
                    person_ref_key=key,
                    now=lambda: datetime.now(UTC),
                )
            elapsed = time.perf_counter() - started
        finally:
            await runtime.close()
        print(
            f"2. the import of {args.list:,} rows ({len(data) / 1e6:.1f} MB CSV): {elapsed:6.2f} s — "
            f"{result.matched:,} matched, {result.alerts_raised:,} alerts, {result.rejected} rejected"
        )
        verdict = "met" if elapsed <= 10 else "NOT met"
        print(f"   ratio: {elapsed / copy_join:.2f}x the bare COPY + join; target ≤ 10 s: {verdict}")
    finally:
        await databases.drop_all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=int(os.environ.get("COUNT", 1_000_000)), help="Register size")
    parser.add_argument("--list", type=int, default=int(os.environ.get("LIST", 100_000)), help="Rows on the list")
    asyncio.run(main(parser.parse_args()))
