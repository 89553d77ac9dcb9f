"""A plain CSV 代发 (batch salary / benefit payment) file as Chinese bank portals commonly take it,
written streaming, and the matching return file layout that ``results.read_csv_results`` reads.

Batch file layout (comma-separated, one record a line, ``\\r\\n``):

- line 1, the header: ``批次号,总笔数,总金额`` as values (``JZ-20261201-0001,3,1500.06``);
- then one line per transfer: ``序号,收款账号,收款户名,金额,用途,指令号``
  (``1,6217000000000000012,张三,500.01,2026-12 低保金,<instruction id hex>``).

Amounts are yuan with exactly two decimals; 序号 counts from 1; 指令号 is the instruction id as
32 hex digits (the bank echoes it in the return file).

Encoding: ``utf-8-sig`` (UTF-8 with a byte-order mark) by default: it encodes every name,
including rare characters (生僻字) outside GBK, and the BOM lets Excel and most portals detect
UTF-8. Many bank portals still want GBK: pass ``encoding="gbk"`` (or ``"gb18030"``, GBK's
superset). A name GBK cannot encode refuses the batch (``batch_text_not_encodable``, naming the
line) instead of writing ``?``; such a payee needs the UTF-8 file or the bank's manual channel.

Return file layout (what the bank simulator writes and the reader expects):

- line 1: ``批次号,总笔数,总金额,处理日期`` as values (the original batch's totals and the date
  the bank processed it, ``YYYY-MM-DD`` or ``YYYYMMDD``);
- one line per transfer: ``序号,指令号,状态,失败原因,银行流水号,金额`` with 状态 ``成功`` or
  ``失败``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final, Literal

from payment.bankfiles.domain.errors import BatchInvalid, BatchTotalsMismatch
from payment.bankfiles.domain.model import BatchHeader, Transfer
from shared.types import format_fen

CsvEncoding = Literal["utf-8-sig", "gbk", "gb18030"]
CSV_ENCODINGS: Final = ("utf-8-sig", "gbk", "gb18030")
STATUS_PAID: Final = "成功"
STATUS_FAILED: Final = "失败"


def _encode(text: str, encoder: codecs.IncrementalEncoder, encoding: str, line_no: int) -> bytes:
    try:
        return encoder.encode(text)
    except UnicodeEncodeError:
        raise BatchInvalid(
            f"line {line_no} has characters {encoding} cannot encode; use the UTF-8 file",
            f"第{line_no}行含有{encoding}无法编码的字符，请使用UTF-8文件",
            reason="batch_text_not_encodable",
        ) from None


def _check_encoding(encoding: str) -> None:
    if encoding not in CSV_ENCODINGS:
        raise ValueError(f"encoding must be one of {CSV_ENCODINGS}")


def csv_daifa_head(header: BatchHeader, *, encoding: CsvEncoding = "utf-8-sig") -> bytes:
    """The file's first line (批次号,总笔数,总金额), after the byte-order mark of ``utf-8-sig``."""
    _check_encoding(encoding)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        [header.message_id, header.transaction_count, format_fen(header.control_sum_fen)]
    )
    return _encode(buffer.getvalue(), codecs.getincrementalencoder(encoding)(), encoding, 1)


def write_csv_daifa_transfers(
    transfers: Iterable[Transfer], out: BinaryIO, *, encoding: CsvEncoding = "utf-8-sig", first: int = 1
) -> tuple[int, int]:
    """The transfers' lines to ``out``, numbered (序号) from ``first``, one at a time: (how many,
    their fen). A file is ``csv_daifa_head`` then the lines of one or more calls in order (the
    byte-order mark is the head's alone)."""
    _check_encoding(encoding)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    encoder = codecs.getincrementalencoder("utf-8" if encoding == "utf-8-sig" else encoding)()
    count = 0
    total = 0
    for transfer in transfers:
        writer.writerow(
            [
                first + count,
                transfer.payee_account.value,
                transfer.payee_name,
                format_fen(transfer.amount_fen),
                transfer.remittance,
                transfer.end_to_end_id,
            ]
        )
        count += 1
        total += transfer.amount_fen
        out.write(_encode(buffer.getvalue(), encoder, encoding, first + count))
        buffer.seek(0)
        buffer.truncate()
    return count, total


def write_csv_daifa(
    header: BatchHeader, transfers: Iterable[Transfer], out: BinaryIO, *, encoding: CsvEncoding = "utf-8-sig"
) -> None:
    """Write the CSV 代发 file for ``header`` and ``transfers`` to ``out``, one line at a time.

    Raises ``BatchInvalid`` (``batch_text_not_encodable``) when a name or text cannot be
    encoded, and ``BatchTotalsMismatch`` after the last line when the stream disagrees with
    the header's totals (discard ``out`` in both cases).
    """
    out.write(csv_daifa_head(header, encoding=encoding))
    streamed = write_csv_daifa_transfers(transfers, out, encoding=encoding)
    if streamed != (header.transaction_count, header.control_sum_fen):
        raise BatchTotalsMismatch(declared=(header.transaction_count, header.control_sum_fen), streamed=streamed)


@dataclass(frozen=True, slots=True)
class CsvBatchLine:
    """One line of a CSV 代发 file as the bank reads it back (the simulator's view)."""

    seq: int
    account: str
    payee_name: str
    amount_fen: int
    remittance: str
    end_to_end_id: str


def read_csv_daifa(
    stream: BinaryIO, *, encoding: CsvEncoding = "utf-8-sig"
) -> tuple[tuple[str, int, int], Iterator[CsvBatchLine]]:
    """The header (批次号, 总笔数, 总金额 in fen) and the lines of a CSV 代发 file, lazily. For the
    bank simulator and round-trip tests: it trusts the layout ``write_csv_daifa`` writes and
    raises ``ValueError`` on anything else."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    rows = csv.reader(text, strict=True)
    batch_no, count, total = next(rows)

    def lines() -> Iterator[CsvBatchLine]:
        try:
            for seq, account, name, amount, remittance, e2e in rows:
                yield CsvBatchLine(int(seq), account, name, _fen(amount), remittance, e2e)
        finally:
            text.detach()  # leave the caller's stream open

    return (batch_no, int(count), _fen(total)), lines()


def _fen(yuan: str) -> int:
    whole, _, fraction = yuan.partition(".")
    if not whole.isdigit() or len(fraction) != 2 or not fraction.isdigit():
        raise ValueError("amounts are yuan with two decimals")
    return int(whole) * 100 + int(fraction)
