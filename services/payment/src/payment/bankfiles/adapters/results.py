"""Readers of the bank's result files, streaming: ISO 20022 **pain.002** (payment status report),
**camt.054** (debit/credit notification) and the **CSV return file** (see ``csv_daifa``).

``read_results(source, format)`` returns ``(summary, results)``: the summary is read from the
file's header straight away; ``results`` is an iterator that reads the rest one transaction
at a time (memory does not grow with the file). The totals the header declares are checked as
the lines go by and a mismatch is raised **at the end** of the iteration, so a caller applies
the results in one transaction and commits only after the iterator finished without error.

Every problem is a ``ResultFileInvalid`` with a stable reason (see ``domain/errors.py``), never
a raw parser exception. XML is parsed by lxml with entity resolution, DTD loading and network
access off, and a document with a DOCTYPE is refused before anything else is read.

Status mapping:

- pain.002 ``TxSts``: ``ACSC``/``ACCC`` → paid; ``RJCT`` → failed with ``StsRsnInf/Rsn/Cd``
  mapped (``ISO_REASON_CODES``; unknown → bank_rejected); ``ACCP``/``ACSP``/``ACTC``/``ACWC``/
  ``ACFC``/``PDNG`` → pending (accepted, not settled yet);
- camt.054: a booked (``BOOK``) debit entry → paid for each ``TxDtls`` that names an
  ``EndToEndId`` of ours (a UUID), with the booking date and ``AcctSvcrRef``; a booked credit
  entry with ``RtrInf`` (a returned payment, 退汇) → failed with its return reason; pending
  debit entries → pending; other entries (fees, unrelated debits with ``NOTPROVIDED``) are
  counted for the totals but yield nothing;
- CSV 状态: ``成功`` → paid, ``失败`` → failed (失败原因 text mapped by keyword), ``处理中`` → pending.

Totals checked: pain.002 ``NbOfTxsPerSts`` (count and ``DtldCtrlSum`` per status) against the
reported transactions; camt.054 ``TxsSummry/TtlNtries`` (``NbOfNtries``, ``Sum``) against the
entries; CSV header ``总笔数``/``总金额`` against the lines. A file may report fewer transactions
than the batch had (a rejects-only report): whether every instruction is accounted for is the
caller's check against its ledger (``summary.original_count`` helps).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, Final, TypeVar
from uuid import UUID

from lxml import etree

from payment.bankfiles.adapters.csv_daifa import STATUS_FAILED, STATUS_PAID
from payment.bankfiles.domain.errors import ResultFileInvalid
from payment.bankfiles.domain.model import (
    ResultFileSummary,
    ResultFormat,
    TransferResult,
    TransferStatus,
    failure_reason_from_iso,
    failure_reason_from_text,
)

Source = str | os.PathLike[str] | BinaryIO
T = TypeVar("T")

PAIN002_NAMESPACE_PREFIX: Final = "urn:iso:std:iso:20022:tech:xsd:pain.002.001."
CAMT054_NAMESPACE_PREFIX: Final = "urn:iso:std:iso:20022:tech:xsd:camt.054.001."
_PAIN002_STATUS: Final = {
    "ACSC": TransferStatus.PAID,
    "ACCC": TransferStatus.PAID,
    "RJCT": TransferStatus.FAILED,
    "ACCP": TransferStatus.PENDING,
    "ACSP": TransferStatus.PENDING,
    "ACTC": TransferStatus.PENDING,
    "ACWC": TransferStatus.PENDING,
    "ACFC": TransferStatus.PENDING,
    "PDNG": TransferStatus.PENDING,
}
CSV_STATUS_PENDING: Final = "处理中"
_PAIN002_TAGS: Final = (
    "CstmrPmtStsRpt",
    "GrpHdr",
    "OrgnlGrpInfAndSts",
    "NbOfTxsPerSts",
    "OrgnlPmtInfAndSts",
    "OrgnlPmtInfId",
    "TxInfAndSts",
)
_CAMT054_TAGS: Final = ("GrpHdr", "Ntfctn", "TtlNtries", "Ntry")
_AMOUNT_RE = re.compile(r"[0-9]{1,18}(\.[0-9]{1,5})?")
_MAX_CSV_FIELD = 4096


def read_results(
    source: Source, format: ResultFormat, *, encoding: str = "utf-8-sig"
) -> tuple[ResultFileSummary, Iterator[TransferResult]]:
    """Read a result file: its summary now, its results lazily (see the module docstring).

    ``source`` is a path or a binary stream; a path is opened here and closed when the
    iteration ends. ``encoding`` applies to the CSV format only (XML declares its own).
    """
    readers: dict[str, Callable[[BinaryIO], Iterator[ResultFileSummary | TransferResult]]] = {
        "pain002": _read_pain002,
        "camt054": _read_camt054,
        "csv": lambda stream: _read_csv(stream, encoding),
    }
    if format not in readers:
        raise ValueError(f"unknown result format {format!r}; expected one of {sorted(readers)}")
    items = iter_source(source, readers[format])
    try:
        first = next(items)
    except StopIteration:  # pragma: no cover - every reader yields a summary or raises
        raise ResultFileInvalid("result_malformed", "the result file is empty", "结果文件为空") from None
    if not isinstance(first, ResultFileSummary):  # pragma: no cover - readers yield the summary first
        raise TypeError("a reader yielded a result before its summary")
    return first, _results_only(items)


def iter_source(source: Source, reader: Callable[[BinaryIO], Iterator[T]]) -> Iterator[T]:
    """``reader``'s items for ``source``: a path is opened (and closed when the iteration ends),
    a binary stream is read as it is and left open."""
    with ExitStack() as stack:
        if isinstance(source, str | os.PathLike):
            stream: BinaryIO = stack.enter_context(open(source, "rb"))
        else:
            stream = source
        yield from reader(stream)


def _results_only(items: Iterator[ResultFileSummary | TransferResult]) -> Iterator[TransferResult]:
    for item in items:
        if isinstance(item, TransferResult):
            yield item


# ------------------------------------------------------------------------------------ values


def _amount_fen(text: str | None, where: str) -> int:
    if text is None or not _AMOUNT_RE.fullmatch(text.strip()):
        raise ResultFileInvalid("result_bad_value", "an amount is not a decimal number", "金额格式错误", where=where)
    value = Decimal(text.strip())  # the pattern admits only plain decimals
    fen = value.scaleb(2)
    if fen != fen.to_integral_value():
        raise ResultFileInvalid("result_bad_value", "an amount has fractions of a fen", "金额精度超过分", where=where)
    return int(fen)


def _instruction_id(text: str | None, where: str) -> UUID:
    if not text:
        raise ResultFileInvalid("result_missing_field", "an instruction id is missing", "缺少指令号", where=where)
    try:
        return UUID(text.strip())
    except ValueError:
        raise ResultFileInvalid(
            "result_bad_value", "an instruction id is not a UUID", "指令号格式错误", where=where
        ) from None


def _date(text: str | None, where: str) -> date | None:
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        if len(value) == 8 and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if "T" in value:
            return datetime.fromisoformat(value).date()
        return date.fromisoformat(value)
    except ValueError:
        raise ResultFileInvalid("result_bad_value", "a date does not parse", "日期格式错误", where=where) from None


def _datetime(text: str | None, where: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ResultFileInvalid("result_bad_value", "a date-time does not parse", "时间格式错误", where=where) from None


def _count(text: str | None, where: str) -> int:
    if text is None or not text.strip().isdigit() or not text.strip().isascii():
        raise ResultFileInvalid("result_bad_value", "a count is not a whole number", "笔数格式错误", where=where)
    return int(text.strip())


# ------------------------------------------------------------------------------------ XML


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _xml_events(
    stream: BinaryIO, namespace_prefix: str, message: str, tags: tuple[str, ...]
) -> Iterator[tuple[str, Any]]:
    """(event, element) pairs of a safe streaming parse for the elements named in ``tags`` (local
    names; the others are parsed but not reported, which keeps the loop short); refuses a DOCTYPE
    and a document that is not ``<Document>`` in the expected ISO 20022 namespace."""
    parser = etree.iterparse(
        stream,
        events=("start", "end"),
        tag=[f"{{*}}{name}" for name in ("Document", *tags)],
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    first = True
    try:
        for event, element in parser:
            if first:
                first = False
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
                    raise ResultFileInvalid(
                        "result_dtd_forbidden",
                        "the result file carries a DOCTYPE; DTDs and entities are not accepted",
                        "结果文件包含DOCTYPE声明，不接受DTD和实体",
                    )
                namespace = element.tag.partition("}")[0].lstrip("{") if isinstance(element.tag, str) else ""
                if _local(element.tag) != "Document" or not namespace.startswith(namespace_prefix):
                    raise ResultFileInvalid(
                        "result_wrong_message",
                        f"the file is not an ISO 20022 {message} message",
                        f"文件不是ISO 20022 {message} 报文",
                    )
            yield event, element
    except etree.XMLSyntaxError as exc:
        raise ResultFileInvalid(
            "result_malformed",
            f"the result file is not well-formed XML (line {exc.lineno}); truncated?",
            f"结果文件不是格式正确的XML（第{exc.lineno}行），文件可能不完整",
        ) from None
    if first:
        if getattr(parser, "root", None) is not None:  # well-formed, but its root is not a Document
            raise ResultFileInvalid(
                "result_wrong_message",
                f"the file is not an ISO 20022 {message} message",
                f"文件不是ISO 20022 {message} 报文",
            )
        raise ResultFileInvalid("result_malformed", "the result file is empty", "结果文件为空")


@functools.lru_cache(maxsize=256)
def _qualified(namespace: str, path: str) -> str:
    return "/".join(f"{{{namespace}}}{step}" for step in path.split("/"))


def _find(element: Any, path: str) -> str | None:
    """The stripped text at ``path`` (local names separated by ``/``, in the element's own
    namespace), or None."""
    tag = element.tag
    namespace = tag[1 : tag.index("}")] if tag.startswith("{") else ""
    text = element.findtext(_qualified(namespace, path))
    if text is None:
        return None
    text = text.strip()
    return text or None


def _release(element: Any) -> None:
    """Free a processed subtree and the siblings before it, so memory stays flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


@dataclass
class _Tally:
    """Declared and counted totals per key (a status, or "" for the whole file)."""

    declared: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    counted: dict[str, list[int]] = field(default_factory=dict)
    missing_amount: set[str] = field(default_factory=set)

    def add(self, key: str, amount_fen: int | None) -> None:
        entry = self.counted.setdefault(key, [0, 0])
        entry[0] += 1
        if amount_fen is None:
            self.missing_amount.add(key)
        else:
            entry[1] += amount_fen

    def check(self, where: str) -> None:
        for key, (count, total) in self.declared.items():
            counted, summed = self.counted.get(key, [0, 0])
            if counted != count or (total is not None and key not in self.missing_amount and summed != total):
                label = key or "all"
                raise ResultFileInvalid(
                    "result_totals_mismatch",
                    f"the file declares {count} {label} lines totalling {total} fen, "
                    f"its lines are {counted} totalling {summed} fen",
                    f"文件声明{label} {count}笔共{total}分，实际为{counted}笔共{summed}分",
                    where=where,
                )
            if total is not None and key in self.missing_amount:
                raise ResultFileInvalid(
                    "result_missing_field",
                    "the file declares a control sum but a line has no amount",
                    "文件声明了控制金额，但有明细缺少金额",
                    where=where,
                )


def _read_pain002(stream: BinaryIO) -> Iterator[ResultFileSummary | TransferResult]:
    message_id: str | None = None
    created_at: datetime | None = None
    original_message_id: str | None = None
    original_count: int | None = None
    original_total: int | None = None
    run_id: UUID | None = None
    group_tally = _Tally()
    block_tally = _Tally()
    summary_sent = False
    seen_report = False
    tx_number = 0

    def summary() -> ResultFileSummary:
        declared = group_tally.declared or block_tally.declared
        count = sum(n for n, _ in declared.values()) if declared else None
        sums = [s for _, s in declared.values()]
        total = sum(s for s in sums if s is not None) if declared and None not in sums else None
        return ResultFileSummary(
            format="pain002",
            message_id=message_id,
            original_message_id=original_message_id,
            run_id=run_id,
            count=count,
            total_fen=total,
            created_at=created_at,
            original_count=original_count,
            original_total_fen=original_total,
        )

    def require_header() -> None:
        if not seen_report or message_id is None or original_message_id is None:
            raise ResultFileInvalid(
                "result_missing_field",
                "a pain.002 needs CstmrPmtStsRpt with GrpHdr and OrgnlGrpInfAndSts before its transactions",
                "pain.002 报文须在明细之前包含 CstmrPmtStsRpt、GrpHdr 和 OrgnlGrpInfAndSts",
            )

    def declared_per_status(per_status: Any, tally: _Tally, where: str) -> None:
        status = _find(per_status, "DtldSts")
        if status is None:
            raise ResultFileInvalid("result_missing_field", "NbOfTxsPerSts without DtldSts", "缺少DtldSts", where=where)
        dtld_sum = _find(per_status, "DtldCtrlSum")
        tally.declared[status] = (
            _count(_find(per_status, "DtldNbOfTxs"), where),
            _amount_fen(dtld_sum, where) if dtld_sum is not None else None,
        )

    for event, element in _xml_events(stream, PAIN002_NAMESPACE_PREFIX, "pain.002", _PAIN002_TAGS):
        name = _local(element.tag)
        if event == "start":
            if name == "CstmrPmtStsRpt":
                seen_report = True
            elif name == "OrgnlPmtInfAndSts":
                block_tally = _Tally()
            elif name == "TxInfAndSts" and not summary_sent:
                require_header()
                summary_sent = True
                yield summary()
            continue
        if name == "GrpHdr" and message_id is None:
            message_id = _find(element, "MsgId")
            created_at = _datetime(_find(element, "CreDtTm"), "GrpHdr/CreDtTm")
            if message_id is None:
                raise ResultFileInvalid("result_missing_field", "GrpHdr/MsgId is missing", "缺少GrpHdr/MsgId")
        elif name == "OrgnlGrpInfAndSts":
            original_message_id = _find(element, "OrgnlMsgId")
            if original_message_id is None:
                raise ResultFileInvalid(
                    "result_missing_field", "OrgnlGrpInfAndSts/OrgnlMsgId is missing", "缺少OrgnlMsgId"
                )
            if (text := _find(element, "OrgnlNbOfTxs")) is not None:
                original_count = _count(text, "OrgnlNbOfTxs")
            if (text := _find(element, "OrgnlCtrlSum")) is not None:
                original_total = _amount_fen(text, "OrgnlCtrlSum")
        elif name == "OrgnlPmtInfId" and run_id is None:
            text = (element.text or "").strip()
            try:
                run_id = UUID(text)
            except ValueError:
                run_id = None  # not one of our runs' ids; the caller matches by OrgnlMsgId
        elif name == "TxInfAndSts":
            tx_number += 1
            result = _pain002_transaction(element, created_at, f"TxInfAndSts #{tx_number}")
            status_code = _find(element, "TxSts") or ""
            group_tally.add(status_code, result.amount_fen)
            block_tally.add(status_code, result.amount_fen)
            _release(element)
            yield result
        elif name == "NbOfTxsPerSts":
            level = _local(element.getparent().tag) if element.getparent() is not None else ""
            if level == "OrgnlGrpInfAndSts":
                declared_per_status(element, group_tally, level)
            elif level == "OrgnlPmtInfAndSts":
                declared_per_status(element, block_tally, level)
        elif name == "OrgnlPmtInfAndSts":
            block_tally.check("OrgnlPmtInfAndSts")
            _release(element)
    require_header()
    if not summary_sent:
        yield summary()
    group_tally.check("OrgnlGrpInfAndSts")


def _pain002_transaction(element: Any, created_at: datetime | None, where: str) -> TransferResult:
    instruction_id = _instruction_id(_find(element, "OrgnlEndToEndId"), where)
    code = _find(element, "TxSts")
    if code is None:
        raise ResultFileInvalid("result_missing_field", "TxSts is missing", "缺少TxSts", where=where)
    status = _PAIN002_STATUS.get(code)
    if status is None:
        raise ResultFileInvalid("result_bad_value", f"unknown TxSts {code[:4]!r}", "未知的交易状态", where=where)
    amount_text = _find(element, "OrgnlTxRef/Amt/InstdAmt")
    amount = _amount_fen(amount_text, where) if amount_text is not None else None
    reference = _find(element, "AcctSvcrRef") or _find(element, "ClrSysRef")
    report_day = created_at.date() if created_at is not None else None
    if status is TransferStatus.FAILED:
        reason_code = _find(element, "StsRsnInf/Rsn/Cd") or _find(element, "StsRsnInf/Rsn/Prtry")
        return TransferResult(
            instruction_id=instruction_id,
            status=status,
            failure_reason=failure_reason_from_iso(reason_code),
            bank_reason_code=reason_code,
            bank_reference=reference,
            settled_on=report_day,
            amount_fen=amount,
        )
    settled: date | None = None
    if status is TransferStatus.PAID:
        settled = (
            _date(_find(element, "FctvIntrBkSttlmDt/Dt") or _find(element, "FctvIntrBkSttlmDt/DtTm"), where)
            or _date(_find(element, "AccptncDtTm"), where)
            or report_day
        )
    return TransferResult(
        instruction_id=instruction_id,
        status=status,
        bank_reference=reference,
        settled_on=settled,
        amount_fen=amount,
    )


def _read_camt054(stream: BinaryIO) -> Iterator[ResultFileSummary | TransferResult]:
    message_id: str | None = None
    created_at: datetime | None = None
    declared_count: int | None = None
    declared_sum: int | None = None
    counted = [0, 0]
    summary_sent = False
    seen_notification = False
    entry_number = 0

    def summary() -> ResultFileSummary:
        return ResultFileSummary(
            format="camt054",
            message_id=message_id,
            original_message_id=None,
            run_id=None,
            count=declared_count,
            total_fen=declared_sum,
            created_at=created_at,
        )

    def require_header() -> None:
        if not seen_notification or message_id is None:
            raise ResultFileInvalid(
                "result_missing_field",
                "a camt.054 needs BkToCstmrDbtCdtNtfctn with GrpHdr and Ntfctn",
                "camt.054 报文缺少 GrpHdr 或 Ntfctn",
            )

    def check_totals() -> None:
        if declared_count is not None and counted[0] != declared_count:
            mismatch = True
        else:
            mismatch = declared_sum is not None and counted[1] != declared_sum
        if mismatch:
            raise ResultFileInvalid(
                "result_totals_mismatch",
                f"the notification declares {declared_count} entries totalling {declared_sum} fen, "
                f"it has {counted[0]} totalling {counted[1]} fen",
                f"通知声明{declared_count}笔共{declared_sum}分，实际为{counted[0]}笔共{counted[1]}分",
                where="TxsSummry/TtlNtries",
            )

    for event, element in _xml_events(stream, CAMT054_NAMESPACE_PREFIX, "camt.054", _CAMT054_TAGS):
        name = _local(element.tag)
        if event == "start":
            if name == "Ntfctn":
                seen_notification = True
                declared_count = declared_sum = None
                counted = [0, 0]
            elif name == "Ntry" and not summary_sent:
                require_header()
                summary_sent = True
                yield summary()
            continue
        if name == "GrpHdr" and message_id is None:
            message_id = _find(element, "MsgId")
            created_at = _datetime(_find(element, "CreDtTm"), "GrpHdr/CreDtTm")
            if message_id is None:
                raise ResultFileInvalid("result_missing_field", "GrpHdr/MsgId is missing", "缺少GrpHdr/MsgId")
        elif name == "TtlNtries":
            if (text := _find(element, "NbOfNtries")) is not None:
                declared_count = _count(text, "TtlNtries/NbOfNtries")
            if (text := _find(element, "Sum")) is not None:
                declared_sum = _amount_fen(text, "TtlNtries/Sum")
        elif name == "Ntry":
            entry_number += 1
            where = f"Ntry #{entry_number}"
            entry_amount = _amount_fen(_find(element, "Amt"), where)
            counted[0] += 1
            counted[1] += entry_amount
            report_day = created_at.date() if created_at is not None else None
            results = list(_camt054_entry(element, entry_amount, report_day, where))
            _release(element)
            yield from results
        elif name == "Ntfctn":
            check_totals()
            _release(element)
    require_header()
    if not summary_sent:
        yield summary()


def _camt054_entry(entry: Any, entry_amount: int, report_day: date | None, where: str) -> Iterator[TransferResult]:
    direction = _find(entry, "CdtDbtInd")
    status = _find(entry, "Sts/Cd") or _find(entry, "Sts")
    if direction not in ("DBIT", "CRDT") or status is None:
        raise ResultFileInvalid(
            "result_missing_field", "an entry needs CdtDbtInd and Sts", "记录缺少借贷标记或状态", where=where
        )
    booked_on = _date(_find(entry, "BookgDt/Dt") or _find(entry, "BookgDt/DtTm"), where) or report_day
    entry_reference = _find(entry, "AcctSvcrRef")
    details = list(entry.iterfind("{*}NtryDtls/{*}TxDtls"))
    for detail in details:
        e2e = _find(detail, "Refs/EndToEndId")
        try:
            instruction_id = UUID(e2e) if e2e else None
        except ValueError:
            instruction_id = None
        if instruction_id is None:
            continue  # not one of our instructions (fees, NOTPROVIDED)
        amount_text = (
            _find(detail, "Amt") or _find(detail, "AmtDtls/TxAmt/Amt") or _find(detail, "AmtDtls/InstdAmt/Amt")
        )
        amount = _amount_fen(amount_text, where) if amount_text else (entry_amount if len(details) == 1 else None)
        reference = _find(detail, "Refs/AcctSvcrRef") or entry_reference
        if direction == "DBIT" and status == "BOOK":
            yield TransferResult(
                instruction_id=instruction_id,
                status=TransferStatus.PAID,
                bank_reference=reference,
                settled_on=booked_on,
                amount_fen=amount,
            )
        elif direction == "DBIT" and status == "PDNG":
            yield TransferResult(instruction_id=instruction_id, status=TransferStatus.PENDING, amount_fen=amount)
        elif direction == "CRDT" and status == "BOOK" and detail.find("{*}RtrInf") is not None:
            code = _find(detail, "RtrInf/Rsn/Cd") or _find(detail, "RtrInf/Rsn/Prtry")
            yield TransferResult(
                instruction_id=instruction_id,
                status=TransferStatus.FAILED,
                failure_reason=failure_reason_from_iso(code),
                bank_reason_code=code,
                bank_reference=reference,
                settled_on=booked_on,
                amount_fen=amount,
            )


# ------------------------------------------------------------------------------------ CSV


def _read_csv(stream: BinaryIO, encoding: str) -> Iterator[ResultFileSummary | TransferResult]:
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        yield from _read_csv_rows(csv.reader(text, strict=True))
    except UnicodeDecodeError:
        raise ResultFileInvalid(
            "result_encoding", f"the return file does not decode as {encoding}", f"回盘文件无法按{encoding}解码"
        ) from None
    except csv.Error as exc:
        raise ResultFileInvalid(
            "result_malformed", f"the return file is not valid CSV: {exc}", "回盘文件不是有效的CSV"
        ) from None
    finally:
        text.detach()  # leave the caller's stream open


def _read_csv_rows(rows: Iterator[list[str]]) -> Iterator[ResultFileSummary | TransferResult]:
    header: list[str] | None = None
    line = 0
    for row in rows:
        line += 1
        if not row or not any(cell.strip() for cell in row):
            continue
        if row[0].strip() == "批次号":  # an optional title row
            continue
        header = [cell.strip() for cell in row]
        break
    if header is None:
        raise ResultFileInvalid("result_malformed", "the return file is empty", "回盘文件为空")
    if len(header) != 4 or not header[0]:
        raise ResultFileInvalid(
            "result_malformed",
            "the first line must be 批次号,总笔数,总金额,处理日期",
            "首行须为：批次号,总笔数,总金额,处理日期",
            where=f"line {line}",
        )
    declared_count = _count(header[1], f"line {line}")
    declared_total = _amount_fen(header[2], f"line {line}")
    processed_on = _date(header[3], f"line {line}")
    yield ResultFileSummary(
        format="csv",
        message_id=None,
        original_message_id=header[0],
        run_id=None,
        count=declared_count,
        total_fen=declared_total,
    )
    count = 0
    total = 0
    for row in rows:
        line += 1
        if not row or not any(cell.strip() for cell in row):
            continue
        if row[0].strip() == "序号":  # an optional title row
            continue
        where = f"line {line}"
        if len(row) != 6 or any(len(cell) > _MAX_CSV_FIELD for cell in row):
            raise ResultFileInvalid(
                "result_malformed",
                "a line must be 序号,指令号,状态,失败原因,银行流水号,金额 (truncated?)",
                "明细行须为：序号,指令号,状态,失败原因,银行流水号,金额（文件可能不完整）",
                where=where,
            )
        seq, instruction, status_text, reason_text, reference, amount_text = (cell.strip() for cell in row)
        _count(seq, where)
        instruction_id = _instruction_id(instruction, where)
        amount = _amount_fen(amount_text, where)
        count += 1
        total += amount
        if status_text == STATUS_PAID:
            yield TransferResult(
                instruction_id=instruction_id,
                status=TransferStatus.PAID,
                bank_reference=reference or None,
                settled_on=processed_on,
                amount_fen=amount,
            )
        elif status_text == STATUS_FAILED:
            yield TransferResult(
                instruction_id=instruction_id,
                status=TransferStatus.FAILED,
                failure_reason=failure_reason_from_text(reason_text),
                bank_reason_code=reason_text or None,
                bank_reference=reference or None,
                settled_on=processed_on,
                amount_fen=amount,
            )
        elif status_text == CSV_STATUS_PENDING:
            yield TransferResult(
                instruction_id=instruction_id, status=TransferStatus.PENDING, bank_reference=reference or None
            )
        else:
            raise ResultFileInvalid(
                "result_bad_value", "状态 must be 成功, 失败 or 处理中", "状态须为 成功、失败 或 处理中", where=where
            )
    if (count, total) != (declared_count, declared_total):
        raise ResultFileInvalid(
            "result_totals_mismatch",
            f"the header declares {declared_count} lines totalling {declared_total} fen, "
            f"the file has {count} totalling {total} fen",
            f"首行声明{declared_count}笔共{declared_total}分，实际为{count}笔共{total}分",
        )
