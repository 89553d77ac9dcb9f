"""Loading and storing payment instructions and bank result files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from payment.accounts.adapters.orm import payee_account
from payment.adapters.among import among
from payment.payroll.adapters.orm import bank_result_file, instruction
from payment.payroll.domain.model import LIVE, InstructionStatus, RunTotals

COPY_FROM = 200
"""Pages of at least this many lines go in with COPY on PostgreSQL."""
PAYING = (InstructionStatus.PENDING.value, InstructionStatus.EXPORTED.value, InstructionStatus.PAID.value)


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    return (sqlite.insert if dialect == "sqlite" else postgresql.insert)(table)


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

    async def transfer_rows(self, run_id: UUID, batch: int = 5000) -> AsyncIterator[list[Any]]:
        """What the bank file needs of the run's exported lines with the payee's account, in
        batches in id order (keyset on the run's index, then the batch's accounts by key: a
        join would let the planner hash the whole account table for every batch)."""
        a = payee_account
        after: UUID | None = None
        sent = [InstructionStatus.EXPORTED.value, InstructionStatus.PAID.value, InstructionStatus.FAILED.value]
        while True:
            statement = select(
                instruction.c.instruction_id,
                instruction.c.amount_fen,
                instruction.c.period,
                instruction.c.component,
                instruction.c.account_id,
            ).where(instruction.c.run_id == run_id, instruction.c.status.in_(sent))
            if after is not None:
                statement = statement.where(instruction.c.instruction_id > after)
            lines = list(await self.session.execute(statement.order_by(instruction.c.instruction_id).limit(batch)))
            if not lines:
                return
            accounts = {
                row[0]: row[1:]
                for row in await self.session.execute(
                    select(a.c.account_id, a.c.holder_name, a.c.account_number, a.c.bank_name, a.c.bank_code).where(
                        among(self.session, a.c.account_id, {line[4] for line in lines})
                    )
                )
            }
            yield [(*line[:4], *accounts[line[4]]) for line in lines]
            after = lines[-1][0]

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
        rows = await self.session.execute(
            select(
                instruction.c.status,
                instruction.c.programme,
                func.count(),
                func.coalesce(func.sum(instruction.c.amount_fen), 0),
                func.coalesce(func.sum(instruction.c.amount_fen * instruction.c.arrears), 0),
            )
            .where(instruction.c.run_id == run_id)
            .group_by(instruction.c.status, instruction.c.programme)
        )
        by_status: dict[str, tuple[int, int]] = {}
        by_programme: dict[str, int] = {}
        arrears = count = total = 0
        for status, programme, n, fen, arrears_fen in rows:
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

    async def mark_exported(self, run_id: UUID, now: datetime) -> int:
        result = await self.session.execute(
            update(instruction)
            .where(instruction.c.run_id == run_id, instruction.c.status == InstructionStatus.PENDING.value)
            .values(status=InstructionStatus.EXPORTED.value, updated_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def exported_rows(self, run_id: UUID, batch: int = 2000) -> AsyncIterator[list[dict[str, Any]]]:
        """The run's exported instructions in id order, in batches (keyset: streaming)."""
        after: UUID | None = None
        while True:
            statement = select(instruction).where(
                instruction.c.run_id == run_id,
                instruction.c.status.in_(
                    [InstructionStatus.EXPORTED.value, InstructionStatus.PAID.value, InstructionStatus.FAILED.value]
                ),
            )
            if after is not None:
                statement = statement.where(instruction.c.instruction_id > after)
            rows = [
                dict(r)
                for r in (
                    await self.session.execute(statement.order_by(instruction.c.instruction_id).limit(batch))
                ).mappings()
            ]
            if not rows:
                return
            yield rows
            after = rows[-1]["instruction_id"]

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
                instruction.c.status == InstructionStatus.EXPORTED.value,
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

    async def count_in(self, run_id: UUID, status: InstructionStatus) -> int:
        n = await self.session.scalar(
            select(func.count())
            .select_from(instruction)
            .where(instruction.c.run_id == run_id, instruction.c.status == status.value)
        )
        return int(n or 0)

    async def of_case_after(self, case_id: UUID, period: str) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(instruction).where(instruction.c.case_id == case_id, instruction.c.period > period)
        )
        return [dict(r) for r in rows.mappings()]

    async def cancel(self, ids: Collection[UUID], now: datetime) -> None:
        if ids:
            await self.session.execute(
                update(instruction)
                .where(
                    instruction.c.instruction_id.in_(list(ids)),
                    instruction.c.status.in_([InstructionStatus.PENDING.value, InstructionStatus.HELD.value]),
                )
                .values(status=InstructionStatus.CANCELLED.value, updated_at=now)
            )

    async def page(
        self, run_id: UUID, *, status: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        conditions = [instruction.c.run_id == run_id]
        if status is not None:
            conditions.append(instruction.c.status == status)
        total = await self.session.scalar(select(func.count()).select_from(instruction).where(and_(*conditions)))
        rows = await self.session.execute(
            select(instruction)
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
