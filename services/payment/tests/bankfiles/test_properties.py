"""Properties over generated batches (hypothesis): totals exact to the fen in both formats, and
batch → bank simulator → result file → reader accounts for every instruction with its amount."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from payment.bankfiles.adapters.bank_simulator import BankSimulator
from payment.bankfiles.adapters.csv_daifa import read_csv_daifa, write_csv_daifa
from payment.bankfiles.adapters.pain001 import PAIN001_NAMESPACE, write_pain001
from payment.bankfiles.adapters.results import read_results
from payment.bankfiles.domain.model import Transfer, TransferStatus, batch_totals
from services.payment.tests.bankfiles.factories import CREATED_AT, EXECUTION_DATE, card, header, transfer

amounts = st.lists(st.integers(min_value=1, max_value=10**10), min_size=1, max_size=40)
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_batch(fen: list[int], zero_accounts: set[int] | None = None) -> list[Transfer]:
    zero_accounts = zero_accounts or set()
    return [
        transfer(n, amount_fen=a, account=card(n, ending="0000") if n in zero_accounts else None)
        for n, a in enumerate(fen, 1)
    ]


@PROPERTY_SETTINGS
@given(amounts)
def test_pain001_control_sum_is_the_exact_sum(fen: list[int]) -> None:
    batch = make_batch(fen)
    out = io.BytesIO()
    write_pain001(header(*batch_totals(batch)), batch, out)
    document = etree.fromstring(out.getvalue())
    ns = {"p": PAIN001_NAMESPACE}
    ctrl_sum = Decimal(document.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns))
    listed = [Decimal(a) for a in document.xpath("//p:InstdAmt/text()", namespaces=ns)]
    assert ctrl_sum * 100 == sum(fen)
    assert sum(listed) == ctrl_sum
    assert [int(a * 100) for a in listed] == fen


@PROPERTY_SETTINGS
@given(amounts)
def test_csv_amounts_round_trip_to_the_fen(fen: list[int]) -> None:
    batch = make_batch(fen)
    out = io.BytesIO()
    write_csv_daifa(header(*batch_totals(batch)), batch, out)
    (_, count, total), lines = read_csv_daifa(io.BytesIO(out.getvalue()))
    assert (count, total) == (len(fen), sum(fen))
    assert [line.amount_fen for line in lines] == fen


@PROPERTY_SETTINGS
@given(amounts, st.data(), st.integers(0, 2**32), st.floats(0.0, 1.0))
def test_every_instruction_comes_back_once_with_its_amount(
    fen: list[int], data: st.DataObject, seed: int, failure_rate: float
) -> None:
    zero_accounts = data.draw(st.sets(st.integers(1, len(fen))))
    batch = make_batch(fen, zero_accounts)
    bank = BankSimulator(created_at=CREATED_AT, processed_on=EXECUTION_DATE, seed=seed, failure_rate=failure_rate)
    pain001 = io.BytesIO()
    write_pain001(header(*batch_totals(batch)), batch, pain001)
    pain001.seek(0)
    pain002 = io.BytesIO()
    bank.pain002_for(pain001, pain002)
    summary, results = read_results(io.BytesIO(pain002.getvalue()), "pain002")
    back = list(results)
    assert [(r.instruction_id, r.amount_fen) for r in back] == [(t.instruction_id, t.amount_fen) for t in batch]
    assert (summary.count, summary.total_fen) == (len(fen), sum(fen))
    for number, result in enumerate(back, 1):
        if number in zero_accounts:
            assert result.status is TransferStatus.FAILED
        assert (result.status is TransferStatus.FAILED) == (result.failure_reason is not None)
