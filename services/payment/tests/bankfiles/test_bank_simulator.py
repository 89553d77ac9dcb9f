"""The bank simulator closes the loop: batch file → result file → every instruction accounted for."""

from __future__ import annotations

import io
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from payment.bankfiles.adapters.bank_simulator import BankSimulator
from payment.bankfiles.adapters.csv_daifa import write_csv_daifa
from payment.bankfiles.adapters.pain001 import write_pain001
from payment.bankfiles.adapters.results import read_results
from payment.bankfiles.domain.model import Transfer, TransferResult, TransferStatus, batch_totals
from services.payment.tests.bankfiles.factories import (
    CREATED_AT,
    EXECUTION_DATE,
    card,
    header,
    streamed_totals,
    transfer,
    transfers,
)
from shared.events.payment import PaymentFailureReason


def batch(count: int) -> list[Transfer]:
    """``count`` transfers; every tenth pays into an account ending in 0000."""
    return [transfer(n, account=card(n, ending="0000")) if n % 10 == 0 else transfer(n) for n in range(1, count + 1)]


def simulator(*, seed: int = 7, failure_rate: float = 0.0) -> BankSimulator:
    return BankSimulator(created_at=CREATED_AT, processed_on=EXECUTION_DATE, seed=seed, failure_rate=failure_rate)


def via_pain002(transfers: list[Transfer], bank: BankSimulator) -> list[TransferResult]:
    pain001 = io.BytesIO()
    write_pain001(header(*batch_totals(transfers)), transfers, pain001)
    pain001.seek(0)
    pain002 = io.BytesIO()
    bank.pain002_for(pain001, pain002)
    summary, results = read_results(io.BytesIO(pain002.getvalue()), "pain002")
    assert summary.original_message_id == "JZ-20261201-0001"
    assert (summary.count, summary.total_fen) == batch_totals(transfers)
    return list(results)


def via_csv(transfers: list[Transfer], bank: BankSimulator) -> list[TransferResult]:
    daifa = io.BytesIO()
    write_csv_daifa(header(*batch_totals(transfers)), transfers, daifa, encoding="gbk")
    daifa.seek(0)
    returned = io.BytesIO()
    bank.csv_result_for(daifa, returned, encoding="gbk")
    summary, results = read_results(io.BytesIO(returned.getvalue()), "csv", encoding="gbk")
    assert (summary.count, summary.total_fen) == batch_totals(transfers)
    return list(results)


Loop = Callable[[list[Transfer], BankSimulator], list[TransferResult]]


@pytest.mark.parametrize("loop", [via_pain002, via_csv])
class TestRoundTrip:
    def test_every_instruction_is_accounted_for_once(self, loop: Loop) -> None:
        transfers = batch(50)
        results = loop(transfers, simulator(failure_rate=0.2))
        assert [r.instruction_id for r in results] == [t.instruction_id for t in transfers]
        assert [r.amount_fen for r in results] == [t.amount_fen for t in transfers]
        assert {r.status for r in results} <= {TransferStatus.PAID, TransferStatus.FAILED}

    def test_accounts_ending_in_0000_fail_as_invalid_account(self, loop: Loop) -> None:
        transfers = batch(30)
        results = loop(transfers, simulator())
        failed = {r.instruction_id: r.failure_reason for r in results if r.status is TransferStatus.FAILED}
        assert failed == {
            t.instruction_id: PaymentFailureReason.INVALID_ACCOUNT
            for t in transfers
            if t.payee_account.value.endswith("0000")
        }
        paid = [r for r in results if r.status is TransferStatus.PAID]
        assert all(r.settled_on == EXECUTION_DATE and r.bank_reference for r in paid)
        assert len({r.bank_reference for r in paid}) == len(paid)

    def test_outcomes_are_deterministic_by_seed(self, loop: Loop) -> None:
        transfers = batch(200)
        first = loop(transfers, simulator(seed=1, failure_rate=0.3))
        assert loop(transfers, simulator(seed=1, failure_rate=0.3)) == first
        assert loop(transfers, simulator(seed=2, failure_rate=0.3)) != first


def test_the_failure_rate_is_roughly_kept_and_reasons_vary() -> None:
    transfers = [transfer(n) for n in range(1, 2001)]  # no 0000 accounts
    results = via_pain002(transfers, simulator(failure_rate=0.1))
    reasons = Counter(r.failure_reason for r in results if r.status is TransferStatus.FAILED)
    assert 140 <= sum(reasons.values()) <= 260
    assert len(reasons) >= 4


def test_a_batch_file_on_disk(tmp_path: Path) -> None:
    transfers = batch(20)
    batch_path = tmp_path / "batch.xml"
    with batch_path.open("wb") as out:
        write_pain001(header(*batch_totals(transfers)), transfers, out)
    result_path = tmp_path / "result.xml"
    with result_path.open("wb") as out:
        simulator().pain002_for(batch_path, out)
    summary, results = read_results(result_path, "pain002")
    assert summary.count == 20
    assert sum(1 for _ in results) == 20


def test_the_failure_rate_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="failure_rate"):
        simulator(failure_rate=1.5)


def test_simulating_and_reading_a_large_batch_stream(tmp_path: Path) -> None:
    """5,000 transfers: the simulator's two passes and the reader keep Python's memory flat (the
    files are read from disk, never held; tracemalloc does not see libxml2's own allocations,
    which the readers keep flat by pruning each processed subtree)."""
    count, total = streamed_totals(5_000)
    batch_path, result_path = tmp_path / "batch.xml", tmp_path / "result.xml"
    with batch_path.open("wb") as out:
        write_pain001(header(count, total), transfers(5_000), out)
    tracemalloc.start()
    try:
        with result_path.open("wb") as out:
            simulator(failure_rate=0.05).pain002_for(batch_path, out)
        simulate_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        summary, results = read_results(result_path, "pain002")
        statuses = Counter(r.status for r in results)
        read_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (summary.count, summary.total_fen) == (count, total)
    assert sum(statuses.values()) == count
    assert result_path.stat().st_size > 1_000_000
    # Holding the 5,000 results (or the parsed tree's Python proxies) would take megabytes.
    assert simulate_peak < 300_000, f"simulator peak {simulate_peak} bytes"
    assert read_peak < 300_000, f"reader peak {read_peak} bytes"


def test_camt054_books_exactly_the_paid_transfers() -> None:
    """pain.002 says what was rejected, camt.054 books what was paid: together every instruction
    once, with the same bank references."""
    transfers = batch(60)
    bank = simulator(seed=3, failure_rate=0.2)
    pain001 = io.BytesIO()
    write_pain001(header(*batch_totals(transfers)), transfers, pain001)
    pain001.seek(0)
    camt = io.BytesIO()
    bank.camt054_for(pain001, camt)
    summary, booked = read_results(io.BytesIO(camt.getvalue()), "camt054")
    booked_results = list(booked)
    status_report = via_pain002(transfers, bank)
    paid = [r for r in status_report if r.status is TransferStatus.PAID]
    assert [(r.instruction_id, r.amount_fen, r.bank_reference) for r in booked_results] == [
        (r.instruction_id, r.amount_fen, r.bank_reference) for r in paid
    ]
    assert all(r.status is TransferStatus.PAID and r.settled_on == EXECUTION_DATE for r in booked_results)
    assert (summary.count, summary.total_fen) == (len(paid), sum(r.amount_fen or 0 for r in paid))
    rejected = {r.instruction_id for r in status_report if r.status is TransferStatus.FAILED}
    assert rejected | {r.instruction_id for r in booked_results} == {t.instruction_id for t in transfers}
    assert not rejected & {r.instruction_id for r in booked_results}


def test_camt054_of_a_batch_where_nothing_was_paid() -> None:
    transfers = [transfer(n, account=card(n, ending="0000")) for n in range(1, 4)]
    pain001 = io.BytesIO()
    write_pain001(header(*batch_totals(transfers)), transfers, pain001)
    pain001.seek(0)
    camt = io.BytesIO()
    simulator().camt054_for(pain001, camt)
    summary, booked = read_results(io.BytesIO(camt.getvalue()), "camt054")
    assert (summary.count, summary.total_fen, list(booked)) == (0, 0, [])
