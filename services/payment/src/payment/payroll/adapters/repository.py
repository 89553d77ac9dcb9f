"""Loading and storing payment instructions and bank result files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, and_, bindparam, case, exists, func, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import READ_ONLY_OPTION
from jiuzhu_platform.pii import decryptor, session_key_ring
from payment.accounts.adapters.orm import ACCOUNT_NUMBER, HOLDER_NAME_CONTEXT, payee_account
from payment.adapters.among import among
from payment.adapters.orm import payroll_run
from payment.ledger.adapters.orm import entitlement
from payment.ledger.domain.model import Programme
from payment.ledger.domain.rules import INSTRUCTION_NAMESPACE
from payment.payroll.adapters.orm import bank_result_file, instruction
from payment.payroll.domain.model import LIVE, HoldReason, InstructionStatus, RunTotals
from shared.events.eligibility import BenefitComponent, CaseCategory

COPY_FROM = 200
"""Pages of at least this many lines go in with COPY on PostgreSQL."""
SAMPLE_PAGES = 1000
"""How many pages of the instructions table `account_bounds` samples (some 30,000 lines)."""
ANALYZE_WAIT = "2s"
"""How long `refresh_statistics` waits for the table's statistics lock before it skips."""
LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE lock_not_available: a lock_timeout ran out
PAYING = (InstructionStatus.PENDING.value, InstructionStatus.EXPORTED.value, InstructionStatus.PAID.value)
SENT = (InstructionStatus.EXPORTED.value, InstructionStatus.PAID.value, InstructionStatus.FAILED.value)
"""The statuses of a line the bank was sent (besides pending in an exported run)."""


def run_exported(run_id: Any) -> ColumnElement[bool]:
    """Whether the run (an id, or a line's `run_id` column) has its bank file made."""
    return exists().where(payroll_run.c.id == run_id, payroll_run.c.exported_at.is_not(None))


def status_in_run(run_id: Any = instruction.c.run_id) -> ColumnElement[str]:
    """`rules.status_in_run` in SQL: a line's status, exported for one stored as pending in an
    exported run. Given a run's id (not the column) the run is looked up once per statement."""
    pending_sent = and_(instruction.c.status == InstructionStatus.PENDING.value, run_exported(run_id))
    return case((pending_sent, InstructionStatus.EXPORTED.value), else_=instruction.c.status)


def sent_to_bank(run_id: Any = instruction.c.run_id) -> ColumnElement[bool]:
    """The lines the bank was sent: exported (stored, or pending in an exported run), paid, failed."""
    return or_(
        instruction.c.status.in_(SENT),
        and_(instruction.c.status == InstructionStatus.PENDING.value, run_exported(run_id)),
    )


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


# The set-based calculation (PostgreSQL). The rules are the pure ones — `due_for_case` and
# `programme_of` (ledger), `hold_reason` (payroll) — written once more as SQL, so a county's
# lines are made inside the database instead of a round trip and a Python object per line;
# `services/payment/tests/test_calculation_equivalence.py` checks that both give the same
# instructions for random ledgers. SQLite (embedded mode) keeps the Python path.


def _uuid3(digest: str) -> str:
    """`uuid.uuid3` of an MD5 hex digest expression: the version (3) and variant bits set (two
    overlays: half the cost of cutting and joining the digest, per line of a million)."""
    return (
        f"overlay(overlay({digest} placing '3' from 13 for 1) placing "
        f"substr('89ab', (('x' || substr({digest}, 17, 1))::bit(4)::int & 3) + 1, 1) from 17 for 1)::uuid"
    )


def _month(text: str) -> str:
    """The number of the month `text` ('YYYY-MM') counted from year 0 (year × 12 + month - 1): a
    month's arithmetic in integers, not dates: `to_date` and `to_char` go through the formatting
    engine, some 5% of a calculation (2M page statements: 22.2-22.9 s with numbers, 22.9-23.1 with dates)."""
    return f"(substr({text}, 1, 4)::int * 12 + substr({text}, 6, 2)::int - 1)"


def _month_text(number: str) -> str:
    """The 'YYYY-MM' of a month's number (`_month`)."""
    return f"(lpad(({number} / 12)::text, 4, '0') || '-' || lpad(({number} % 12 + 1)::text, 2, '0'))"


def _account_in_force(ref: str, on: str) -> str:
    """`acct`: the payee's account in force on the date `on` (the newest change of the newest)."""
    return f"""
    left join lateral (
        select a.account_id, a.changed_at, a.confirmed_by
        from payee_account a
        where a.payee_ref = {ref} and a.effective_from <= {on}::date
        order by a.effective_from desc, a.changed_at desc
        limit 1
    ) acct on true"""  # noqa: S608 (this module's constants, no input)


def _hold_reason(ref: str, now: str, cooling: str) -> str:
    """`hold_reason` of a line of payee `ref` whose account in force is `acct`."""
    return f"""case
        when exists (select 1 from deceased_person dead where dead.person_ref = {ref})
            then '{HoldReason.PAYEE_DECEASED.value}'
        when acct.account_id is null then '{HoldReason.NO_ACCOUNT.value}'
        when acct.confirmed_by is null and {now}::timestamptz - acct.changed_at < {cooling}::interval
            then '{HoldReason.ACCOUNT_RECENTLY_CHANGED.value}'
    end"""  # noqa: S608 (this module's constants, no input)


_LIVE = ", ".join(f"'{s.value}'" for s in sorted(LIVE))
_OPEN = f"'{InstructionStatus.PENDING.value}', '{InstructionStatus.HELD.value}'"
_STATUS = (
    f"case when h.reason is null then '{InstructionStatus.PENDING.value}' else '{InstructionStatus.HELD.value}' end"
)

PAGE_PLAN = ("set local jit = off", "set local enable_seqscan = off")
"""How the page statements are planned: by their keys, through the indexes, whatever the
statistics say (the instructions table grows during a calculation, before it is analysed: a
sequential scan per line would be quadratic); and not compiled (JIT cost more than the run)."""

FILE_PLAN = (*PAGE_PLAN, "set local work_mem = '64MB'")
"""How the bank file's query is planned: the run's lines through its index, however many
months the table holds, and sorted by account in memory (a part of a million lines spilled to
disk with the default 4MB)."""

PAGE_BOUNDS = """
select count(*) over (), case_id from (
    select case_id from entitlement
    where county_code = $1 and ($2::uuid is null or case_id > $2::uuid)
    order by case_id limit $3
) page
order by case_id desc limit 1"""
"""(entitlements, the last case id) of the next page of a county after a case id."""

LINES_THROUGH = """
select greatest(
    (select max(period) from payroll_run where county_code = $2 and id <> $1),
    (select period from payroll_run where id = $1 and exists (select 1 from payment_instruction where run_id = $1))
)"""
"""The latest month a line of county $2's cases can be for, its run $1 aside unless it has lines."""
NO_MONTH = "0000-00"
"""Before every month: no line of any month is looked up."""

CALCULATE_PAGE = f"""
with page as materialized (
    select e.case_id, e.household_id, e.payee_ref, e.payee_masked, e.category, e.entitled_until,
           e.recheck_from, e.xmin as seen, acct.account_id, h.reason,
           case when $9::text is not null then least(
               {_month("$9::text")} + 1, coalesce({_month("e.recheck_from")}, {_month("$9::text")} + 1)
           ) end as look_from
    from entitlement e
    {_account_in_force("e.payee_ref", "$7")}
    cross join lateral (select {_hold_reason("e.payee_ref", "$6", "$8")} as reason) h
    where e.county_code = $1 and ($2::uuid is null or e.case_id > $2::uuid) and e.case_id <= $3::uuid
),
looked as (
    update entitlement e set recheck_from = null
    from page p
    where p.recheck_from is not null and e.case_id = p.case_id and e.xmin = p.seen
),
owed as (
    select p.*, m.month, c.key as component, c.value::bigint as fen
    from page p
    cross join lateral (
        select v.effective_from, v.amounts,
               lead(v.effective_from) over (order by v.effective_from) as next_from
        from entitlement_version v
        where v.case_id = p.case_id
    ) v
    cross join lateral (
        select {_month_text("n")} as month
        from generate_series(
            greatest({_month("v.effective_from")}, p.look_from),
            {_month("least($4::text, coalesce(p.entitled_until, $4::text))")}
        ) n
    ) m
    cross join lateral json_each_text(v.amounts) c
    where (v.next_from is null or m.month < v.next_from) and c.value::bigint > 0
),
due as (
    select o.*, o.fen - x.live as missing, x.attempts as attempt
    from owed o
    cross join lateral (
        select count(*)::int as attempts,
               coalesce(sum(i.amount_fen) filter (where i.status in ({_LIVE})), 0)::bigint as live
        from payment_instruction i
        where ($10::text is null or o.month <= $10::text)
          and i.case_id = o.case_id and i.period = o.month and i.component = o.component
    ) x
    where o.fen - x.live > 0
)
insert into payment_instruction (
    instruction_id, run_id, county_code, case_id, grant_id, household_id, payee_ref, payee_masked,
    period, component, programme, amount_fen, attempt, arrears, status, hold_reason, account_id,
    failure_reason, bank_reference, settled_on, updated_at
)
select
    {_uuid3("k.h")}, $5::uuid, $1, d.case_id, null, d.household_id, d.payee_ref, d.payee_masked,
    d.month, d.component,
    case
        when d.component = '{BenefitComponent.PRICE_SUBSIDY.value}' then '{Programme.PRICE_SUBSIDY.value}'
        when d.category = '{CaseCategory.TEKUN.value}' then '{Programme.TEKUN.value}'
        else '{Programme.DIBAO.value}'
    end,
    d.missing, d.attempt, (d.month < $4::text)::int,
    case when d.reason is null then '{InstructionStatus.PENDING.value}' else '{InstructionStatus.HELD.value}' end,
    d.reason, d.account_id, null, null, null, $6::timestamptz
from due d
cross join lateral (
    select md5(decode('{INSTRUCTION_NAMESPACE.hex}', 'hex') || convert_to(
        d.case_id::text || '|' || d.month || '|' || d.component || '|' || d.attempt, 'UTF8')) as h
) k
"""  # noqa: S608 (this module's constants, no input)
"""Every line the page of entitlements ($1 county, after $2 through $3) owes through the run's
period ($4) for run $5, judged at $6 (now) / $7 (business date) with the cooling period $8.
Only the months after $9 (the county's last calculated month: every case's months through it
have their lines) are looked at, and a case's months from its `recheck_from` (what changed
since: a save of the entitlement, a line cancelled or failed), which the page then clears,
unless the entitlement changed again meanwhile (its `xmin`); $9 null: every month.
A month's lines are looked up only through month $10 (null: every month): a later month has
none yet (see `InstructionRepository.lines_through`), and a line is not looked for (a lookup a
line: a tenth of a calculation); should one be there all the same, the page fails on its key
(the first line of a key has its id) and is made again looking up every month.
Every step is driven by the page's rows (lateral lookups by key), never a join back to the
page: the plan is linear in the page whatever the planner estimates (a join back planned as a
nested loop over a page estimated at one row compared 5,000 × 5,000 rows, five times slower
at a million entitlements than at a hundred thousand).

A page's lines are new by construction (a line's id is its key, and the page inserts only the
keys its look-ups did not find), so the insert has no `on conflict`: that clause costs every
line a second look into the primary key (about a tenth of a calculation). Only a second
calculation of the run at the same time can take a key between the look-up and the insert;
the page then fails on the key (`PageRaced`) and is made again as
`CALCULATE_PAGE_BESIDE_ANOTHER`."""

CALCULATE_PAGE_BESIDE_ANOTHER = CALCULATE_PAGE + "on conflict (instruction_id) do nothing\n"
"""`CALCULATE_PAGE` leaving alone the lines another calculation wrote meanwhile."""

UNIQUE_VIOLATION = "23505"  # SQLSTATE unique_violation


class PageRaced(Exception):
    """A calculation page found a line's key taken when it inserted it: another calculation
    of the run wrote the line after the page looked (the page's transaction is lost)."""


REJUDGE_OPEN = f"""
update payment_instruction i
set status = j.status, hold_reason = j.reason, account_id = j.account_id, updated_at = $2::timestamptz
from (
    select o.instruction_id, h.reason, {_STATUS} as status, acct.account_id
    from payment_instruction o
    {_account_in_force("o.payee_ref", "$3")}
    cross join lateral (select {_hold_reason("o.payee_ref", "$2", "$4")} as reason) h
    where o.run_id = $1::uuid and o.status in ({_OPEN})
) j
where i.instruction_id = j.instruction_id and (i.status <> j.status or i.hold_reason is distinct from j.reason)
"""  # noqa: S608 (this module's constants, no input)
"""The run's ($1) pending and held lines judged again at $2 (now) / $3 (business date), cooling $4."""


_IN_FILE = f"""run_id = $1 and (
        status in ({", ".join(f"'{s}'" for s in SENT)})
        or status = '{InstructionStatus.PENDING.value}'
           and exists (select 1 from payroll_run r where r.id = $1 and r.exported_at is not null)
    ) and ($2::uuid is null or account_id >= $2::uuid) and ($3::uuid is null or account_id < $3::uuid)"""  # noqa: S608 (constants)
"""The lines of run $1 its bank file holds (those of the accounts from $2 up to $3; null: no bound)."""

TRANSFER_ROWS = f"""
select i.instruction_id, i.amount_fen, i.period, i.component, a.holder_name, a.account_number, a.bank_name,
       a.bank_code
from (
    select instruction_id, amount_fen, period, component, account_id
    from payment_instruction
    where {_IN_FILE}
    order by account_id, instruction_id
) i
cross join lateral (select * from payee_account a where a.account_id = i.account_id) a
order by i.account_id, i.instruction_id"""  # noqa: S608 (this module's constants, no input)
"""The bank file's lines of run $1 (of the accounts from $2 up to $3; null: no bound) with
each one's account, in account order (a payee's lines
one after the other: their account is decrypted once) and by id within it. The run's lines are
sorted first, then each account is looked up by key: the planner never hashes a city's
accounts, and the lookups walk the account index in order."""

RUN_PLAN = (*FILE_PLAN, "set local enable_indexscan = off")
"""How a statement over every line of a run (its totals, the held lines its export cancels) is
planned: by a bitmap of the run's index, its pages read once each in the table's order. Left to
the statistics (and a server's low cost of a random read) the planner walked the run's index in
id order, a random read a line, or scanned the whole table: with three earlier months of a
county in the table, 4.4 s to cancel a run's held lines and 2.7 s for its totals, against 0.8
and 0.7 s by the bitmap."""
_RUN_SETTINGS = ("jit", "enable_seqscan", "work_mem", "enable_indexscan")
"""What `RUN_PLAN` sets (reset after the statement)."""

RENDER_PLAN = (*FILE_PLAN, "set local random_page_cost = 4")
"""How `PAYEE_LINES` is planned: as PostgreSQL's default cost of a random read has it (not the
1.1 of a server whose data sits in memory), a part of a run's lines is read by a bitmap scan of
its index, the pages in order (0.8 s for a million lines), rather than an index scan in id order
(a random read a line: 5.4 s), then sorted by account and merged with the accounts read in
order (0.2 s; a lookup an account: 0.8 s)."""

PAYEE_LINES = f"""
select a.holder_name, a.account_number, a.bank_name, a.bank_code, l.lines, l.fen, l.low, l.high,
       convert_to(l.rendered, 'UTF8')
from (
    select account_id, count(*) as lines, sum(amount_fen)::bigint as fen,
           min(amount_fen) as low, max(amount_fen) as high,
           string_agg(
               $4 || h || $5 || h || $6 || (amount_fen / 100) || '.' || lpad((amount_fen % 100)::text, 2, '0')
               || $7 || period || ' ' || coalesce(($10::text[])[array_position($9::text[], component::text)], $11)
               || $8,
               '' order by instruction_id
           ) as rendered
    from (
        select account_id, instruction_id, amount_fen, period, component,
               encode(uuid_send(instruction_id), 'hex') as h
        from payment_instruction
        where {_IN_FILE}
    ) i
    group by account_id
) l
cross join lateral (select * from payee_account a where a.account_id = l.account_id) a
order by l.account_id"""  # noqa: S608 (this module's constants, no input)
"""The bank file's lines of run $1 (of the accounts from $2 up to $3; null: no bound) rendered by
the database, a row per account in account order: the account (sealed), how many lines, their
fen, the smallest and largest amount, and the lines (by id) as UTF-8, each
`$4 id $5 id $6 amount $7 "period text" $8` (the id as 32 hex digits, from its 16 bytes: a tenth
less work than cutting the dashes out of its text) with the text of the line's component from $10 at
its place in $9 (else $11). The account's own part of each line (decrypted by the caller) goes
where $7 holds it, marked by `PAYEE_MARK`."""

PAYEE_MARK = "\x01"
"""Where a rendered line takes its payee's block: a character no text of a line can hold."""


class InstructionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keys_of(
        self, *, case_ids: Collection[UUID] = (), grant_ids: Collection[UUID] = ()
    ) -> tuple[dict[UUID, dict[tuple[str, str], int]], dict[UUID, dict[tuple[str, str], int]]]:
        """For each case or grant and (period, component): the fen of its lines paid or on
        their way, and how many lines it has in all (the next one's attempt number)."""
        live_fen: dict[UUID, dict[tuple[str, str], int]] = defaultdict(dict)
        attempts: dict[UUID, dict[tuple[str, str], int]] = defaultdict(dict)
        conditions = []
        if case_ids:
            conditions.append(instruction.c.case_id.in_(list(case_ids)))
        if grant_ids:
            conditions.append(instruction.c.grant_id.in_(list(grant_ids)))
        if not conditions:
            return live_fen, attempts
        rows = await self.session.execute(
            select(
                instruction.c.case_id,
                instruction.c.grant_id,
                instruction.c.period,
                instruction.c.component,
                instruction.c.status,
                instruction.c.amount_fen,
            ).where(or_(*conditions))
        )
        live = {s.value for s in LIVE}
        for case_id, grant_id, period, component, status, fen in rows:
            owner = case_id or grant_id
            key = (period, component)
            attempts[owner][key] = attempts[owner].get(key, 0) + 1
            if status in live:
                live_fen[owner][key] = live_fen[owner].get(key, 0) + int(fen)
        return live_fen, attempts

    async def paid_of_case(self, case_id: UUID) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(instruction).where(
                instruction.c.case_id == case_id, instruction.c.status == InstructionStatus.PAID.value
            )
        )
        return [dict(r) for r in rows.mappings()]

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """New instructions; one already there (the same id: a calculation resumed) is kept.
        On PostgreSQL a page goes in with COPY into a temporary table and one
        `INSERT … SELECT … ON CONFLICT DO NOTHING` (a tenth of the cost of a multi-row insert
        through the ORM's parameter handling); elsewhere with an ordinary insert."""
        if not rows:
            return
        dialect = self.session.bind.dialect.name if self.session.bind is not None else "postgresql"
        if dialect != "postgresql" or len(rows) < COPY_FROM:
            await self.session.execute(
                _insert(self.session, instruction).on_conflict_do_nothing(index_elements=["instruction_id"]), list(rows)
            )
            return
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        columns = [c.name for c in instruction.columns]
        await raw.execute(
            "create temporary table if not exists instruction_page (like payment_instruction) on commit delete rows"
        )
        await raw.copy_records_to_table(
            "instruction_page", records=[tuple(r[c] for c in columns) for r in rows], columns=columns
        )
        names = ", ".join(columns)
        await raw.execute(
            f"insert into payment_instruction ({names}) select {names} from instruction_page "  # noqa: S608 (column names)
            "on conflict (instruction_id) do nothing"
        )
        await raw.execute("delete from instruction_page")

    async def _raw(self) -> Any:
        """The session's asyncpg connection."""
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        return raw

    async def _planned_raw(self) -> Any:
        """The session's asyncpg connection, inside the session's transaction, with `PAGE_PLAN`
        set for the rest of it. The settings go through the session: that is what begins the
        transaction (the driver's own calls would run outside it, in autocommit, and a
        `set local` outside a transaction does nothing)."""
        for setting in PAGE_PLAN:
            await self.session.execute(text(setting))
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        return raw

    @property
    def set_based(self) -> bool:
        """Whether the database calculates (PostgreSQL) or Python does (SQLite)."""
        return self.session.bind is None or self.session.bind.dialect.name == "postgresql"

    async def lines_through(self, run_id: UUID, county_code: str) -> str | None:
        """The latest month a line of the county's cases can be for as far as its runs tell (a
        line is made by the run of its month or a later one): the latest month of its other
        runs, and the run's own when it has lines (a calculation resumed or made again).
        `NO_MONTH` when the county has no other run and the run no line (PostgreSQL)."""
        raw = await self._raw()
        latest = await raw.fetchval(LINES_THROUGH, run_id, county_code)
        return NO_MONTH if latest is None else str(latest)

    async def page_bounds(self, county_code: str, after: UUID | None, limit: int) -> tuple[int, UUID | None]:
        """The next page of a county's entitlements after a case id (`PAGE_BOUNDS`): (how many
        it holds, its last case id); 0 and None after the last page."""
        raw = await self._planned_raw()
        bounds = await raw.fetchrow(PAGE_BOUNDS, county_code, after, limit)
        if bounds is None:
            return 0, None
        return int(bounds[0]), bounds[1]

    async def calculate_range(
        self,
        run_id: UUID,
        county_code: str,
        period: str,
        after: UUID | None,
        last: UUID,
        now: datetime,
        on: date,
        cooling: timedelta,
        calculated_through: str | None = None,
        lines_through: str | None = None,
        *,
        beside_another: bool = False,
    ) -> None:
        """计算 the county's entitlements after case `after` through case `last` in the database
        (see `CALCULATE_PAGE`), looking at the months after `calculated_through` (and at what
        changed since), and for the lines already there of the months through `lines_through`
        (None: every month). Raises `PageRaced` when one of the page's lines was there all the
        same: another calculation wrote it meanwhile, or it is of a month after `lines_through`
        (the transaction is then lost: make the page again `beside_another`, which looks up
        every month and leaves alone the lines written meanwhile)."""
        raw = await self._planned_raw()
        statement = CALCULATE_PAGE_BESIDE_ANOTHER if beside_another else CALCULATE_PAGE
        looked_up = None if beside_another else lines_through
        try:
            await raw.execute(
                statement, county_code, after, last, period, run_id, now, on, cooling, calculated_through, looked_up
            )
        except Exception as error:
            if getattr(error, "sqlstate", None) == UNIQUE_VIOLATION:
                raise PageRaced(str(error)) from error
            raise

    async def refresh_statistics(self) -> bool:
        """The planner's statistics of the instructions brought up to date (PostgreSQL): after a
        calculation, the run's lines are new to them, and every query over the run (its totals,
        the bank file's parts, the listing) would be planned for a handful of lines: a walk of
        the run's index in id order, a random read per line (2.2 s for the totals of 600,000
        lines, where a scan of the table's pages in order takes 0.3 s). A sample of some 30,000
        lines whatever the table's size (about half a second). In a transaction of its own:
        skipped (False) when the table's statistics are held by someone else (an autovacuum that
        does not yield, another county's calculation) for `ANALYZE_WAIT`, since statistics are
        a hint and a calculation never waits long for one."""
        if not self.set_based:
            return False
        try:
            async with self.session.begin_nested():
                await self.session.execute(text(f"set local lock_timeout = '{ANALYZE_WAIT}'"))
                await self.session.execute(text("analyze payment_instruction"))
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            return False
        return True

    async def rejudge_open(self, run_id: UUID, now: datetime, on: date, cooling: timedelta) -> None:
        """The run's pending and held lines judged again in the database (see `REJUDGE_OPEN`)."""
        raw = await self._planned_raw()
        await raw.execute(REJUDGE_OPEN, run_id, now, on, cooling)

    async def transfer_rows(
        self, run_id: UUID, batch: int = 5000, accounts: tuple[UUID | None, UUID | None] = (None, None)
    ) -> AsyncIterator[list[Any]]:
        """What the bank file needs of the run's exported lines with the payee's account (the
        number decrypted), in batches in account order (by id within an account; see
        `TRANSFER_ROWS`); `accounts`: only those of the accounts from the first up to the
        second (None: no bound). On PostgreSQL one query streams through a
        server-side cursor (`TRANSFER_ROWS`: five times faster than a query per batch through
        the ORM, and the same memory); elsewhere a keyset query per batch."""
        if self.set_based:
            ring = session_key_ring(self.session)
            holder_of = decryptor(ring, context=HOLDER_NAME_CONTEXT)
            digits_of = decryptor(ring, context=ACCOUNT_NUMBER.context)
            async with self._file_snapshot(FILE_PLAN) as raw:
                cursor = await raw.cursor(TRANSFER_ROWS, run_id, *accounts)
                # The account decrypted last: a payee's lines are adjacent, and share its values
                # (the same objects: what the file's writers cache by).
                sealed_holder = sealed_number = holder = digits = ""
                while rows := await cursor.fetch(batch):
                    page: list[Any] = []
                    append = page.append
                    for instruction_id, fen, period, component, holder_token, number_token, bank, code in rows:
                        if number_token != sealed_number or holder_token != sealed_holder:
                            sealed_holder, sealed_number = holder_token, number_token
                            holder, digits = holder_of(holder_token), digits_of(number_token)
                        append((instruction_id, fen, period, component, holder, digits, bank, code))
                    yield page
            return
        async for page in self._transfer_pages(run_id, batch, accounts):
            yield page

    async def payee_lines(
        self,
        run_id: UUID,
        accounts: tuple[UUID | None, UUID | None],
        pieces: tuple[str, str, str, str, str],
        texts: dict[str, str],
        other_text: str,
        batch: int = 2000,
    ) -> AsyncIterator[list[tuple[str, str, str, str | None, int, int, int, int, bytes]]]:
        """The bank file's lines of the run's exported lines rendered by the database (see
        `PAYEE_LINES`; PostgreSQL), in batches of accounts: (holder's name, account number —
        both decrypted —, bank name, CNAPS or None, lines, fen, smallest and largest amount, the
        lines as UTF-8 with `PAYEE_MARK` where the payee's block goes). `pieces`: what comes
        before the id, between the ids, before the amount, after it (up to the mark and the
        text), and after the text; `texts`: the text of each component (escaped), else
        `other_text`. One read-only snapshot, streamed through a server-side cursor."""
        ring = session_key_ring(self.session)
        holder_of, digits_of = (
            decryptor(ring, context=HOLDER_NAME_CONTEXT),
            decryptor(ring, context=ACCOUNT_NUMBER.context),
        )
        async with self._file_snapshot(RENDER_PLAN) as raw:
            components = list(texts)
            cursor = await raw.cursor(
                PAYEE_LINES,
                run_id,
                *accounts,
                *pieces,
                components,
                [texts[c] for c in components],
                other_text,
            )
            while rows := await cursor.fetch(batch):
                yield [
                    (
                        holder_of(holder),
                        digits_of(digits),
                        bank,
                        code,
                        lines,
                        fen,
                        low,
                        high,
                        rendered,
                    )
                    for holder, digits, bank, code, lines, fen, low, high, rendered in rows
                ]

    @asynccontextmanager
    async def _file_snapshot(self, plan: Sequence[str]) -> AsyncIterator[Any]:
        """The session's asyncpg connection for a bank file's cursor, with `plan` set. A cursor
        lives in a transaction: the session's, or (a read session is outside one) a read-only
        snapshot of its own, so the file is one consistent picture."""
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        own = None if raw.is_in_transaction() else raw.transaction(isolation="repeatable_read", readonly=True)
        if own is not None:
            await own.start()
        try:
            for setting in plan:
                await raw.execute(setting)
            yield raw
        finally:
            if own is not None:
                await own.rollback()

    @asynccontextmanager
    async def _run_wide(self) -> AsyncIterator[None]:
        """The statements inside planned as `RUN_PLAN` (PostgreSQL). In a read session (outside a
        transaction) they run in a read-only transaction of their own; in a transaction, through
        the session (which begins it), the settings reset after them."""
        if not self.set_based:
            yield
            return
        connection = await self.session.connection()
        if connection.sync_connection is not None and connection.sync_connection.get_execution_options().get(
            READ_ONLY_OPTION
        ):
            raw = await self._raw()
            async with raw.transaction(readonly=True):
                for setting in RUN_PLAN:
                    await raw.execute(setting)
                yield
            return
        for setting in RUN_PLAN:
            await self.session.execute(text(setting))
        yield
        for name in _RUN_SETTINGS:
            await self.session.execute(text(f"reset {name}"))

    async def _transfer_pages(
        self, run_id: UUID, batch: int, accounts: tuple[UUID | None, UUID | None]
    ) -> AsyncIterator[list[Any]]:
        """`transfer_rows` a keyset query per batch (the same order), then the batch's accounts
        by key."""
        a = payee_account
        after: Any = None
        while True:
            statement = select(
                instruction.c.instruction_id,
                instruction.c.amount_fen,
                instruction.c.period,
                instruction.c.component,
                instruction.c.account_id,
            ).where(instruction.c.run_id == run_id, sent_to_bank(run_id))
            if accounts[0] is not None:
                statement = statement.where(instruction.c.account_id >= accounts[0])
            if accounts[1] is not None:
                statement = statement.where(instruction.c.account_id < accounts[1])
            if after is not None:
                statement = statement.where(tuple_(instruction.c.account_id, instruction.c.instruction_id) > after)
            order = (instruction.c.account_id, instruction.c.instruction_id)
            lines = list(await self.session.execute(statement.order_by(*order).limit(batch)))
            if not lines:
                return
            found = {
                row[0]: row[1:]
                for row in await self.session.execute(
                    select(a.c.account_id, a.c.holder_name, a.c.account_number, a.c.bank_name, a.c.bank_code).where(
                        among(self.session, a.c.account_id, {line[4] for line in lines})
                    )
                )
            }
            yield [(*line[:4], *found[line[4]]) for line in lines]
            after = tuple_(lines[-1][4], lines[-1][0])

    async def open_of_run(self, run_id: UUID, *, after: UUID | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        """A page of the run's pending and held instructions (whose holds a calculation
        re-judges), in id order after `after` (keyset: a county never sits in memory)."""
        statement = select(
            instruction.c.instruction_id, instruction.c.payee_ref, instruction.c.status, instruction.c.hold_reason
        ).where(
            instruction.c.run_id == run_id,
            instruction.c.status.in_([InstructionStatus.PENDING.value, InstructionStatus.HELD.value]),
        )
        if after is not None:
            statement = statement.where(instruction.c.instruction_id > after)
        rows = await self.session.execute(statement.order_by(instruction.c.instruction_id).limit(limit))
        return [dict(r) for r in rows.mappings()]

    async def set_holds(self, changes: Sequence[tuple[UUID, str, str | None, UUID | None]], now: datetime) -> None:
        """(instruction id, status, hold reason, account id) for each changed one."""
        if not changes:
            return
        await self.session.execute(
            update(instruction)
            .where(instruction.c.instruction_id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                hold_reason=bindparam("b_hold"),
                account_id=bindparam("b_account"),
                updated_at=now,
            ),
            [{"b_id": i, "b_status": s, "b_hold": h, "b_account": a} for i, s, h, a in changes],
            execution_options={"synchronize_session": False},
        )

    async def totals(self, run_id: UUID) -> RunTotals:
        status = status_in_run(run_id)
        async with self._run_wide():
            rows = await self.session.execute(
                select(
                    status,
                    instruction.c.programme,
                    func.count(),
                    func.coalesce(func.sum(instruction.c.amount_fen), 0),
                    func.coalesce(func.sum(instruction.c.amount_fen * instruction.c.arrears), 0),
                )
                .where(instruction.c.run_id == run_id)
                .group_by(status, instruction.c.programme)
            )
            found = list(rows)
        by_status: dict[str, tuple[int, int]] = {}
        by_programme: dict[str, int] = {}
        arrears = count = total = 0
        for status, programme, n, fen, arrears_fen in found:
            c, f = by_status.get(status, (0, 0))
            by_status[status] = (c + int(n), f + int(fen))
            count, total = count + int(n), total + int(fen)
            if status in PAYING:
                by_programme[programme] = by_programme.get(programme, 0) + int(fen)
                arrears += int(arrears_fen)
        return RunTotals(count, total, by_status, by_programme, arrears)

    async def committed(self, run_ids: Collection[UUID]) -> dict[str, int]:
        """Programme → fen of the paying instructions of `run_ids` (the approved runs of a year)."""
        if not run_ids:
            return {}
        rows = await self.session.execute(
            select(instruction.c.programme, func.sum(instruction.c.amount_fen))
            .where(instruction.c.run_id.in_(list(run_ids)), instruction.c.status.in_(PAYING))
            .group_by(instruction.c.programme)
        )
        return {p: int(f) for p, f in rows}

    async def totals_sent(self, run_id: UUID, bounds: Sequence[UUID] = ()) -> list[tuple[int, int]]:
        """(count, fen) of the lines the run sends to the bank; with `bounds` (increasing
        account ids), of each part of them by account: before the first bound, from it up to
        the second, …, from the last one on."""
        if not bounds:
            async with self._run_wide():
                row = (
                    await self.session.execute(
                        select(func.count(), func.coalesce(func.sum(instruction.c.amount_fen), 0)).where(
                            instruction.c.run_id == run_id, sent_to_bank(run_id)
                        )
                    )
                ).one()
            return [(int(row[0]), int(row[1]))]
        part = func.width_bucket(
            instruction.c.account_id, bindparam("bounds", list(bounds), type_=postgresql.ARRAY(Uuid))
        )
        async with self._run_wide():
            rows = list(
                await self.session.execute(
                    select(part, func.count(), func.sum(instruction.c.amount_fen))
                    .where(instruction.c.run_id == run_id, sent_to_bank(run_id))
                    .group_by(part)
                )
            )
        parts = [(0, 0)] * (len(bounds) + 1)
        for n, count, fen in rows:  # a line without an account counts in the first part (it fails there)
            before = parts[int(n or 0)]
            parts[int(n or 0)] = (before[0] + int(count), before[1] + int(fen))
        return parts

    async def account_bounds(self, run_id: UUID, parts: int) -> list[UUID]:
        """Account ids that split the run's lines (PostgreSQL) into about `parts` equal parts by
        account, from a block sample of about `SAMPLE_PAGES` pages of the table (some thousands
        of lines, whatever its size); fewer bounds when the sample cannot tell them apart."""
        raw = await self._raw()
        pages = await raw.fetchval(
            "select pg_relation_size('payment_instruction') / current_setting('block_size')::int"
        )
        percent = min(100.0, 100.0 * SAMPLE_PAGES / max(int(pages or 0), 1))
        sample = [
            r[0]
            for r in await raw.fetch(
                f"select account_id from payment_instruction tablesample system ({percent:.6f}) "  # noqa: S608 (a number)
                "where run_id = $1 and account_id is not null order by account_id",
                run_id,
            )
        ]
        bounds: list[UUID] = []
        for k in range(1, parts):
            if len(sample) < parts * 10:
                break
            bound = sample[len(sample) * k // parts]
            if not bounds or bound > bounds[-1]:
                bounds.append(bound)
        return bounds

    async def by_ids(self, ids: Collection[UUID]) -> dict[UUID, dict[str, Any]]:
        if not ids:
            return {}
        rows = (
            await self.session.execute(select(instruction).where(instruction.c.instruction_id.in_(list(ids))))
        ).mappings()
        return {r["instruction_id"]: dict(r) for r in rows}

    async def settle(self, changes: Sequence[dict[str, Any]], now: datetime) -> None:
        if not changes:
            return
        await self.session.execute(
            update(instruction)
            .where(
                instruction.c.instruction_id == bindparam("b_id"),
                status_in_run() == InstructionStatus.EXPORTED.value,
            )
            .values(
                status=bindparam("b_status"),
                failure_reason=bindparam("b_reason"),
                bank_reference=bindparam("b_ref"),
                settled_on=bindparam("b_on"),
                updated_at=now,
            ),
            list(changes),
            execution_options={"synchronize_session": False},
        )
        await self.recheck([c["b_id"] for c in changes if c["b_status"] == InstructionStatus.FAILED.value])

    async def recheck(self, ids: Collection[UUID]) -> None:
        """The cases of lines `ids`, which no longer pay their month (failed, cancelled), are
        looked at again from that month by the next calculation (`entitlement.recheck_from`)."""
        if not ids:
            return
        months = await self.session.execute(
            select(instruction.c.case_id, func.min(instruction.c.period))
            .where(instruction.c.instruction_id.in_(list(ids)), instruction.c.case_id.is_not(None))
            .group_by(instruction.c.case_id)
        )
        marks = [{"b_case": case_id, "b_month": month} for case_id, month in months]
        if marks:
            e = entitlement
            await self.session.execute(
                update(e)
                .where(
                    e.c.case_id == bindparam("b_case"),
                    or_(e.c.recheck_from.is_(None), e.c.recheck_from > bindparam("b_month")),
                )
                .values(recheck_from=bindparam("b_month")),
                marks,
                execution_options={"synchronize_session": False},
            )

    async def count_in(self, run_id: UUID, status: InstructionStatus) -> int:
        n = await self.session.scalar(
            select(func.count())
            .select_from(instruction)
            .where(instruction.c.run_id == run_id, status_in_run(run_id) == status.value)
        )
        return int(n or 0)

    async def of_case_after(self, case_id: UUID, period: str) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(instruction).where(instruction.c.case_id == case_id, instruction.c.period > period)
        )
        return [dict(r) for r in rows.mappings()]

    async def cancel(self, ids: Collection[UUID], now: datetime) -> None:
        """The lines not yet sent to the bank among `ids` cancelled. Their runs are locked (shared)
        first: an export of one of them (which locks its run to write the mark that sends its
        pending lines) waits for this to commit, or this sees the mark, never half of each."""
        if ids:
            runs = select(instruction.c.run_id).where(instruction.c.instruction_id.in_(list(ids)))
            await self.session.execute(
                select(payroll_run.c.id).where(payroll_run.c.id.in_(runs)).with_for_update(read=True)
            )
            await self.session.execute(
                update(instruction)
                .where(
                    instruction.c.instruction_id.in_(list(ids)),
                    instruction.c.status.in_([InstructionStatus.PENDING.value, InstructionStatus.HELD.value]),
                    status_in_run() != InstructionStatus.EXPORTED.value,  # gone to the bank: not cancelled
                )
                .values(status=InstructionStatus.CANCELLED.value, updated_at=now)
            )
            await self.recheck(ids)

    async def carry_over_held(self, run_id: UUID, now: datetime) -> None:
        """The run's held lines, left behind by its export, cancelled (their hold reason kept:
        why they did not go) and their cases looked at again from their months (`recheck`): a
        held line was live, so without this its month was never owed again."""
        async with self._run_wide():
            held = [
                row[0]
                for row in await self.session.execute(
                    update(instruction)
                    .where(instruction.c.run_id == run_id, instruction.c.status == InstructionStatus.HELD.value)
                    .values(status=InstructionStatus.CANCELLED.value, updated_at=now)
                    .returning(instruction.c.instruction_id),
                    execution_options={"synchronize_session": False},
                )
            ]
        await self.recheck(held)

    async def page(
        self, run_id: UUID, *, status: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        shown = status_in_run(run_id)
        conditions = [instruction.c.run_id == run_id]
        if status is not None:
            conditions.append(shown == status)
        total = await self.session.scalar(select(func.count()).select_from(instruction).where(and_(*conditions)))
        rows = await self.session.execute(
            select(*(shown.label("status") if c.name == "status" else c for c in instruction.columns))
            .where(*conditions)
            .order_by(instruction.c.period, instruction.c.instruction_id)
            .limit(limit)
            .offset(offset)
        )
        return [dict(r) for r in rows.mappings()], int(total or 0)

    async def result_file(self, run_id: UUID, digest: str) -> dict[str, Any] | None:
        row = (
            (
                await self.session.execute(
                    select(bank_result_file).where(
                        bank_result_file.c.run_id == run_id, bank_result_file.c.digest == digest
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else dict(row)

    async def add_result_file(self, row: dict[str, Any]) -> bool:
        result = await self.session.execute(
            _insert(self.session, bank_result_file).on_conflict_do_nothing(index_elements=["run_id", "digest"]), row
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
