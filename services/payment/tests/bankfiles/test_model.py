"""The pure bank-file values: header checks, the result invariant, the reason-code mapping."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import uuid4

import pytest

from payment.bankfiles.domain.errors import BatchInvalid
from payment.bankfiles.domain.model import (
    CSV_REASON_TEXT,
    ISO_CODE_FOR_REASON,
    BatchHeader,
    TransferResult,
    TransferStatus,
    failure_reason_from_iso,
    failure_reason_from_text,
)
from services.payment.tests.bankfiles.factories import header
from shared.events.payment import PaymentFailureReason as R


class TestBatchHeader:
    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"message_id": ""}, "batch_message_id"),
            ({"message_id": "X" * 36}, "batch_message_id"),
            ({"message_id": "批次1"}, "batch_message_id"),
            ({"created_at": datetime(2026, 12, 1, 9, 30)}, "batch_datetime_naive"),
            ({"transaction_count": 0}, "batch_empty"),
            ({"control_sum_fen": 0}, "batch_total_out_of_range"),
            ({"control_sum_fen": 10**15 + 1}, "batch_total_out_of_range"),
        ],
    )
    def test_refusals(self, change: dict[str, object], reason: str) -> None:
        with pytest.raises(BatchInvalid) as info:
            replace(header(1, 100), **change)  # type: ignore[arg-type]
        assert info.value.reason == reason
        assert info.value.message_zh

    def test_payment_information_id_fits_max35text(self) -> None:
        assert len(header(1, 100).payment_information_id) == 32
        assert isinstance(header(1, 100), BatchHeader)


class TestTransferResult:
    def test_a_failure_needs_a_reason_and_only_a_failure_has_one(self) -> None:
        with pytest.raises(ValueError, match="failure reason"):
            TransferResult(instruction_id=uuid4(), status=TransferStatus.FAILED)
        with pytest.raises(ValueError, match="failure reason"):
            TransferResult(instruction_id=uuid4(), status=TransferStatus.PAID, failure_reason=R.BANK_REJECTED)


class TestReasonMapping:
    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("AC04", R.ACCOUNT_CLOSED),
            ("ac04", R.ACCOUNT_CLOSED),
            ("AC06", R.ACCOUNT_FROZEN),
            ("BE01", R.NAME_MISMATCH),
            ("AC01", R.INVALID_ACCOUNT),
            ("MD07", R.PAYEE_DECEASED),
            ("AM04", R.BANK_REJECTED),
            ("NARR", R.BANK_REJECTED),
            (None, R.BANK_REJECTED),
        ],
    )
    def test_iso_codes(self, code: str | None, reason: R) -> None:
        assert failure_reason_from_iso(code) is reason

    @pytest.mark.parametrize("reason", list(R))
    def test_the_simulators_codes_and_texts_map_back(self, reason: R) -> None:
        assert failure_reason_from_iso(ISO_CODE_FOR_REASON[reason]) is reason
        assert failure_reason_from_text(CSV_REASON_TEXT[reason]) is reason
