"""A run's bank file and its results, between the payroll's instructions and the bank formats
(`payment.bankfiles`): the file streams from the database in pages (a writer thread consumes
the transfers while the event loop reads the next page), so a county of a million lines never
sits in memory; the results are read lazily and applied in one transaction."""

from __future__ import annotations

import asyncio
import queue
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import IO, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import Database
from payment.accounts.adapters.repository import AccountRepository
from payment.bankfiles.adapters.csv_daifa import write_csv_daifa
from payment.bankfiles.adapters.pain001 import write_pain001
from payment.bankfiles.domain.model import BankId, BatchHeader, Debtor, Transfer
from payment.domain.model import PayrollRun
from payment.payroll.adapters.orm import instruction
from payment.payroll.adapters.repository import InstructionRepository
from payment.payroll.domain.model import InstructionStatus
from payment.settings import DebtorAccount
from shared.types import BankAccountNumber, business_date

BatchFormat = Literal["pain001", "csv"]
REMITTANCE = {"gap": "低保金", "supplement": "分类施保金", "basic_living": "特困基本生活费", "care": "特困照料护理费"}
SPOOL_BYTES = 8 * 1024 * 1024
"""A file up to this stays in memory, a larger one is spooled to a temporary file."""
_END = object()


def message_id(run: PayrollRun) -> str:
    """批次号: the same for every download of the run's file (a bank sees one batch)."""
    return f"JZ{run.id.hex[:30]}"


async def totals_of_export(session: AsyncSession, run: PayrollRun) -> tuple[int, int]:
    """(count, fen) of the instructions the run sends to the bank."""
    sent = [InstructionStatus.EXPORTED.value, InstructionStatus.PAID.value, InstructionStatus.FAILED.value]
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(instruction.c.amount_fen), 0)).where(
                instruction.c.run_id == run.id, instruction.c.status.in_(sent)
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def _transfers(database: Database, run: PayrollRun) -> AsyncIterator[list[Transfer]]:
    async with database.read() as session:
        instructions, accounts = InstructionRepository(session), AccountRepository(session)
        async for rows in instructions.exported_rows(run.id):
            by_id = await accounts.by_ids({r["account_id"] for r in rows if r["account_id"] is not None})
            page = []
            for r in rows:
                account = by_id[r["account_id"]]
                page.append(
                    Transfer(
                        instruction_id=r["instruction_id"],
                        payee_name=account.holder_name,
                        payee_account=BankAccountNumber(account.account_number, card_check=False),
                        payee_bank=BankId(name=account.bank_name, cnaps=account.bank_code or "102701000019"),
                        amount_fen=int(r["amount_fen"]),
                        remittance=f"{r['period']} {REMITTANCE.get(r['component'], '社会救助金')}",
                    )
                )
            yield page


async def write_batch(
    database: Database, run: PayrollRun, debtor: DebtorAccount, format: BatchFormat, *, now: datetime
) -> IO[bytes]:
    """The run's bank file (pain.001.001.09 or CSV 代发), rewound, in a spooled temporary file."""
    async with database.read() as session:
        count, total = await totals_of_export(session, run)
    header = BatchHeader(
        run_id=run.id,
        message_id=message_id(run),
        created_at=run.exported_at or now,
        debtor=Debtor(
            name=debtor.name,
            account=BankAccountNumber(debtor.account, card_check=False),
            bank=BankId(name=debtor.bank_name or None, cnaps=debtor.cnaps),
        ),
        requested_execution_date=business_date(run.exported_at or now),
        transaction_count=count,
        control_sum_fen=total,
    )
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned to the caller)
    pages: queue.Queue[Any] = queue.Queue(maxsize=4)

    def consume() -> Iterator[Transfer]:
        while (page := pages.get()) is not _END:
            yield from page

    writer = write_pain001 if format == "pain001" else write_csv_daifa
    writing = asyncio.create_task(asyncio.to_thread(writer, header, consume(), out))
    try:
        async for page in _transfers(database, run):
            await asyncio.to_thread(pages.put, page)  # waits while the writer is 4 pages behind
        await asyncio.to_thread(pages.put, _END)
        await writing
    except BaseException:
        if not writing.done():
            await asyncio.to_thread(pages.put, _END)
            await asyncio.gather(writing, return_exceptions=True)
        out.close()
        raise
    out.seek(0)
    return out
