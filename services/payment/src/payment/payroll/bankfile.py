"""A run's bank file and its results, between the payroll's instructions and the bank formats
(`payment.bankfiles`): the file streams from the database in pages (a writer thread consumes
the transfers while the event loop reads the next page), so a county of a million lines never
sits in memory; the results are read lazily and applied in one transaction."""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import io
import json
import os
import pickle
import queue
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any, BinaryIO, Literal, cast
from uuid import UUID
from xml.sax.saxutils import escape

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import install_key_ring
from jiuzhu_platform.settings import ServiceSettings
from payment.adapters.repository import PayrollRunRepository
from payment.bankfiles.adapters.csv_daifa import csv_daifa_head, write_csv_daifa_transfers
from payment.bankfiles.adapters.pain001 import (
    AFTER_AMOUNT,
    AFTER_END_TO_END_ID,
    AFTER_INSTRUCTION_ID,
    BEFORE_REMITTANCE,
    LINE_END,
    LINE_START,
    PAIN001_TAIL,
    pain001_head,
    pain001_payee_block,
    write_pain001_transfers,
)
from payment.bankfiles.adapters.results import read_results
from payment.bankfiles.domain.errors import BatchInvalid, BatchTotalsMismatch
from payment.bankfiles.domain.model import (
    BankId,
    BatchHeader,
    Debtor,
    ResultFormat,
    Transfer,
    TransferResult,
    TransferStatus,
    check_amount,
    check_payee_name,
)
from payment.domain.model import PayrollRun
from payment.ledger.adapters.repository import LedgerRepository
from payment.payroll import service
from payment.payroll.adapters.repository import PAYEE_MARK, InstructionRepository
from payment.payroll.domain import rules
from payment.payroll.domain.errors import ResultFileRefused
from payment.payroll.domain.model import BankResult, InstructionStatus
from payment.recoveries import service as recoveries
from payment.settings import DebtorAccount, Settings
from shared.types import BankAccountNumber, business_date

BatchFormat = Literal["pain001", "csv"]
REMITTANCE = {"gap": "低保金", "supplement": "分类施保金", "basic_living": "特困基本生活费", "care": "特困照料护理费"}
OTHER_REMITTANCE = "社会救助金"
DEFAULT_CNAPS = "102701000019"
"""Where an account recorded without its bank's 联行号 is routed (the demo bank's; production
accounts carry their own)."""
SPOOL_BYTES = 8 * 1024 * 1024
"""A file up to this stays in memory, a larger one is spooled to a temporary file."""
PART_BUFFER = 1 << 20
"""How much of a part a helper gathers before each write to its file: on ext4 every write
call updates the file's inode in the journal, and two helpers writing 8 KB at a time spent
2-3 s of system time each on a part of a million lines (0.6-1.5 s with 1 MB)."""
PARALLEL_FROM = 200_000
"""Lines from which a file is worth helper processes (each costs a second or so to start)."""
_END = object()


def message_id(run: PayrollRun) -> str:
    """批次号: the same for every download of the run's file (a bank sees one batch)."""
    return f"JZ{run.id.hex[:30]}"


async def totals_of_export(session: AsyncSession, run: PayrollRun) -> tuple[int, int]:
    """(count, fen) of the instructions the run sends to the bank."""
    [totals] = await InstructionRepository(session).totals_sent(run.id)
    return totals


Accounts = tuple[UUID | None, UUID | None]
"""The accounts of a part of a file: from the first up to (not including) the second; None: no bound."""


async def _transfers(database: Database, run_id: UUID, accounts: Accounts) -> AsyncIterator[list[Transfer]]:
    # Once per line of a million, so what lines share is made once: a county's lines name a
    # few banks (a value object that validates itself) and a few months × components (the
    # remittance texts); a payee's lines come one after the other (the account is checked once).
    # The shared values are the same objects line after line, which the writers cache by.
    banks: dict[tuple[str, str], BankId] = {}
    remittances: dict[tuple[str, str], str] = {}
    account: BankAccountNumber | None = None
    async with database.read() as session:
        async for rows in InstructionRepository(session).transfer_rows(run_id, accounts=accounts):
            page: list[Transfer] = []
            append = page.append
            for instruction_id, fen, period, component, holder, number, bank_name, bank_code in rows:
                key = (bank_name, bank_code or DEFAULT_CNAPS)
                if (bank := banks.get(key)) is None:
                    bank = banks[key] = BankId(name=key[0], cnaps=key[1])
                if (remittance := remittances.get((period, component))) is None:
                    remittance = remittances[period, component] = (
                        f"{period} {REMITTANCE.get(component, OTHER_REMITTANCE)}"
                    )
                if account is None or number != account.value:
                    account = BankAccountNumber(number, card_check=False)
                append(
                    Transfer(
                        instruction_id=instruction_id,
                        payee_name=holder,
                        payee_account=account,
                        payee_bank=bank,
                        amount_fen=fen,
                        remittance=remittance,
                    )
                )
            yield page


_PAIN001_PIECES = (
    LINE_START,
    AFTER_INSTRUCTION_ID,
    AFTER_END_TO_END_ID,
    f"{AFTER_AMOUNT}{PAYEE_MARK}{BEFORE_REMITTANCE}",
    LINE_END,
)


async def _rendered(database: Database, run_id: UUID, accounts: Accounts) -> AsyncIterator[list[Any]]:
    """The pain.001 lines of a part of the run, rendered by the database a payee at a time (see
    `InstructionRepository.payee_lines`): a third of the work of a `Transfer` a line, and most
    of it on the database's core."""
    texts = {component: escape(text) for component, text in REMITTANCE.items()}
    async with database.read() as session:
        async for rows in InstructionRepository(session).payee_lines(
            run_id, accounts, _PAIN001_PIECES, texts, escape(OTHER_REMITTANCE)
        ):
            yield rows


def _write_rendered(payees: Iterator[Any], out: BinaryIO) -> tuple[int, int]:
    """The rendered lines of each payee (`_rendered`) to `out` with the payee's block put in, once
    the payee's name, account, bank and amounts pass what a `Transfer` checks: (lines, fen)."""
    count = total = 0
    banks: dict[tuple[str, str | None], BankId] = {}
    mark = PAYEE_MARK.encode()
    write = out.write
    for name, digits, bank_name, bank_code, lines, fen, low, high, rendered in payees:
        if (bank := banks.get((bank_name, bank_code))) is None:
            bank = banks[bank_name, bank_code] = BankId(name=bank_name, cnaps=bank_code or DEFAULT_CNAPS)
        check_payee_name(name)
        check_amount(low)
        check_amount(high)
        block = pain001_payee_block(name, BankAccountNumber(digits, card_check=False), bank)
        write(rendered.replace(mark, block.encode()))
        count += lines
        total += fen
    return count, total


def _head(format: BatchFormat, header: BatchHeader) -> bytes:
    return pain001_head(header) if format == "pain001" else csv_daifa_head(header)


def _tail(format: BatchFormat) -> bytes:
    return PAIN001_TAIL if format == "pain001" else b""


async def _write_transfers(
    database: Database, run_id: UUID, format: BatchFormat, out: BinaryIO, accounts: Accounts, first: int
) -> tuple[int, int]:
    """The lines of a part of the run's file (`accounts`; CSV lines numbered from `first`) to
    `out`: (how many, their fen). A writer thread renders the transfers while the event loop
    reads the next page from the database. On PostgreSQL the database renders pain.001's lines
    (`_rendered`), and the writer puts each payee's block in."""
    pages: queue.Queue[Any] = queue.Queue(maxsize=4)
    rendered = format == "pain001" and database.dialect == "postgresql"

    def consume() -> Iterator[Any]:
        while (page := pages.get()) is not _END:
            yield from page

    def write() -> tuple[int, int]:
        if rendered:
            return _write_rendered(consume(), out)
        if format == "pain001":
            return write_pain001_transfers(consume(), out)
        return write_csv_daifa_transfers(consume(), out, first=first)

    source = _rendered(database, run_id, accounts) if rendered else _transfers(database, run_id, accounts)
    writing = asyncio.create_task(asyncio.to_thread(write))
    try:
        async for page in source:
            await asyncio.to_thread(pages.put, page)  # waits while the writer is 4 pages behind
        await asyncio.to_thread(pages.put, _END)
        return await writing
    except BaseException:
        if not writing.done():
            await asyncio.to_thread(pages.put, _END)
            await asyncio.gather(writing, return_exceptions=True)
        raise


@dataclass(frozen=True, slots=True)
class FileProcesses:
    """How a large bank file is written on several cores: its lines split by account into up
    to `processes` parts, each written by a helper process (started for the file) that reads
    its part from the database and renders it to a file of its own; the parts are then joined
    in account order, so the file is byte for byte the one a single process writes. A file of
    fewer than `from_lines` lines, or on SQLite, is written by the calling process alone."""

    settings: Settings
    """The service's settings (the database and the keys), handed to the helpers."""
    processes: int
    from_lines: int = PARALLEL_FROM

    @classmethod
    def of(cls, settings: ServiceSettings) -> FileProcesses | None:
        if not isinstance(settings, Settings) or settings.bankfile_processes < 2:
            return None
        return cls(settings, settings.bankfile_processes)


@dataclass(frozen=True, slots=True)
class PartJob:
    """What a helper process is told (pickled on its standard input): where the database is
    and the keys (the service's settings), and which part of which run's file to write where."""

    settings: Settings
    run_id: UUID
    format: BatchFormat
    accounts: Accounts
    first: int
    path: str


def write_part(job: PartJob) -> dict[str, Any]:
    """In a helper process: a part of the run's file to `job.path`: {"count", "fen"}, or why it
    cannot be written ({"refused": a `BatchInvalid`'s detail, zh-CN message and reason})."""

    async def write(out: BinaryIO) -> tuple[int, int]:
        ring = job.settings.pii_key_ring()
        assert ring is not None
        database = Database.from_url(job.settings.database_url.get_secret_value(), pool_size=1, max_overflow=0)
        install_key_ring(database.engine, ring)
        try:
            return await _write_transfers(database, job.run_id, job.format, out, job.accounts, job.first)
        finally:
            await database.dispose()

    try:
        with open(job.path, "wb", buffering=PART_BUFFER) as out:
            count, fen = asyncio.run(write(out))
    except BatchInvalid as refused:
        return {"refused": [refused.detail, refused.message_zh or refused.detail, refused.reason]}
    return {"count": count, "fen": fen}


class JoinedFile(io.RawIOBase):
    """A file read as its pieces one after the other (byte strings, and files on disk) without
    copying them into one: a bank file of a million lines is its head, the parts its helpers
    wrote, and its tail. Seekable; closing it calls `on_close` (which removes the parts)."""

    def __init__(self, pieces: Sequence[bytes | str], on_close: Callable[[], None]) -> None:
        super().__init__()
        self._pieces = list(pieces)
        sizes = [len(p) if isinstance(p, bytes) else os.path.getsize(p) for p in self._pieces]
        self._starts = [sum(sizes[:k]) for k in range(len(sizes))]
        self._ends = [start + size for start, size in zip(self._starts, sizes, strict=True)]
        self._size = sum(sizes)
        self._position = 0
        self._open: tuple[int, BinaryIO] | None = None
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size:
            return 0
        k = bisect.bisect_right(self._ends, self._position)
        within = self._position - self._starts[k]
        want = min(len(buffer), self._ends[k] - self._position)
        piece = self._pieces[k]
        if isinstance(piece, bytes):
            data = piece[within : within + want]
        else:
            if self._open is None or self._open[0] != k:
                self._close_piece()
                self._open = (k, open(piece, "rb"))  # noqa: SIM115 (closed with the next piece or the file)
            handle = self._open[1]
            handle.seek(within)
            data = handle.read(want)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def _close_piece(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None

    def close(self) -> None:
        if not self.closed:
            self._close_piece()
            self._on_close()
        super().close()


async def _start_helper() -> asyncio.subprocess.Process:
    """A helper process (`python -m payment.payroll.file_part`: a fresh interpreter that imports
    nothing of this one's main module), importing what it needs while it waits for its job."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payment.payroll.file_part",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop_helpers(helpers: Sequence[asyncio.subprocess.Process]) -> None:
    """The helpers that have not finished killed and waited for."""
    for helper in helpers:
        if helper.returncode is None:
            helper.kill()
        if helper.stdin is not None:
            helper.stdin.close()
    for helper in helpers:
        await helper.wait()


async def _run_helper(helper: asyncio.subprocess.Process, job: PartJob) -> tuple[int, int]:
    """`write_part` of `job` in a started helper: what it streamed (killed if this is cancelled)."""
    try:
        answer, errors = await helper.communicate(pickle.dumps(job))
    except BaseException:
        await _stop_helpers([helper])
        raise
    if helper.returncode != 0:
        raise RuntimeError(f"a bank-file helper process failed ({helper.returncode}): {errors.decode()[-2000:]}")
    outcome = json.loads(answer)
    if "refused" in outcome:
        detail, message_zh, reason = outcome["refused"]
        raise BatchInvalid(detail, message_zh, reason=reason)
    return int(outcome["count"]), int(outcome["fen"])


async def _write_parts(
    run_id: UUID,
    format: BatchFormat,
    head: bytes,
    tail: bytes,
    bounds: list[UUID],
    parts: list[tuple[int, int]],
    processes: FileProcesses,
    started: Sequence[asyncio.subprocess.Process],
) -> tuple[JoinedFile, list[tuple[int, int]]]:
    """The run's lines in `len(bounds) + 1` parts by account (`parts`: what each holds), each
    written by a helper process (of those `started`) to a file of its own: the file (`head`,
    the parts in order, `tail`; closing it removes the parts) and what each part streamed, in
    order. This process only waits: its event loop stays free for the requests it serves."""
    edges: list[UUID | None] = [None, *bounds, None]
    firsts = [1 + sum(c for c, _ in parts[:k]) for k in range(len(parts))]
    folder = tempfile.TemporaryDirectory(prefix="bankfile-")
    try:
        paths = [f"{folder.name}/part-{k}" for k in range(len(parts))]
        jobs = [
            PartJob(processes.settings, run_id, format, (edges[k], edges[k + 1]), firsts[k], paths[k])
            for k in range(len(parts))
        ]
        helpers = [asyncio.create_task(_run_helper(helper, job)) for helper, job in zip(started, jobs, strict=False)]
        try:
            streamed = list(await asyncio.gather(*helpers))
        except BaseException:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            raise
        return JoinedFile([head, *paths, tail], folder.cleanup), streamed
    except BaseException:
        folder.cleanup()
        raise


async def write_batch(
    database: Database,
    run: PayrollRun,
    debtor: DebtorAccount,
    format: BatchFormat,
    *,
    now: datetime,
    processes: FileProcesses | None = None,
) -> IO[bytes]:
    """The run's bank file (pain.001.001.09 or CSV 代发), rewound: a spooled temporary file, or
    a large one written on several cores (`processes`, see `FileProcesses`) read from its parts.
    The helper processes are started first: they import what they need (a second or so) while
    the file's parts and totals are found, and are stopped if the file is too small for them."""
    helpers: list[asyncio.subprocess.Process] = []
    try:
        if processes is not None and database.dialect == "postgresql":
            helpers = [await _start_helper() for _ in range(processes.processes)]
        return await _write_batch(database, run, debtor, format, now=now, processes=processes, helpers=helpers)
    finally:
        await _stop_helpers(helpers)


async def _write_batch(
    database: Database,
    run: PayrollRun,
    debtor: DebtorAccount,
    format: BatchFormat,
    *,
    now: datetime,
    processes: FileProcesses | None,
    helpers: Sequence[asyncio.subprocess.Process],
) -> IO[bytes]:
    async with database.read() as session:
        instructions = InstructionRepository(session)
        bounds: list[UUID] = []
        if processes is not None and helpers:
            bounds = await instructions.account_bounds(run.id, processes.processes)
        parts = await instructions.totals_sent(run.id, bounds)
    count, total = sum(c for c, _ in parts), sum(f for _, f in parts)
    if bounds and processes is not None and count < processes.from_lines:
        bounds, parts = [], [(count, total)]
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
    out: IO[bytes]
    if bounds:
        assert processes is not None
        joined, streamed = await _write_parts(
            run.id, format, _head(format, header), _tail(format), bounds, parts, processes, helpers
        )
        out = cast(IO[bytes], joined)
    else:
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned to the caller)
        try:
            out.write(_head(format, header))
            streamed = [await _write_transfers(database, run.id, format, cast(BinaryIO, out), (None, None), 1)]
            out.write(_tail(format))
        except BaseException:
            out.close()
            raise
    if streamed != parts:
        out.close()
        got = (sum(c for c, _ in streamed), sum(f for _, f in streamed))
        raise BatchTotalsMismatch(declared=(count, total), streamed=got)
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
