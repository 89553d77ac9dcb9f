"""Payroll use cases: calculate a run (every entitlement of the county, streamed in pages, each
page its own transaction, so a crash leaves a resumable run and a second calculation adds only
what is still owed), approve it (four-eyes, budget), export it, import the bank's results
(once per file), and what a termination or a death does to instructions not yet paid.

The calculation is an edge (its own transactions); the other use cases never commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.db import Database
from jiuzhu_platform.outbox import add_events
from jiuzhu_platform.settings import ServiceSettings
from payment.accounts.adapters.repository import AccountRepository
from payment.adapters.orm import outbox
from payment.adapters.repository import PayrollRunRepository
from payment.domain.errors import PayrollRunNotFound
from payment.domain.model import PayrollRun, PayrollRunStatus
from payment.funds.adapters.repository import BudgetRepository
from payment.ledger.adapters.repository import LedgerRepository
from payment.ledger.domain import rules as ledger_rules
from payment.ledger.domain.rules import Due
from payment.payroll.adapters.repository import InstructionRepository, PageRaced
from payment.payroll.domain import rules
from payment.payroll.domain.model import BankResult, InstructionStatus, RunTotals
from payment.settings import Settings
from shared.events import PaymentFailed, PaymentFailedData, PaymentSettled, PaymentSettledData
from shared.events.base import Event
from shared.types import business_date, from_fen

PAGE = 10_000
"""Entitlements per page (and transaction) of a calculation: what a page costs besides its lines
(planning, its transaction, finding its bounds) is a few per cent of a page of 5,000, and
halved at 10,000 (a county of a million: 24.6 s at 5,000 a page, 23.9 s at 10,000 or 20,000)."""
WORKERS = 2
"""Pages a calculation on PostgreSQL makes at once, each on its own connection."""


@dataclass(frozen=True, slots=True)
class PayrollDeps:
    now: Callable[[], datetime]
    page: int = PAGE
    on_page: Callable[[int], None] | None = None
    """Told how many entitlements each committed page held (the command line's progress bar)."""
    workers: int = WORKERS
    """Pages made at once on PostgreSQL (SQLite, one writer, makes them one after another)."""

    @classmethod
    def of(cls, settings: ServiceSettings, now: Callable[[], datetime], **more: Any) -> PayrollDeps:
        """The deps the service's settings give (page size, workers)."""
        if isinstance(settings, Settings):
            more = {"page": settings.payroll_page_size, "workers": settings.payroll_workers} | more
        return cls(now=now, **more)


async def get_run(session: AsyncSession, scope: RegionScope, run_id: UUID, *, for_update: bool = False) -> PayrollRun:
    run = await PayrollRunRepository(session).get(run_id, for_update=for_update)
    if run is None:
        raise PayrollRunNotFound(run_id)
    scope.require(region_code=run.county_code)
    return run


def _row(
    due: Due, run: PayrollRun, status: InstructionStatus, hold: str | None, account: UUID | None, now: datetime
) -> dict[str, Any]:
    return {
        "instruction_id": due.instruction_id,
        "run_id": run.id,
        "county_code": run.county_code,
        "case_id": due.case_id,
        "grant_id": due.grant_id,
        "household_id": due.household_id,
        "payee_ref": due.payee_ref,
        "payee_masked": due.payee_masked,
        "period": str(due.period),
        "component": due.component,
        "programme": due.programme.value,
        "amount_fen": due.amount_fen,
        "attempt": due.attempt,
        "arrears": int(due.arrears),
        "status": status.value,
        "hold_reason": hold,
        "account_id": account,
        "failure_reason": None,
        "bank_reference": None,
        "settled_on": None,
        "updated_at": now,
    }


async def _judge(session: AsyncSession, run: PayrollRun, dues: list[Due], now: datetime) -> list[dict[str, Any]]:
    """The rows of `dues`, each pending or held with the reason (no account, dead, an account
    changed too recently without a second approval)."""
    refs = {d.payee_ref for d in dues}
    deceased = await LedgerRepository(session).deceased_among(refs)
    accounts = await AccountRepository(session).hold_states(refs, business_date(now))
    rows = []
    for due in dues:
        account = accounts.get(due.payee_ref)
        state = None if account is None else rules.AccountState(account[1], account[2])
        hold = rules.hold_reason(deceased=due.payee_ref in deceased, account=state, at=now)
        status = InstructionStatus.HELD if hold else InstructionStatus.PENDING
        rows.append(_row(due, run, status, hold.value if hold else None, account[0] if account else None, now))
    return rows


async def calculate(database: Database, scope: RegionScope, run_id: UUID, by: str, deps: PayrollDeps) -> RunTotals:
    """计算: every entitlement and bank grant of the county owed through the run's month and
    not yet paid or on its way becomes an instruction (arrears included); the run's lines from
    an earlier (or interrupted) calculation are judged again first. Resumable: a crash leaves
    the run `calculating` and the pages done committed; calculating again adds exactly what is
    missing. On PostgreSQL the database makes each page's lines (set-based, see
    `InstructionRepository.calculate_range`), `deps.workers` pages at once; elsewhere the pure
    rules do, line by line."""
    async with database.transaction() as session:
        run = await get_run(session, scope, run_id, for_update=True)
        rules.start_calculation(run, by)
        runs = PayrollRunRepository(session)
        await runs.save(run)
        set_based = InstructionRepository(session).set_based
        through = await runs.calculated_through(run.county_code, run.period)
        lines_through = (
            await InstructionRepository(session).lines_through(run.id, run.county_code) if set_based else None
        )
    await _rejudge_holds(database, run, deps.now(), set_based=set_based)
    if set_based:
        await _calculate_in_database(database, run, deps, through, lines_through)
    else:
        after: UUID | None = None
        while True:
            async with database.transaction() as session:
                done, after = await _calculate_page(session, run, after, deps)
            if not done:
                break
            if deps.on_page is not None:
                deps.on_page(done)
    async with database.transaction() as session:
        ledger, instructions = LedgerRepository(session), InstructionRepository(session)
        grants = await ledger.bank_grants(run.county_code, run.period)
        live, attempts = await instructions.keys_of(grant_ids=[g.grant_id for g in grants])
        dues = [
            ledger_rules.due_for_grant(g, sum(attempts.get(g.grant_id, {}).values()))
            for g in grants
            if not live.get(g.grant_id)
        ]
        now = deps.now()
        await instructions.add_many(await _judge(session, run, dues, now))
    async with database.transaction() as session:
        await InstructionRepository(session).refresh_statistics()
    async with database.transaction() as session:
        instructions = InstructionRepository(session)
        run = await get_run(session, scope, run_id, for_update=True)
        rules.finish_calculation(run, now)
        await PayrollRunRepository(session).save(run)
        return await instructions.totals(run.id)


COOLING = timedelta(days=rules.ACCOUNT_COOLING_DAYS)


async def _calculate_in_database(
    database: Database, run: PayrollRun, deps: PayrollDeps, through: str | None, lines_through: str | None
) -> None:
    """The county's pages calculated by the database, `deps.workers` at once: one task finds
    the pages' bounds (an index-only walk of the case ids), each worker calculates a page in a
    transaction of its own. Pages hold disjoint cases, so no two write the same line or wait on
    each other; each page is all or nothing, so a crash at any point leaves whole pages and a
    calculation again adds exactly what is missing. The first failure stops every worker and is
    raised as it is. `through`: the county's last calculated month (the months after it are
    looked at, and what changed since; see `CALCULATE_PAGE`); `lines_through`: the latest month
    whose lines already there are looked up (`InstructionRepository.lines_through`)."""
    workers = max(1, deps.workers)
    pages: asyncio.Queue[tuple[UUID | None, UUID, int] | None] = asyncio.Queue(maxsize=workers)

    async def plan() -> None:
        after: UUID | None = None
        while True:
            async with database.transaction() as session:
                count, last = await InstructionRepository(session).page_bounds(run.county_code, after, deps.page)
            if last is None:
                break
            await pages.put((after, last, count))
            after = last
        for _ in range(workers):
            await pages.put(None)

    async def calculate_page(after: UUID | None, last: UUID, *, beside_another: bool) -> None:
        async with database.transaction() as session:
            now = deps.now()
            await InstructionRepository(session).calculate_range(
                run.id,
                run.county_code,
                str(run.period),
                after,
                last,
                now,
                business_date(now),
                COOLING,
                through,
                lines_through,
                beside_another=beside_another,
            )

    async def work() -> None:
        while (page := await pages.get()) is not None:
            after, last, count = page
            try:
                await calculate_page(after, last, beside_another=False)
            except PageRaced:
                # One of the page's lines was there all the same: the run is being calculated
                # twice at once and the other calculation wrote it first, or a month after
                # `lines_through` has one (a case moved from another county): the page again,
                # looking up every month and leaving alone what was written meanwhile.
                await calculate_page(after, last, beside_another=True)
            if deps.on_page is not None:
                deps.on_page(count)

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(plan())
            for _ in range(workers):
                group.create_task(work())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from failed


async def _calculate_page(
    session: AsyncSession, run: PayrollRun, after: UUID | None, deps: PayrollDeps
) -> tuple[int, UUID | None]:
    """One page of entitlements through the pure rules: (how many, the last case id)."""
    ledger, instructions = LedgerRepository(session), InstructionRepository(session)
    page = await ledger.page(run.county_code, after, deps.page)
    if not page:
        return 0, None
    live, attempts = await instructions.keys_of(case_ids=[e.case_id for e in page])
    dues = [
        d
        for e in page
        for d in ledger_rules.due_for_case(e, run.period, live.get(e.case_id, {}), attempts.get(e.case_id, {}))
    ]
    await instructions.add_many(await _judge(session, run, dues, deps.now()))
    return len(page), page[-1].case_id


async def _rejudge_holds(database: Database, run: PayrollRun, now: datetime, *, set_based: bool) -> None:
    """Held lines whose reason is gone become pending; pending ones with a new reason are held
    (in one statement on PostgreSQL; elsewhere page by page, each its own transaction)."""
    if set_based:
        async with database.transaction() as session:
            await InstructionRepository(session).rejudge_open(run.id, now, business_date(now), COOLING)
        return
    after: UUID | None = None
    while True:
        async with database.transaction() as session:
            instructions = InstructionRepository(session)
            page = await instructions.open_of_run(run.id, after=after)
            if not page:
                return
            refs = {r["payee_ref"] for r in page}
            deceased = await LedgerRepository(session).deceased_among(refs)
            accounts = await AccountRepository(session).hold_states(refs, business_date(now))
            changes = []
            for r in page:
                account = accounts.get(r["payee_ref"])
                state = None if account is None else rules.AccountState(account[1], account[2])
                hold = rules.hold_reason(deceased=r["payee_ref"] in deceased, account=state, at=now)
                status = InstructionStatus.HELD if hold else InstructionStatus.PENDING
                if status.value != r["status"] or (hold.value if hold else None) != r["hold_reason"]:
                    changes.append(
                        (
                            r["instruction_id"],
                            status.value,
                            hold.value if hold else None,
                            account[0] if account else None,
                        )
                    )
            await instructions.set_holds(changes, now)
        after = page[-1]["instruction_id"]


async def approve(
    session: AsyncSession, scope: RegionScope, run_id: UUID, by: str, override: str | None, now: datetime
) -> tuple[PayrollRun, RunTotals]:
    """审核: four-eyes and the budget of each programme for the county's year."""
    run = await get_run(session, scope, run_id, for_update=True)
    instructions = InstructionRepository(session)
    totals = await instructions.totals(run.id)
    runs = PayrollRunRepository(session)
    approved_before = [
        r.id
        for r in await runs.of_county_year(run.county_code, run.period.year)
        if r.approved_at is not None and r.id != run.id
    ]
    budgets = await BudgetRepository(session).of(run.county_code, run.period.year)
    rules.approve(
        run,
        by,
        now,
        budgets=budgets,
        committed=await instructions.committed(approved_before),
        this_run={p: fen for p, fen in totals.by_programme.items()},
        override=override,
    )
    await runs.save(run)
    return run, totals


async def mark_exported(session: AsyncSession, scope: RegionScope, run_id: UUID, now: datetime) -> PayrollRun:
    """导出: the approved run's pending lines go to the bank. The run's mark stands for its lines
    (`rules.status_in_run`): one row is written, whatever the size of the county. Its held lines
    stay behind: each is cancelled (its hold reason kept) and its case marked, so the next run
    owes the month again and judges it afresh (paid as arrears once the reason is gone)."""
    run = await get_run(session, scope, run_id, for_update=True)
    approved = run.status is PayrollRunStatus.APPROVED
    rules.export(run, now)
    await PayrollRunRepository(session).save(run)
    if approved:
        await InstructionRepository(session).carry_over_held(run.id, now)
    return run


@dataclass(frozen=True, slots=True)
class ImportSummary:
    file_id: UUID
    duplicate: bool
    results: int
    paid: int
    failed: int
    ignored: int
    """Results for instructions not exported in this run, or already settled (the first counts)."""


async def apply_results(
    session: AsyncSession,
    run: PayrollRun,
    results: Iterable[BankResult],
    *,
    now: datetime,
    correlation_id: str,
) -> tuple[int, int, int, list[dict[str, Any]]]:
    """Apply results to exported instructions of `run`: (paid, failed, ignored, the paid rows)
    and the events in the outbox. The same result twice changes nothing."""
    instructions = InstructionRepository(session)
    results = list(results)
    current = await instructions.by_ids([r.instruction_id for r in results])
    changes, events, paid_rows = [], [], []
    paid = failed = ignored = 0
    for result in results:
        row = current.get(result.instruction_id)
        new = (
            None
            if row is None or row["run_id"] != run.id
            else rules.after_result(
                rules.status_in_run(InstructionStatus(row["status"]), run_exported=run.exported_at is not None), result
            )
        )
        if new is None:
            ignored += 1
            continue
        assert row is not None
        row["status"] = new.value  # a second result of the same file for it is ignored
        changes.append(
            {
                "b_id": result.instruction_id,
                "b_status": new.value,
                "b_reason": None if result.failure_reason is None else result.failure_reason.value,
                "b_ref": result.bank_reference[:100],
                "b_on": result.settled_on,
            }
        )
        events.append(_settled_event(row, result, correlation_id, now))
        if new is InstructionStatus.PAID:
            paid += 1
            paid_rows.append(row)
        else:
            failed += 1
    await instructions.settle(changes, now)
    await add_events(session, outbox, events, now=now)
    return paid, failed, ignored, paid_rows


def _settled_event(row: dict[str, Any], result: BankResult, correlation_id: str, now: datetime) -> Event:
    target = {
        "instruction_id": row["instruction_id"],
        "household_id": row["household_id"],
        "case_id": row["case_id"],
        "grant_id": row["grant_id"],
        "period": row["period"],
        "amount": from_fen(row["amount_fen"]),
    }
    subject = str(row["household_id"])
    if result.paid:
        return PaymentSettled.create(
            PaymentSettledData(**target, settled_on=result.settled_on),
            subject=subject,
            correlation_id=correlation_id,
            now=now,
        )
    assert result.failure_reason is not None
    return PaymentFailed.create(
        PaymentFailedData(**target, failed_on=result.settled_on, failure_reason=result.failure_reason),
        subject=subject,
        correlation_id=correlation_id,
        now=now,
    )
