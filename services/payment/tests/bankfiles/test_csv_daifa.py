"""The CSV 代发 writer: layout, encodings, round trip, refusals, streaming."""

from __future__ import annotations

import codecs
import io
import tracemalloc

import pytest

from payment.bankfiles.adapters.csv_daifa import CsvEncoding, read_csv_daifa, write_csv_daifa
from payment.bankfiles.domain.errors import BatchInvalid, BatchTotalsMismatch
from payment.bankfiles.domain.model import Transfer, batch_totals
from services.payment.tests.bankfiles.factories import (
    PAYEE_BANK,
    card,
    header,
    instruction_id,
    streamed_totals,
    transfer,
    transfers,
)


def written(batch: list[Transfer], encoding: CsvEncoding = "utf-8-sig") -> bytes:
    out = io.BytesIO()
    write_csv_daifa(header(*batch_totals(batch)), batch, out, encoding=encoding)
    return out.getvalue()


class TestLayout:
    def test_header_line_then_one_line_per_transfer(self) -> None:
        text = written([transfer(1, amount_fen=50_001), transfer(2, amount_fen=7)]).decode("utf-8-sig")
        assert text.splitlines() == [
            "JZ-20261201-0001,2,500.08",
            f"1,{card(1).value},张四1,500.01,2026-12 低保金,{instruction_id(1).hex}",
            f"2,{card(2).value},张五2,0.07,2026-12 低保金,{instruction_id(2).hex}",
        ]
        assert "\r\n" in text

    def test_utf8_carries_one_bom_at_the_start(self) -> None:
        data = written([transfer(1), transfer(2)])
        assert data.startswith(codecs.BOM_UTF8)
        assert data.count(codecs.BOM_UTF8) == 1

    @pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
    def test_gbk_on_request(self, encoding: CsvEncoding) -> None:
        data = written([transfer(1)], encoding=encoding)
        assert not data.startswith(codecs.BOM_UTF8)
        assert "张四1" in data.decode(encoding)
        assert "张四1".encode(encoding) in data

    def test_a_name_gbk_cannot_encode_refuses_the_batch(self) -> None:
        rare = Transfer(
            instruction_id=instruction_id(1),
            payee_name="王𠀾",  # a 生僻字 outside GBK (in GB18030 and UTF-8)
            payee_account=card(1),
            payee_bank=PAYEE_BANK,
            amount_fen=100,
            remittance="2026-12 低保金",
        )
        with pytest.raises(BatchInvalid) as info:
            written([rare], encoding="gbk")
        assert info.value.reason == "batch_text_not_encodable"
        assert "𠀾" not in info.value.detail
        assert "王𠀾" in written([rare]).decode("utf-8-sig")
        assert "王𠀾" in written([rare], encoding="gb18030").decode("gb18030")

    def test_unknown_encoding_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="encoding"):
            written([transfer(1)], encoding="latin-1")  # type: ignore[arg-type]


class TestRoundTrip:
    @pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
    def test_what_is_written_reads_back(self, encoding: CsvEncoding) -> None:
        tricky = Transfer(
            instruction_id=instruction_id(9),
            payee_name='李"四", 五',
            payee_account=card(9),
            payee_bank=PAYEE_BANK,
            amount_fen=123_456,
            remittance="2026-12 低保金, 补发",
        )
        batch = [transfer(1), tricky, transfer(3, amount_fen=1)]
        (batch_no, count, total), lines = read_csv_daifa(io.BytesIO(written(batch, encoding)), encoding=encoding)
        assert (batch_no, count, total) == ("JZ-20261201-0001", 3, sum(t.amount_fen for t in batch))
        back = [(ln.seq, ln.account, ln.payee_name, ln.amount_fen, ln.remittance, ln.end_to_end_id) for ln in lines]
        assert back == [
            (i, t.payee_account.value, t.payee_name, t.amount_fen, t.remittance, t.instruction_id.hex)
            for i, t in enumerate(batch, 1)
        ]

    def test_a_stream_that_disagrees_with_the_header_is_refused_at_the_end(self) -> None:
        count, total = streamed_totals(4)
        with pytest.raises(BatchTotalsMismatch):
            write_csv_daifa(header(count, total - 1), transfers(4), io.BytesIO())


class TestStreaming:
    def test_fifty_thousand_lines_in_bounded_memory(self) -> None:
        count, total = streamed_totals(50_000)
        tracemalloc.start()
        try:
            write_csv_daifa(header(count, total), transfers(50_000), _Discard())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 500_000, f"peak {peak} bytes"


class _Discard(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return len(data)
