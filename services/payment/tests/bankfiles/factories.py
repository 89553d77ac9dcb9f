"""Batch headers and transfers for the bank-file tests (synthetic accounts with valid Luhn digits)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from uuid import UUID

from payment.bankfiles.domain.model import BankId, BatchHeader, Debtor, Transfer
from shared.types import BankAccountNumber, luhn_check_digit
from shared.types.business_time import BUSINESS_TZ

RUN_ID = UUID("0b6f3d4e-1c2a-4b7e-9f10-2a3b4c5d6e7f")
CREATED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=BUSINESS_TZ)
EXECUTION_DATE = date(2026, 12, 5)
BUREAU = Debtor(
    name="某某县民政局",
    account=BankAccountNumber("110060224018010012345"),  # 21-digit 对公 account: no Luhn
    bank=BankId(name="中国工商银行某某县支行", cnaps="102100099996", bic="ICBKCNBJ"),
)
PAYEE_BANK = BankId(name="中国农业银行某某县支行", cnaps="103100000026")


def card(n: int, *, ending: str | None = None) -> BankAccountNumber:
    """A 19-digit 62… card number, distinct per ``n``; ``ending`` forces the last digits (the
    Luhn digit is then fixed by changing a body digit)."""
    if ending is None:
        body = f"621700{n:012d}"
        return BankAccountNumber(body + luhn_check_digit(body))
    for tweak in range(10):
        candidate = f"62170{tweak}{n:013d}"[: 19 - len(ending)] + ending
        if luhn_check_digit(candidate[:-1]) == candidate[-1]:
            return BankAccountNumber(candidate)
    raise AssertionError("no Luhn-valid number with that ending")


def instruction_id(n: int) -> UUID:
    return UUID(int=(0x4000 << 64) | (0x8 << 60) | n)


def transfer(n: int, *, amount_fen: int | None = None, account: BankAccountNumber | None = None) -> Transfer:
    return Transfer(
        instruction_id=instruction_id(n),
        payee_name=f"张{'三四五六七八'[n % 6]}{n}",
        payee_account=account if account is not None else card(n),
        payee_bank=PAYEE_BANK,
        amount_fen=amount_fen if amount_fen is not None else 50_000 + n % 997,
        remittance="2026-12 低保金",
    )


_ACCOUNT_POOL = tuple(card(n) for n in range(1, 98))
_NAMES = tuple(f"张{'三四五六七八'[n % 6]}{n}" for n in range(97))


def transfers(count: int) -> Iterator[Transfer]:
    """``count`` transfers made one at a time (accounts and names from a small pool, so that a
    large stream is cheap to make); amounts as ``streamed_totals`` sums them."""
    for n in range(1, count + 1):
        yield Transfer(
            instruction_id=UUID(int=(0x4000 << 64) | (0x8 << 60) | n),
            payee_name=_NAMES[n % 97],
            payee_account=_ACCOUNT_POOL[n % 97],
            payee_bank=PAYEE_BANK,
            amount_fen=50_000 + n % 997,
            remittance="2026-12 低保金",
        )


def header(count: int, total_fen: int, *, message_id: str = "JZ-20261201-0001") -> BatchHeader:
    return BatchHeader(
        run_id=RUN_ID,
        message_id=message_id,
        created_at=CREATED_AT,
        debtor=BUREAU,
        requested_execution_date=EXECUTION_DATE,
        transaction_count=count,
        control_sum_fen=total_fen,
    )


def streamed_totals(count: int) -> tuple[int, int]:
    """What the run's streaming query would say: (count, sum) of ``transfers(count)``."""
    return count, sum(50_000 + n % 997 for n in range(1, count + 1))
