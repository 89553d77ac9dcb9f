"""Benchmark: a county's monthly payroll of COUNT active entitlements (default 1,000,000) →
payment instructions + the bank file, against a raw PostgreSQL COPY of the same rows, measured
in the same run; and the payroll's peak memory (RSS).

    make bench-payroll            # or: uv run python services/payment/bench/bench_payroll.py --count 1000000

Set-up, not timed: a throwaway PostgreSQL database (the local test server), migrated; COUNT
entitlements of one county with their versions and a confirmed bank account each (encrypted as
the service stores them), loaded with COPY, then vacuumed and analysed. `--history-months N`:
every version took effect N months before the run and those months are already paid by the
county's last run, the month before (the steady state of a county after N months; the
calculation still makes 2 × COUNT lines).

1. Baseline: COPY of COUNT instruction rows (the columns `payment_instruction` holds, values as
   the calculation makes them) into a scratch table shaped like it, with asyncpg.
2. The payroll, in a child process (its own peak RSS): `payroll.service.calculate` over the
   county (pages of PAGE entitlements, one transaction each, resumable, WORKERS at once),
   `mark_exported`, and the pain.001.001.09 file streamed from the database to a file (in parts
   by account, one per core: `bankfile_processes`; the helpers' peak RSS is printed too).

Both are measured REPEAT times (`--repeat`, default 3), a COPY then a payroll in each round (the
payroll's run and lines removed between rounds, not timed): the COPY alone swings by a quarter
from one minute to the next on a shared machine. Prints each round, the medians, `ratio:`
(median payroll ÷ median COPY) and the child's peak RSS. Not a test: nothing here asserts a
speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from jiuzhu_platform.pii import KeyRing, blind_index, encrypt, generate_key
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY, ThrowawayDatabases
from payment.accounts.adapters.orm import ACCOUNT_NUMBER, HOLDER_NAME_CONTEXT
from payment.main import DEFINITION
from payment.payroll import service
from shared.types import Period
from shared.types.bank_account import luhn_check_digit

COUNTY = "520102"
PERIOD = Period(2026, 12)


def plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def ring_settings() -> dict[str, object]:
    return {"pii_keys": {"b1": generate_key()}, "pii_active_key": "b1", "pii_index_key": generate_key()}


def first_month(history: int) -> str:
    """The month every version takes effect: HISTORY months before the run's."""
    months = PERIOD.year * 12 + PERIOD.month - 1 - history
    return f"{months // 12}-{months % 12 + 1:02d}"


async def seed(url: str, count: int, ring: KeyRing, history: int = 0) -> None:
    """COUNT entitlements, versions and confirmed accounts (COPY; not timed). With HISTORY
    months, every version took effect that many months before the run and those months are
    paid (an earlier run's lines, made in the database): a county's steady state."""
    since = first_month(history)
    now = datetime.now(UTC)
    changed = now - timedelta(days=30)
    connection = await asyncpg.connect(plain_url(url))
    try:
        cases = [uuid.UUID(int=n + 1) for n in range(count)]
        await connection.copy_records_to_table(
            "entitlement",
            records=(
                (
                    case,
                    uuid.UUID(int=n + 10**9),
                    COUNTY,
                    None,
                    "dibao",
                    f"pr1_bench{n:047d}"[:56],
                    "5201**********0000",
                    since,
                    None,
                    now,
                )
                for n, case in enumerate(cases)
            ),
            columns=[
                "case_id",
                "household_id",
                "county_code",
                "town_code",
                "category",
                "payee_ref",
                "payee_masked",
                "first_month",
                "entitled_until",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "entitlement_version",
            records=((case, since, json.dumps({"gap": 60000, "supplement": 12000})) for case in cases),
            columns=["case_id", "effective_from", "amounts"],
        )
        context = ACCOUNT_NUMBER.context

        def account(n: int) -> tuple[object, ...]:
            body = f"622202{n:012d}"
            number = body + luhn_check_digit(body)
            return (
                uuid.UUID(int=n + 2 * 10**9),
                f"pr1_bench{n:047d}"[:56],
                "5201**********0000",
                encrypt(ring, "基准", context=HOLDER_NAME_CONTEXT),
                encrypt(ring, number, context=context),
                blind_index(ring, number, kind="bank_account"),
                "6222 **** **** 0000",
                "工商银行",
                "102701000019",
                COUNTY,
                datetime(2026, 1, 1).date(),
                changed,
                "seed",
                "seed-2",
                changed,
            )

        await connection.copy_records_to_table(
            "payee_account",
            records=(account(n) for n in range(count)),
            columns=[
                "account_id",
                "payee_ref",
                "payee_masked",
                "holder_name",
                "account_number",
                "account_number_bidx",
                "account_masked",
                "bank_name",
                "bank_code",
                "county_code",
                "effective_from",
                "changed_at",
                "changed_by",
                "confirmed_by",
                "confirmed_at",
            ],
        )
        if history:
            # The county's last run (the month before this one) was calculated, paid and settled.
            last_run = uuid.uuid4()
            await connection.execute(
                "insert into payroll_run (id, period, county_code, status, created_at, correlation_id, "
                "calculated_by, calculated_at, approved_by, approved_at, exported_at, settled_at) "
                "values ($1, $2, $3, 'settled', $4, 'bench', 'bench-a', $4, 'bench-b', $4, $4, $4)",
                last_run,
                first_month(1),
                COUNTY,
                now,
            )
            await connection.execute(
                """
                insert into payment_instruction (
                    instruction_id, run_id, county_code, case_id, household_id, payee_ref, payee_masked, period,
                    component, programme, amount_fen, attempt, arrears, status, account_id, updated_at)
                select md5(e.case_id::text || m.month || c.component)::uuid, $1, e.county_code, e.case_id,
                       e.household_id, e.payee_ref, e.payee_masked, m.month, c.component, 'dibao', c.fen, 0, 0,
                       'paid', null, now()
                from entitlement e
                cross join (
                    select to_char(g, 'YYYY-MM') as month
                    from generate_series(to_date($2, 'YYYY-MM'), to_date($3, 'YYYY-MM'), interval '1 month') g
                ) m
                cross join (values ('gap', 60000), ('supplement', 12000)) c(component, fen)
                """,
                last_run,
                since,
                first_month(1),
            )
        # Vacuumed and analysed before anything is timed: otherwise autovacuum visits the
        # freshly loaded tables during the COPY or the payroll, whichever it happens to meet.
        await connection.execute("vacuum (analyze)")
    finally:
        await connection.close()


async def baseline(url: str, count: int) -> float:
    """COPY of COUNT instruction rows into a table shaped like `payment_instruction`."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        await connection.execute("create table bench_copy (like payment_instruction including all)")
        run_id, now = uuid.uuid4(), datetime.now(UTC)
        columns = [
            "instruction_id",
            "run_id",
            "county_code",
            "case_id",
            "grant_id",
            "household_id",
            "payee_ref",
            "payee_masked",
            "period",
            "component",
            "programme",
            "amount_fen",
            "attempt",
            "arrears",
            "status",
            "hold_reason",
            "account_id",
            "failure_reason",
            "bank_reference",
            "settled_on",
            "updated_at",
        ]
        rows = (
            (
                uuid.uuid4(),
                run_id,
                COUNTY,
                uuid.UUID(int=n // 2 + 1),
                None,
                uuid.UUID(int=n // 2 + 10**9),
                f"pr1_bench{n // 2:047d}"[:56],
                "5201**********0000",
                "2026-12",
                ("gap", "supplement")[n % 2],
                "dibao",
                (60000, 12000)[n % 2],
                0,
                0,
                "pending",
                None,
                uuid.UUID(int=n // 2 + 2 * 10**9),
                None,
                None,
                None,
                now,
            )
            for n in range(count)
        )
        started = time.perf_counter()
        await connection.copy_records_to_table("bench_copy", records=rows, columns=columns)
        seconds = time.perf_counter() - started
        # Gone before the payroll is timed: otherwise autovacuum visits the two million rows
        # just loaded (and the checkpointer writes them out) while the payroll runs, on the
        # same cores: time that is the baseline's (a 1M calculation took 38.5 s with it, 32.8 s without).
        await connection.execute("drop table bench_copy")
        return seconds
    finally:
        await connection.close()


async def payroll(settings: dict[str, object]) -> dict[str, float]:
    """The timed part, in the child process."""
    from jiuzhu_platform.auth import AccessLevel, RegionScope
    from payment.adapters.repository import PayrollRunRepository
    from payment.domain.commands import OpenPayrollRun
    from payment.payroll.bankfile import FileProcesses, write_batch
    from payment.service import open_payroll_run
    from payment.settings import DEV_DEBTOR

    runtime = DEFINITION.open_runtime(DEFINITION.settings_class(**settings))
    scope = RegionScope(AccessLevel.COUNTY, region_code=COUNTY)
    try:
        async with runtime.database.transaction() as session:
            run = await open_payroll_run(session, scope, OpenPayrollRun(PERIOD, COUNTY, "bench"), now=runtime.now)
        started = time.perf_counter()
        page_ends: list[float] = []
        totals = await service.calculate(
            runtime.database,
            scope,
            run.id,
            "bench-a",
            service.PayrollDeps(
                now=runtime.now,
                page=int(os.environ.get("PAGE", str(service.PAGE))),
                workers=int(os.environ.get("WORKERS", str(service.WORKERS))),
                on_page=lambda _: page_ends.append(time.perf_counter()),
            ),
        )
        calculated = time.perf_counter() - started
        async with runtime.database.transaction() as session:
            stored = await PayrollRunRepository(session).get(run.id)
            assert stored is not None
            stored.status = stored.status.__class__("approved")
            await PayrollRunRepository(session).save(stored)
        async with runtime.database.transaction() as session:
            run = await service.mark_exported(session, scope, run.id, runtime.now())
        exported = time.perf_counter()
        out = await write_batch(
            runtime.database,
            run,
            DEV_DEBTOR,
            "pain001",
            now=runtime.now(),
            processes=FileProcesses.of(runtime.settings),
        )
        size = out.seek(0, os.SEEK_END)
        out.close()
        finished = time.perf_counter()
        return {
            "count": totals.count,
            "calculate": calculated,
            "export": exported - started - calculated,
            "file": finished - exported,
            "file_bytes": size,
            "total": finished - started,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "helper_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "pages": [b - a for a, b in zip([started, *page_ends], page_ends, strict=False)],
        }
    finally:
        await runtime.close()


async def reset(url: str) -> None:
    """The run the payroll made, and its lines, gone (not timed): the next round calculates the
    same county from the same state (an earlier month's paid lines, `--history-months`, stay)."""
    connection = await asyncpg.connect(plain_url(url))
    try:
        runs = [r["id"] for r in await connection.fetch("select id from payroll_run where period = $1", str(PERIOD))]
        await connection.execute("delete from payment_instruction where run_id = any($1::uuid[])", runs)
        await connection.execute("delete from payroll_run where id = any($1::uuid[])", runs)
        await connection.execute("vacuum (analyze)")
    finally:
        await connection.close()


def run_payroll(settings: dict[str, object], args: argparse.Namespace) -> dict[str, Any]:
    """The timed payroll, in a child process (its own peak RSS)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(settings, handle)
    try:
        child = subprocess.run(  # noqa: S603 (this file, bounded)
            [sys.executable, __file__, "--child", handle.name],
            capture_output=True,
            timeout=3600,
            check=False,
            env=os.environ | {"PAGE": str(args.page), "WORKERS": str(args.workers)},
        )
    finally:
        os.unlink(handle.name)
    if child.returncode != 0:
        raise SystemExit(f"the payroll process failed:\n{child.stderr.decode()[-4000:]}")
    return dict(json.loads(child.stdout.decode().strip().splitlines()[-1]))


async def main(args: argparse.Namespace) -> None:
    databases = ThrowawayDatabases.required()
    try:
        url = await databases.create("payment")
        await DEFINITION.migrate(url)
        ring_values = ring_settings()
        settings = DEFINITION.settings_class(
            env="test", database_url=url, bus="inprocess", person_ref_key=TEST_PERSON_REF_KEY, **ring_values
        )
        ring = settings.pii_key_ring()
        assert ring is not None
        paid = f", {args.history_months} months each already paid" if args.history_months else ""
        print(f"seeding {args.count:,} entitlements, versions and accounts{paid} (not timed) …", flush=True)
        await seed(url, args.count, ring, args.history_months)
        child_settings = {
            "env": "test",
            "database_url": url,
            "bus": "inprocess",
            "person_ref_key": TEST_PERSON_REF_KEY,
            **{k: (v if not isinstance(v, dict) else {kk: vv for kk, vv in v.items()}) for k, v in ring_values.items()},
        }
        copies: list[float] = []
        results: list[dict[str, Any]] = []
        for round_ in range(1, args.repeat + 1):
            if round_ > 1:
                await reset(url)
            copies.append(await baseline(url, args.count * 2))
            results.append(await asyncio.to_thread(run_payroll, child_settings, args))
            result = results[-1]
            print(
                f"round {round_}/{args.repeat}: 1. COPY of {args.count * 2:,} instruction rows {copies[-1]:.1f} s; "
                f"2. the payroll → {result['count']:,} instructions: calculate {result['calculate']:.1f} s, "
                f"export {result['export']:.1f} s, pain.001 {result['file']:.1f} s "
                f"({result['file_bytes'] / 1e6:.0f} MB), total {result['total']:.1f} s "
                f"({result['total'] / copies[-1]:.2f}x)",
                flush=True,
            )
        copy_seconds = statistics.median(copies)
        total = statistics.median(r["total"] for r in results)
        of = f"the median of {args.repeat} rounds" if args.repeat > 1 else "one round"
        print(f"1. baseline: COPY of {args.count * 2:,} instruction rows: {copy_seconds:8.1f} s ({of})")
        print(
            f"2. the payroll of {args.count:,} entitlements → {results[0]['count']:,} instructions: "
            + ", ".join(
                f"{name} {statistics.median(r[key] for r in results):.1f} s"
                for name, key in (("calculate", "calculate"), ("export", "export"), ("pain.001", "file"))
            )
            + f"; total {total:.1f} s ({of})"
        )
        print(
            f"   peak RSS of the payroll process: {max(r['rss_mb'] for r in results):.0f} MB; "
            f"of a bank-file helper process: {max(r['helper_rss_mb'] for r in results):.0f} MB"
        )
        pages = results[-1]["pages"]
        if len(pages) >= 10:
            tenth = len(pages) // 10
            first, last = sum(pages[:tenth]) / tenth, sum(pages[-tenth:]) / tenth
            print(
                f"   calculation pages: {len(pages)}; the first tenth {first * 1000:.0f} ms a page, the last "
                f"{last * 1000:.0f} ms ({last / first:.1f}x: above ~1.5x the calculation is not linear)"
            )
        print(f"   ratio: {total / copy_seconds:.2f}x the COPY of the same rows (medians)")
    finally:
        await databases.drop_all()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        values = json.loads(Path(sys.argv[2]).read_text())
        if profile := os.environ.get("BENCH_PROFILE"):  # a cProfile of the timed child, to this path
            import cProfile

            with cProfile.Profile() as profiler:
                outcome = asyncio.run(payroll(values))
            profiler.dump_stats(profile)
            print(json.dumps(outcome))
            sys.exit(0)
        print(json.dumps(asyncio.run(payroll(values))))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=int(os.environ.get("COUNT", 1_000_000)))
    parser.add_argument(
        "--page", type=int, default=service.PAGE, help="Entitlements per calculation page (the service's default)"
    )
    parser.add_argument(
        "--workers", type=int, default=service.WORKERS, help="Calculation pages made at once (connections)"
    )
    parser.add_argument(
        "--history-months",
        type=int,
        default=0,
        help="Months every case has been paid before this run (0: every version starts this month)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=int(os.environ.get("REPEAT", 3)),
        help="Rounds of COPY then payroll (the machine is noisy: medians are printed)",
    )
    asyncio.run(main(parser.parse_args()))
