"""The payroll's two calculations agree (PostgreSQL): the set-based one (`CALCULATE_PAGE`, the
rules written as SQL, what PostgreSQL runs) and the pure-rule one (`due_for_case` and
`hold_reason` in Python, what SQLite runs) make the same instructions, field for field, from the
same random ledger: versions changing the amounts (suspensions to 0 included), terminations,
backdated approvals (arrears), two categories and the price subsidy's own programme, lines of an
earlier run paid, failed, cancelled or still held, payees with no account, an account changed
recently without a second approval, a confirmed one, or reported dead; over two runs, the second
calculated twice. What happens between the calculations goes through the code that does it
(cancellations, bank results, the consumers' ledger changes), which marks what the set-based
calculation must look at again (it looks only at the months after the last calculated one and
at those marks); the pure rules look at every month. Each seed is one ledger; a difference
names the line."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, update

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.definition import Runtime
from jiuzhu_platform.pii import blind_index, encrypt
from jiuzhu_platform.testing import ThrowawayDatabases, test_pii_settings
from payment.accounts.adapters.orm import ACCOUNT_NUMBER, HOLDER_NAME_CONTEXT
from payment.adapters.orm import payroll_run
from payment.domain.commands import OpenPayrollRun
from payment.ledger.adapters.orm import entitlement
from payment.ledger.adapters.repository import LedgerRepository
from payment.ledger.domain.model import Version
from payment.main import DEFINITION
from payment.payroll import service
from payment.payroll.adapters.orm import instruction
from payment.payroll.adapters.repository import InstructionRepository
from payment.payroll.domain.rules import ACCOUNT_COOLING_DAYS
from payment.service import open_payroll_run
from shared.types import Period
from shared.types.bank_account import luhn_check_digit

pytestmark = pytest.mark.integration

COUNTY = "520102"
SCOPE = RegionScope(AccessLevel.COUNTY, region_code=COUNTY)
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
MONTHS = [str(Period(2026, m)) for m in range(1, 13)]
FIRST_RUN, SECOND_RUN = Period(2026, 8), Period(2026, 12)
CASES = 60
COOLING = timedelta(days=ACCOUNT_COOLING_DAYS)
COLUMNS = (
    "instruction_id, case_id, period, component, programme, amount_fen, attempt, arrears, status, "
    "hold_reason, account_id, household_id, payee_ref, payee_masked, county_code"
)


@pytest.fixture
async def database() -> AsyncIterator[tuple[Runtime, str]]:
    databases = ThrowawayDatabases.required()
    try:
        url = await databases.create("payment")
        await DEFINITION.migrate(url)
        settings = DEFINITION.settings_class(env="test", database_url=url, bus="inprocess", **test_pii_settings())
        runtime = DEFINITION.open_runtime(settings)
        try:
            yield runtime, url.replace("postgresql+asyncpg://", "postgresql://")
        finally:
            await runtime.close()
    finally:
        await databases.drop_all()


async def seed_ledger(connection: asyncpg.Connection, runtime: Runtime, rng: random.Random) -> None:
    """CASES entitlements of random histories, and their payees' accounts and deaths."""
    ring = runtime.settings.pii_key_ring()  # type: ignore[attr-defined]
    for n in range(CASES):
        case_id, payee = uuid.UUID(int=rng.getrandbits(128)), f"pr1_eq{n:050d}"
        first = rng.randrange(0, 12)
        starts = sorted({first, *rng.choices(range(first, 12), k=rng.randrange(0, 3))})
        until = rng.choice([None, None, MONTHS[rng.randrange(first, 12)]])
        await connection.execute(
            "insert into entitlement (case_id, household_id, county_code, town_code, category, payee_ref, "
            "payee_masked, first_month, entitled_until, updated_at) values ($1, $2, $3, null, $4, $5, $6, $7, $8, $9)",
            case_id,
            uuid.UUID(int=rng.getrandbits(128)),
            COUNTY,
            rng.choice(["dibao", "tekun"]),
            payee,
            "5201**********0000",
            MONTHS[first],
            until,
            NOW,
        )
        for start in starts:
            amounts = {
                c: rng.choice([0, rng.randrange(1, 90_000)])
                for c in rng.sample(["gap", "supplement", "price_subsidy", "care"], rng.randrange(1, 4))
            }
            await connection.execute(
                "insert into entitlement_version (case_id, effective_from, amounts) values ($1, $2, $3)",
                case_id,
                MONTHS[start],
                json.dumps(amounts),
            )
        kind = rng.choice(["none", "confirmed", "confirmed", "recent", "old", "future", "two", "cooling", "cooled"])
        accounts: list[tuple[date, datetime, str | None]] = {
            "none": [],
            "confirmed": [(date(2026, 1, 1), NOW - timedelta(days=2), "officer")],
            "recent": [(date(2026, 1, 1), NOW - timedelta(days=2), None)],
            "old": [(date(2026, 1, 1), NOW - timedelta(days=40), None)],
            "cooling": [(date(2026, 1, 1), NOW - COOLING + timedelta(minutes=1), None)],
            "cooled": [(date(2026, 1, 1), NOW - COOLING - timedelta(minutes=1), None)],
            "future": [(date(2027, 1, 1), NOW - timedelta(days=40), "officer")],
            "two": [
                (date(2026, 1, 1), NOW - timedelta(days=90), "officer"),
                (date(2026, 11, 1), NOW - timedelta(days=1), None),
            ],
        }[kind]
        for k, (effective, changed, confirmed_by) in enumerate(accounts):
            number = f"622202{n:010d}{k:02d}"
            number += luhn_check_digit(number)
            await connection.execute(
                "insert into payee_account (account_id, payee_ref, payee_masked, holder_name, account_number, "
                "account_number_bidx, account_masked, bank_name, bank_code, county_code, effective_from, "
                "changed_at, changed_by, confirmed_by, confirmed_at) "
                "values ($1, $2, $3, $11, $4, $5, '6222 **** 0000', '工商银行', '102701000019', "
                "$6, $7, $8, 'cw', $9, $10)",
                uuid.UUID(int=rng.getrandbits(128)),
                payee,
                "5201**********0000",
                encrypt(ring, number, context=ACCOUNT_NUMBER.context),
                blind_index(ring, number, kind="bank_account"),
                COUNTY,
                effective,
                changed,
                confirmed_by,
                changed if confirmed_by else None,
                encrypt(ring, "王五", context=HOLDER_NAME_CONTEXT),
            )
        if rng.randrange(10) == 0:
            await connection.execute(
                "insert into deceased_person (person_ref, died_on, reported_at) values ($1, $2, $3)",
                payee,
                date(2026, 11, 20),
                NOW,
            )


async def settle_at_random(runtime: Runtime, rng: random.Random, run_id: uuid.UUID) -> None:
    """What happened to the first run's lines, through the code that does it (which marks the
    cases to look at again): each cancelled before the file, or, the run exported, paid or
    failed at the bank, or left as it is."""
    async with runtime.database.transaction() as session:
        instructions = InstructionRepository(session)
        ids = [r[0] for r in await session.execute(select(instruction.c.instruction_id).order_by("instruction_id"))]
        fates = {i: rng.choice(["paid", "paid", "failed", "cancelled", None]) for i in ids}
        await instructions.cancel([i for i, fate in fates.items() if fate == "cancelled"], NOW)
        await session.execute(
            update(payroll_run).where(payroll_run.c.id == run_id).values(status="exported", exported_at=NOW)
        )
        await instructions.settle(
            [
                {"b_id": i, "b_status": fate, "b_reason": None, "b_ref": "B", "b_on": NOW.date()}
                for i, fate in fates.items()
                if fate in ("paid", "failed")
            ],
            NOW,
        )


async def change_at_random(runtime: Runtime, rng: random.Random) -> None:
    """Ledger changes after the first run, as the consumers make them (`LedgerRepository.save`):
    a backdated change of the amounts (suspensions to 0 included), a termination, a case
    reinstated."""
    async with runtime.database.transaction() as session:
        ledger = LedgerRepository(session)
        case_ids = [r[0] for r in await session.execute(select(entitlement.c.case_id).order_by("case_id"))]
        for case_id in case_ids:
            change = rng.choice(["none", "none", "amounts", "terminated", "reinstated"])
            e = await ledger.get(case_id)
            assert e is not None
            if change == "amounts":
                start = Period.parse(MONTHS[rng.randrange(0, 12)])
                amounts = {c: rng.choice([0, rng.randrange(1, 90_000)]) for c in ("gap", "supplement")}
                e.versions = sorted(
                    [v for v in e.versions if v.effective_from != start] + [Version(start, amounts)],
                    key=lambda v: v.effective_from,
                )
            elif change == "terminated":
                e.entitled_until = Period.parse(MONTHS[rng.randrange(0, 12)])
            elif change == "reinstated":
                e.entitled_until = None
            else:
                continue
            await ledger.save(e, NOW)


async def cancel_at_random(runtime: Runtime, rng: random.Random, run_id: uuid.UUID) -> None:
    """Some of the second run's lines cancelled before its file: calculating again owes them anew."""
    async with runtime.database.transaction() as session:
        ids = [
            r[0]
            for r in await session.execute(
                select(instruction.c.instruction_id).where(instruction.c.run_id == run_id).order_by("instruction_id")
            )
        ]
        await InstructionRepository(session).cancel([i for i in ids if rng.randrange(4) == 0], NOW)


async def payroll_of(runtime: Runtime, dsn: str, seed: int) -> list[dict[str, Any]]:
    """Two runs over the seed's ledger (the second calculated twice, lines cancelled between):
    every line made."""
    rng = random.Random(seed)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "truncate payment_instruction, payroll_run, entitlement_version, entitlement, payee_account, "
            "deceased_person cascade"
        )
        await seed_ledger(connection, runtime, rng)
        deps = service.PayrollDeps(now=lambda: NOW, page=7)  # several pages, a short last one
        for period in (FIRST_RUN, SECOND_RUN):
            async with runtime.database.transaction() as session:
                run = await open_payroll_run(session, SCOPE, OpenPayrollRun(period, COUNTY, "cw"), now=lambda: NOW)
            await service.calculate(runtime.database, SCOPE, run.id, "officer", deps)
            if period == FIRST_RUN:
                await settle_at_random(runtime, rng, run.id)
                await change_at_random(runtime, rng)
        await cancel_at_random(runtime, rng, run.id)
        await service.calculate(runtime.database, SCOPE, run.id, "officer", deps)
        rows = await connection.fetch(f"select {COLUMNS} from payment_instruction order by instruction_id")
        return [dict(r) for r in rows]
    finally:
        await connection.close()


@pytest.mark.parametrize("seed", range(6))
async def test_set_based_and_pure_rule_calculations_make_the_same_lines(
    database: tuple[Runtime, str], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, dsn = database
    in_sql = await payroll_of(runtime, dsn, seed)
    monkeypatch.setattr(InstructionRepository, "set_based", property(lambda _: False))
    in_python = await payroll_of(runtime, dsn, seed)

    assert len(in_sql) > CASES  # the ledger really owes: arrears, two runs, several components
    assert {r["status"] for r in in_sql} >= {"pending", "held"}
    assert {r["hold_reason"] for r in in_sql} >= {None, "no_account", "account_recently_changed"}
    assert {r["attempt"] for r in in_sql} >= {0, 1}
    python_by_id = {r["instruction_id"]: r for r in in_python}
    for line in in_sql:
        assert python_by_id.get(line["instruction_id"]) == line, line
    assert len(in_sql) == len(in_python)
