"""Bank batch files (代发批量文件) and their results, as values: what goes to the bank and what
comes back. Pure: no I/O, no clock; the adapters read and write the file formats.

Money is integer fen (分) throughout; the formats' yuan text is made and read by the adapters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final, Literal
from uuid import UUID

from payment.bankfiles.domain.errors import BatchInvalid
from shared.events.payment import PaymentFailureReason
from shared.types import BankAccountNumber

CURRENCY: Final = "CNY"
MAX_NAME = 140  # ISO 20022 Max140Text (names); bank portals often allow fewer characters
MAX_REMITTANCE = 140  # Max140Text (RmtInf/Ustrd)
MAX_MESSAGE_ID = 35  # Max35Text (MsgId, PmtInfId, EndToEndId)
# The largest amount one file may carry: 10^15 fen keeps every CtrlSum inside ISO 20022's 18 digits.
MAX_TOTAL_FEN: Final = 10**15

_BIC_RE = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
_CNAPS_RE = re.compile(r"[0-9]{12}")
_MESSAGE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.]{0,34}")
# Control characters break XML 1.0 and CSV rows; leading = + - @ would make a spreadsheet
# formula out of a CSV cell (bank staff open these files in Excel).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@")


def _check_text(value: str, *, field: str, field_zh: str, max_len: int) -> None:
    if (value, max_len) in _PASSED:  # a text on every line of a file, e.g. "2026-12 低保金"
        return
    _check_new_text(value, field=field, field_zh=field_zh, max_len=max_len)
    if len(_PASSED) < _PASSED_MAX:
        _PASSED.add((value, max_len))


_PASSED: set[tuple[str, int]] = set()
"""Texts (with the length limit) that passed `_check_text`: the first `_PASSED_MAX` of them, so
the few texts repeated a hundred thousand times in a batch are checked once per process."""
_PASSED_MAX = 256


def _check_new_text(value: str, *, field: str, field_zh: str, max_len: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise BatchInvalid(f"{field} must not be empty", f"{field_zh}不能为空", reason="batch_text_empty")
    if len(value) > max_len:
        raise BatchInvalid(
            f"{field} must be at most {max_len} characters, got {len(value)}",
            f"{field_zh}不能超过{max_len}个字符，实际为{len(value)}个",
            reason="batch_text_too_long",
        )
    if _CONTROL_RE.search(value) or value.startswith(_FORMULA_START) or value != value.strip():
        raise BatchInvalid(
            f"{field} must not contain control characters, surrounding spaces or start with = + - @",
            f"{field_zh}不能包含控制字符、首尾空格，也不能以 = + - @ 开头",
            reason="batch_text_chars",
        )


@dataclass(frozen=True, slots=True)
class BankId:
    """The bank (开户行) of an account: its CNAPS 行号 (12-digit 联行号), its BIC, or both, and its
    name. Chinese domestic transfers route by the CNAPS number; the BIC is for banks that take
    ISO 20022 with BICs."""

    name: str | None = None
    cnaps: str | None = None
    bic: str | None = None

    def __post_init__(self) -> None:
        if self.cnaps is None and self.bic is None:
            raise BatchInvalid(
                "a bank needs its CNAPS number (联行号) or its BIC",
                "开户行须提供联行号或BIC",
                reason="batch_bank_id_missing",
            )
        if self.cnaps is not None and not _CNAPS_RE.fullmatch(self.cnaps):
            raise BatchInvalid(
                "a CNAPS bank number (联行号) has exactly 12 digits",
                "联行号须为12位数字",
                reason="batch_bank_cnaps",
            )
        if self.bic is not None and not _BIC_RE.fullmatch(self.bic):
            raise BatchInvalid(
                "a BIC has 8 or 11 upper-case letters and digits (e.g. ICBKCNBJ)",
                "BIC须为8位或11位大写字母和数字",
                reason="batch_bank_bic",
            )
        if self.name is not None:
            _check_text(self.name, field="bank name", field_zh="开户行名称", max_len=MAX_NAME)


@dataclass(frozen=True, slots=True)
class Debtor:
    """付款方: the county civil-affairs bureau's (县民政局) paying account."""

    name: str
    account: BankAccountNumber
    bank: BankId

    def __post_init__(self) -> None:
        _check_text(self.name, field="debtor name", field_zh="付款户名", max_len=MAX_NAME)


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """One payroll run's batch file (批次): the bank sees one message with one payment
    information block.

    ``transaction_count`` and ``control_sum_fen`` come first in both formats (pain.001 GrpHdr
    NbOfTxs / CtrlSum; the CSV header line), before any transfer is written. The caller computes
    them with the same query that streams the transfers (``count(*)``, ``sum(amount_fen)``); the
    writers count while they stream and raise ``BatchTotalsMismatch`` at the end when the
    stream disagreed (the partly written file must then be discarded). This keeps the writers
    one-pass with bounded memory, without a temporary file to prepend the totals to.
    """

    run_id: UUID
    message_id: str  # MsgId / 批次号: unique per file sent (a resend gets a new one)
    created_at: datetime  # aware
    debtor: Debtor
    requested_execution_date: date
    transaction_count: int
    control_sum_fen: int
    currency: Literal["CNY"] = CURRENCY

    def __post_init__(self) -> None:
        if not _MESSAGE_ID_RE.fullmatch(self.message_id):
            raise BatchInvalid(
                "message id must be 1-35 letters, digits, '-', '_' or '.'",
                "批次号须为1至35位字母、数字或 - _ .",
                reason="batch_message_id",
            )
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise BatchInvalid("created_at must be time-zone aware", "创建时间须带时区", reason="batch_datetime_naive")
        if isinstance(self.transaction_count, bool) or self.transaction_count < 1:
            raise BatchInvalid("a batch has at least one transfer", "批次至少包含一笔", reason="batch_empty")
        if isinstance(self.control_sum_fen, bool) or not 0 < self.control_sum_fen <= MAX_TOTAL_FEN:
            raise BatchInvalid(
                "the batch total must be positive and at most 10^13 yuan",
                "批次总金额须为正数且不超过10^13元",
                reason="batch_total_out_of_range",
            )

    @property
    def payment_information_id(self) -> str:
        """PmtInfId: the run id as 32 hex digits (a hyphenated UUID does not fit Max35Text)."""
        return self.run_id.hex


def check_payee_name(name: str) -> None:
    """收款户名 as a transfer takes it (`BatchInvalid` otherwise)."""
    _check_text(name, field="payee name", field_zh="收款户名", max_len=MAX_NAME)


def check_remittance(text: str) -> None:
    """用途 as a transfer takes it (`BatchInvalid` otherwise)."""
    _check_text(text, field="remittance text", field_zh="用途", max_len=MAX_REMITTANCE)


def check_amount(fen: int) -> None:
    """A transfer's amount: a positive whole number of fen, not absurdly large (`BatchInvalid`
    otherwise)."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen <= 0:
        raise BatchInvalid(
            "a transfer amount is a positive whole number of fen",
            "转账金额须为正整数（分）",
            reason="batch_amount",
        )
    if fen > MAX_TOTAL_FEN:
        raise BatchInvalid("transfer amount too large", "转账金额过大", reason="batch_amount")


@dataclass(frozen=True, slots=True)
class Transfer:
    """One payment instruction (发放指令) in a batch: credit ``amount_fen`` to the payee.

    ``instruction_id`` goes to the bank as the EndToEndId (32 hex digits; the bank echoes it
    in every result format), so a result finds its instruction without matching names or
    amounts.
    """

    instruction_id: UUID
    payee_name: str  # 收款户名: must match the account holder's name at the bank
    payee_account: BankAccountNumber
    payee_bank: BankId
    amount_fen: int
    remittance: str  # 用途 / 附言, e.g. "2026-12 低保金"

    def __post_init__(self) -> None:
        check_payee_name(self.payee_name)
        check_remittance(self.remittance)
        check_amount(self.amount_fen)

    @property
    def end_to_end_id(self) -> str:
        return self.instruction_id.hex


class TransferStatus(StrEnum):
    """What the bank says happened to one instruction."""

    PAID = "paid"  # 成功: credited to the payee (pain.002 ACSC, camt.054 booked debit, CSV 成功)
    FAILED = "failed"  # 失败 / 退票: not paid; see the failure reason
    # Accepted but not yet settled (pain.002 ACCP, ACSP, ACTC, PDNG, ACWC): not final. Marking
    # it paid would risk recording money that never arrives; a later report settles it.
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class TransferResult:
    """The bank's answer for one instruction."""

    instruction_id: UUID
    status: TransferStatus
    failure_reason: PaymentFailureReason | None = None
    bank_reason_code: str | None = None  # the bank's own code or text (AC04, 账户已销户), for the audit trail
    bank_reference: str | None = None  # 银行流水号 / AcctSvcrRef
    settled_on: date | None = None  # booking / settlement date (paid) or the date of the return (failed)
    amount_fen: int | None = None  # when the format carries it

    def __post_init__(self) -> None:
        if (self.status is TransferStatus.FAILED) != (self.failure_reason is not None):
            raise ValueError("a failure reason exactly when the transfer failed")


ResultFormat = Literal["pain002", "camt054", "csv"]


@dataclass(frozen=True, slots=True)
class ResultFileSummary:
    """What a result file says about itself, from its header.

    ``run_id`` is known when the file names the original payment information block (pain.002
    OrgnlPmtInfId) or the batch (CSV 批次号 is the original message id). ``count`` and
    ``total_fen`` are the file's own declared totals, checked by the reader against its lines;
    ``None`` when the format does not declare them.
    """

    format: ResultFormat
    message_id: str | None  # the result file's own id
    original_message_id: str | None  # the batch file's MsgId / 批次号
    run_id: UUID | None
    count: int | None
    total_fen: int | None
    created_at: datetime | None = None
    original_count: int | None = None  # the batch's NbOfTxs, when the file repeats it
    original_total_fen: int | None = None  # the batch's CtrlSum, when the file repeats it


# pain.002 / camt.054 status reason codes (ISO 20022 ExternalStatusReason1Code /
# ExternalReturnReason1Code) → our failure reasons. Anything not listed is "bank_rejected"
# (the raw code stays in `bank_reason_code`).
ISO_REASON_CODES: Final[dict[str, PaymentFailureReason]] = {
    "AC04": PaymentFailureReason.ACCOUNT_CLOSED,  # closed account number
    "AC06": PaymentFailureReason.ACCOUNT_FROZEN,  # blocked account
    "AC07": PaymentFailureReason.ACCOUNT_CLOSED,  # closed creditor account number
    "AG01": PaymentFailureReason.ACCOUNT_FROZEN,  # transaction forbidden on this account
    "BE01": PaymentFailureReason.NAME_MISMATCH,  # creditor name does not match the account
    "AC01": PaymentFailureReason.INVALID_ACCOUNT,  # incorrect account number
    "AC03": PaymentFailureReason.INVALID_ACCOUNT,  # invalid creditor account number
    "RC01": PaymentFailureReason.INVALID_ACCOUNT,  # incorrect bank identifier
    "MD07": PaymentFailureReason.PAYEE_DECEASED,  # end customer deceased
}

# CSV return files carry Chinese text; the first keyword found decides (order matters:
# "账户已冻结" must not fall through to a generic account rule).
CSV_REASON_KEYWORDS: Final[tuple[tuple[str, PaymentFailureReason], ...]] = (
    ("死亡", PaymentFailureReason.PAYEE_DECEASED),
    ("身故", PaymentFailureReason.PAYEE_DECEASED),
    ("冻结", PaymentFailureReason.ACCOUNT_FROZEN),
    ("止付", PaymentFailureReason.ACCOUNT_FROZEN),
    ("销户", PaymentFailureReason.ACCOUNT_CLOSED),
    ("已注销", PaymentFailureReason.ACCOUNT_CLOSED),
    ("户名", PaymentFailureReason.NAME_MISMATCH),
    ("账号不存在", PaymentFailureReason.INVALID_ACCOUNT),
    ("无此账", PaymentFailureReason.INVALID_ACCOUNT),
    ("账号错误", PaymentFailureReason.INVALID_ACCOUNT),
    ("账号有误", PaymentFailureReason.INVALID_ACCOUNT),
)


def failure_reason_from_iso(code: str | None) -> PaymentFailureReason:
    """An ISO 20022 reason code → our failure reason; unknown or missing → bank_rejected."""
    if code is None:
        return PaymentFailureReason.BANK_REJECTED
    return ISO_REASON_CODES.get(code.strip().upper(), PaymentFailureReason.BANK_REJECTED)


def failure_reason_from_text(text: str | None) -> PaymentFailureReason:
    """A CSV return file's 失败原因 (Chinese text, or one of our codes) → our failure reason."""
    if not text:
        return PaymentFailureReason.BANK_REJECTED
    cleaned = text.strip()
    try:
        return PaymentFailureReason(cleaned)
    except ValueError:
        pass
    if cleaned.upper() in ISO_REASON_CODES:
        return ISO_REASON_CODES[cleaned.upper()]
    for keyword, reason in CSV_REASON_KEYWORDS:
        if keyword in cleaned:
            return reason
    return PaymentFailureReason.BANK_REJECTED


# Reason texts the CSV writer side (the bank simulator) uses, one per failure reason.
CSV_REASON_TEXT: Final[dict[PaymentFailureReason, str]] = {
    PaymentFailureReason.ACCOUNT_CLOSED: "账户已销户",
    PaymentFailureReason.ACCOUNT_FROZEN: "账户冻结",
    PaymentFailureReason.NAME_MISMATCH: "户名与账号不符",
    PaymentFailureReason.INVALID_ACCOUNT: "账号不存在",
    PaymentFailureReason.PAYEE_DECEASED: "账户持有人已死亡",
    PaymentFailureReason.BANK_REJECTED: "银行退票",
}

# And the ISO code the pain.002 simulator reports for each.
ISO_CODE_FOR_REASON: Final[dict[PaymentFailureReason, str]] = {
    PaymentFailureReason.ACCOUNT_CLOSED: "AC04",
    PaymentFailureReason.ACCOUNT_FROZEN: "AC06",
    PaymentFailureReason.NAME_MISMATCH: "BE01",
    PaymentFailureReason.INVALID_ACCOUNT: "AC01",
    PaymentFailureReason.PAYEE_DECEASED: "MD07",
    PaymentFailureReason.BANK_REJECTED: "NARR",
}


def batch_totals(transfers: list[Transfer] | tuple[Transfer, ...]) -> tuple[int, int]:
    """(count, sum in fen) of an in-memory list of transfers: for tests and small batches; a
    payroll run computes both in its streaming query instead."""
    return len(transfers), sum(t.amount_fen for t in transfers)
