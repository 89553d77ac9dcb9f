"""The pain.001.001.09 writer: valid against the official XSD, exact totals, streaming memory."""

from __future__ import annotations

import io
import re
import tracemalloc
from decimal import Decimal
from uuid import UUID

import pytest
from lxml import etree

from payment.bankfiles.adapters.pain001 import PAIN001_NAMESPACE, PAIN001_XSD, write_pain001
from payment.bankfiles.domain.errors import BatchInvalid, BatchTotalsMismatch
from payment.bankfiles.domain.model import BankId, Transfer, batch_totals
from services.payment.tests.bankfiles.factories import (
    PAYEE_BANK,
    card,
    header,
    instruction_id,
    streamed_totals,
    transfer,
    transfers,
)

NS = {"p": PAIN001_NAMESPACE}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(PAIN001_XSD)))


def written(batch: list[Transfer]) -> bytes:
    out = io.BytesIO()
    write_pain001(header(*batch_totals(batch)), batch, out)
    return out.getvalue()


class TestAgainstTheOfficialSchema:
    def test_a_few_transfers_validate(self, schema: etree.XMLSchema) -> None:
        batch = [
            transfer(1),
            transfer(2, amount_fen=1),
            Transfer(
                instruction_id=instruction_id(3),
                payee_name='O\'Brien & <李> "四"',  # escaped, not broken
                payee_account=card(3),
                payee_bank=BankId(bic="ABOCCNBJ040"),  # a BIC only
                amount_fen=123_456_789,
                remittance="2026-12 临时救助金 & 低保金",
            ),
        ]
        document = etree.fromstring(written(batch))
        assert schema.validate(document), schema.error_log

    def test_a_file_of_a_thousand_validates(self, schema: etree.XMLSchema) -> None:
        count, total = streamed_totals(1000)
        out = io.BytesIO()
        write_pain001(header(count, total), transfers(1000), out)
        assert schema.validate(etree.fromstring(out.getvalue())), schema.error_log


class TestContent:
    def test_control_sum_and_count_equal_the_transfers_to_the_fen(self) -> None:
        batch = [transfer(n, amount_fen=amount) for n, amount in enumerate([1, 99, 100, 10_001, 12_345_678], 1)]
        document = etree.fromstring(written(batch))
        amounts = [Decimal(a) for a in document.xpath("//p:CdtTrfTxInf/p:Amt/p:InstdAmt/text()", namespaces=NS)]
        assert document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "5"
        for path in ("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", "p:CstmrCdtTrfInitn/p:PmtInf/p:CtrlSum"):
            assert Decimal(document.findtext(path, namespaces=NS)) == sum(amounts) == Decimal("123558.79")

    def test_amounts_have_exactly_two_decimals_and_the_currency(self) -> None:
        document = etree.fromstring(written([transfer(1, amount_fen=500), transfer(2, amount_fen=7)]))
        amounts = document.xpath("//p:InstdAmt", namespaces=NS)
        assert [a.text for a in amounts] == ["5.00", "0.07"]
        assert {a.get("Ccy") for a in amounts} == {"CNY"}

    def test_end_to_end_id_is_the_instruction_id_and_the_payee_is_complete(self) -> None:
        document = etree.fromstring(written([transfer(7)]))
        tx = document.find(".//p:CdtTrfTxInf", namespaces=NS)
        assert UUID(tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)) == instruction_id(7)
        assert tx.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == card(7).value
        assert tx.findtext("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", namespaces=NS) == PAYEE_BANK.cnaps
        assert tx.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == "2026-12 低保金"

    def test_a_stream_that_disagrees_with_the_header_is_refused_at_the_end(self) -> None:
        count, total = streamed_totals(3)
        with pytest.raises(BatchTotalsMismatch) as info:
            write_pain001(header(count, total + 1), transfers(3), io.BytesIO())
        assert info.value.reason == "batch_totals_mismatch"
        with pytest.raises(BatchTotalsMismatch):
            write_pain001(header(count + 1, total), transfers(3), io.BytesIO())

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"amount_fen": 0}, "batch_amount"),
            ({"amount_fen": -5}, "batch_amount"),
            ({"payee_name": ""}, "batch_text_empty"),
            ({"payee_name": "=HYPERLINK(1)"}, "batch_text_chars"),
            ({"remittance": "低保\x00金"}, "batch_text_chars"),
            ({"remittance": "低" * 141}, "batch_text_too_long"),
        ],
    )
    def test_a_transfer_no_bank_file_may_carry_is_refused(self, change: dict[str, object], reason: str) -> None:
        fields: dict[str, object] = {
            "instruction_id": instruction_id(1),
            "payee_name": "张三",
            "payee_account": card(1),
            "payee_bank": PAYEE_BANK,
            "amount_fen": 100,
            "remittance": "2026-12 低保金",
        } | change
        with pytest.raises(BatchInvalid) as info:
            Transfer(**fields)  # type: ignore[arg-type]
        assert info.value.reason == reason

    @pytest.mark.parametrize(
        ("bank", "reason"),
        [
            ({}, "batch_bank_id_missing"),
            ({"cnaps": "10310000002"}, "batch_bank_cnaps"),
            ({"bic": "icbkcnbj"}, "batch_bank_bic"),
        ],
    )
    def test_a_bank_needs_a_valid_cnaps_number_or_bic(self, bank: dict[str, str], reason: str) -> None:
        with pytest.raises(BatchInvalid) as info:
            BankId(**bank)
        assert info.value.reason == reason


class _CountingSink(io.RawIOBase):
    """A write-only stream that keeps nothing but a byte count and the first kilobyte."""

    def __init__(self) -> None:
        self.size = 0
        self.head = b""

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if len(self.head) < 1024:
            self.head += bytes(data[:1024])
        self.size += len(data)
        return len(data)


class TestStreaming:
    def test_two_hundred_thousand_transfers_in_bounded_memory(self) -> None:
        """Memory shape, not time: the writer's peak stays far below what the list of transfers
        would hold (measured on a sample), and the header carries the exact totals."""
        count, total = streamed_totals(200_000)
        tracemalloc.start()
        try:
            sample = list(transfers(2_000))
            list_bytes_per_transfer = tracemalloc.get_traced_memory()[0] / len(sample)
            del sample
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
            sink = _CountingSink()
            write_pain001(header(count, total), transfers(200_000), sink)
            peak = tracemalloc.get_traced_memory()[1] - baseline
        finally:
            tracemalloc.stop()
        as_list = list_bytes_per_transfer * 200_000
        assert peak < 1_000_000, f"peak {peak} bytes"
        assert peak < as_list / 50, f"peak {peak} bytes vs {as_list:.0f} for the list"
        assert sink.size > 200_000 * 400  # the file really was written (~100 MB), and not kept
        head = sink.head.decode("utf-8", errors="ignore")
        assert re.search(r"<NbOfTxs>200000</NbOfTxs><CtrlSum>(\d+\.\d{2})</CtrlSum>", head)
        ctrl_sum = re.search(r"<CtrlSum>(\d+\.\d{2})</CtrlSum>", head)
        assert ctrl_sum is not None
        assert Decimal(ctrl_sum.group(1)) * 100 == total
