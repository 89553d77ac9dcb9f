"""A run's bank file and its results, between the payroll's instructions and the bank formats
(`payment.bankfiles`): the file streams from the database in pages (a writer thread consumes
the transfers while the event loop reads the next page), so a county of a million lines never
sits in memory; the results are read lazily and applied in one transaction."""

from __future__ import annotations

import asyncio
import hashlib
import io
import queue
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import IO, Any, BinaryIO, Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import Database
from payment.adapters.repository import PayrollRunRepository
from payment.bankfiles.adapters.csv_daifa import write_csv_daifa
from payment.bankfiles.adapters.pain001 import write_pain001
from payment.bankfiles.adapters.results import read_results
from payment.bankfiles.domain.model import (
    BankId,
    BatchHeader,
    Debtor,
    ResultFormat,
    Transfer,
    TransferResult,
    TransferStatus,
)
from payment.domain.model import PayrollRun
from payment.ledger.adapters.repository import LedgerRepository
from payment.payroll import service
from payment.payroll.adapters.repository import InstructionRepository
from payment.payroll.domain import rules
from payment.payroll.domain.errors import ResultFileRefused
from payment.payroll.domain.model import BankResult, InstructionStatus
from payment.recoveries import service as recoveries
from payment.settings import DebtorAccount
from shared.types import BankAccountNumber, business_date

BatchFormat = Literal["pain001", "csv"]
REMITTANCE = {"gap": "低保金", "supplement": "分类施保金", "basic_living": "特困基本生活费", "care": "特困照料护理费"}
DEFAULT_CNAPS = "102701000019"
"""Where an account recorded without its bank's 联行号 is routed (the demo bank's; production
accounts carry their own)."""
SPOOL_BYTES = 8 * 1024 * 1024
"""A file up to this stays in memory, a larger one is spooled to a temporary file."""
_END = object()


def message_id(run: PayrollRun) -> str:
    """批次号: the same for every download of the run's file (a bank sees one batch)."""
    return f"JZ{run.id.hex[:30]}"


async def totals_of_export(session: AsyncSession, run: PayrollRun) -> tuple[int, int]:
    """(count, fen) of the instructions the run sends to the bank."""
    return await InstructionRepository(session).totals_sent(run.id)


async def _transfers(database: Database, run: PayrollRun) -> AsyncIterator[list[Transfer]]:
    # A county's lines name a few banks and a few months × components: each bank (a value
    # object that validates itself) is made once per file, not once per line.
    # A payee's lines come one after the other: their account number is checked once.
    banks: dict[tuple[str, str], BankId] = {}
    account: BankAccountNumber | None = None
    async with database.read() as session:
        async for rows in InstructionRepository(session).transfer_rows(run.id):
            page = []
            for instruction_id, fen, period, component, holder, number, bank_name, bank_code in rows:
                key = (bank_name, bank_code or DEFAULT_CNAPS)
                if (bank := banks.get(key)) is None:
                    bank = banks[key] = BankId(name=key[0], cnaps=key[1])
                if account is None or number != account.value:
                    account = BankAccountNumber(number, card_check=False)
                page.append(
                    Transfer(
                        instruction_id=instruction_id,
                        payee_name=holder,
                        payee_account=account,
                        payee_bank=bank,
                        amount_fen=int(fen),
                        remittance=f"{period} {REMITTANCE.get(component, '社会救助金')}",
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
    writing = asyncio.create_task(asyncio.to_thread(writer, header, consume(), cast(BinaryIO, out)))
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


def _settled_on(result: TransferResult, now: datetime) -> date:
    return result.settled_on or business_date(now)


async def import_results(
    session: AsyncSession,
    run: PayrollRun,
    data: bytes,
    format: ResultFormat,
    *,
    by: str,
    now: datetime,
    correlation_id: str,
) -> dict[str, Any]:
    """回盘: the bank's result file applied to the run's exported instructions, once per file (by
    its digest: the same file again answers its first summary and changes nothing). Results
    still pending at the bank are left for a later file. Money found paid after a case's last
    entitled month (a termination that overtook the bank) opens or grows its recovery."""
    digest = hashlib.sha256(data).hexdigest()
    instructions = InstructionRepository(session)
    seen = await instructions.result_file(run.id, digest)
    if seen is not None:
        return dict(seen["summary"]) | {"duplicate": True}
    summary, results = read_results(io.BytesIO(data), format)
    if summary.run_id is not None and summary.run_id != run.id:
        raise ResultFileRefused("the result file is for another run", "该回盘文件不属于本发放批次")
    final, pending = [], 0
    for result in results:  # the reader checks the file's totals when the iteration ends
        if result.status is TransferStatus.PENDING:
            pending += 1
            continue
        final.append(
            BankResult(
                result.instruction_id,
                result.status is TransferStatus.PAID,
                result.failure_reason,
                result.bank_reference or result.bank_reason_code or "",
                _settled_on(result, now),
            )
        )
    paid, failed, ignored, paid_rows = await service.apply_results(
        session, run, final, now=now, correlation_id=correlation_id
    )
    ledger = LedgerRepository(session)
    for case_id in sorted({r["case_id"] for r in paid_rows if r["case_id"] is not None}):
        entitlement = await ledger.get(case_id)
        if entitlement is not None and entitlement.entitled_until is not None:
            await recoveries.recover_paid_after(
                session,
                entitlement,
                await instructions.paid_of_case(case_id),
                termination_reason="terminated",
                now=now,
                correlation_id=correlation_id,
            )
    outcome = {"results": len(final) + pending, "paid": paid, "failed": failed, "pending": pending, "ignored": ignored}
    await instructions.add_result_file(
        {
            "file_id": uuid.uuid4(),
            "run_id": run.id,
            "digest": digest,
            "format": format,
            "summary": outcome,
            "imported_at": now,
            "imported_by": by,
        }
    )
    rules.settle_if_done(run, await instructions.count_in(run.id, InstructionStatus.EXPORTED), now)
    await PayrollRunRepository(session).save(run)
    return outcome | {"duplicate": False}
