"""Tests for shared.types.bank_account: BankAccountNumber, Luhn, masking, the Pydantic edge."""

from __future__ import annotations

import copy
import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.types import (
    BankAccountNumber,
    InvalidBankAccountNumber,
    InvalidValueError,
    luhn_check_digit,
    luhn_valid,
    mask_bank_account_number,
)

# A 19-digit UnionPay-style debit card number with a correct Luhn digit (synthetic).
CARD = "6222021234567890128"
assert luhn_valid(CARD)


def card_numbers(min_len: int = 16, max_len: int = 19) -> st.SearchStrategy[str]:
    """Luhn-valid numbers of card length starting with 62 (银联)."""
    return st.integers(min_len, max_len).flatmap(
        lambda n: st.text("0123456789", min_size=n - 3, max_size=n - 3).map(
            lambda body: "62" + body + luhn_check_digit("62" + body)
        )
    )


class TestParsing:
    def test_a_card_number_is_kept_as_its_digits(self) -> None:
        assert BankAccountNumber(CARD).value == CARD

    @pytest.mark.parametrize(
        "typed",
        [
            "6222 0212 3456 7890 128",
            "6222-0212-3456-7890-128",
            " 6222021234567890128 ",
            "６２２２０２１２３４５６７８９０１２８",  # full-width digits
            "6222\u30000212345678901 28",  # ideographic space
        ],
    )
    def test_separators_and_full_width_digits_are_normalised(self, typed: str) -> None:
        assert BankAccountNumber(typed) == BankAccountNumber(CARD)

    @pytest.mark.parametrize(
        "raw",
        [
            "6222a21234567890128",
            "6222.0212.3456",
            "",
            "   ",
            "+6222021234567890128",
            "62220212345678²",  # digits to str.isdigit, not to a bank
            "6222٠٢١٢٣٤٥٦٧٨٩٠",  # Arabic-Indic digits
        ],
    )
    def test_other_characters_are_refused(self, raw: str) -> None:
        with pytest.raises(InvalidBankAccountNumber) as info:
            BankAccountNumber(raw)
        assert info.value.reason == "bank_account_chars"

    @pytest.mark.parametrize("n", [1, 7, 31, 40])
    def test_lengths_outside_8_to_30_are_refused(self, n: int) -> None:
        with pytest.raises(InvalidBankAccountNumber) as info:
            BankAccountNumber("9" * n)
        assert info.value.reason == "bank_account_length"
        assert "99" not in info.value.message  # never echoes the number

    @pytest.mark.parametrize("n", [8, 12, 15, 20, 25, 30])
    def test_account_lengths_outside_card_range_need_no_check_digit(self, n: int) -> None:
        number = ("1234567890" * 3)[:n]
        assert BankAccountNumber(number).value == number

    def test_card_length_number_with_a_wrong_check_digit_is_refused(self) -> None:
        wrong = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
        with pytest.raises(InvalidBankAccountNumber) as info:
            BankAccountNumber(wrong)
        assert info.value.reason == "bank_account_check_digit"
        assert isinstance(info.value, InvalidValueError)
        assert wrong not in info.value.message
        assert "银行卡号校验位错误" in info.value.message

    def test_a_known_passbook_account_of_card_length_can_skip_the_check(self) -> None:
        passbook = "12345678901234567"  # 17 digits, not Luhn
        assert not luhn_valid(passbook)
        assert BankAccountNumber(passbook, card_check=False).value == passbook

    def test_a_non_string_is_refused(self) -> None:
        with pytest.raises(InvalidBankAccountNumber) as info:
            BankAccountNumber(6222021234567890128)  # type: ignore[arg-type]
        assert info.value.reason == "bank_account_type"


class TestValueSemantics:
    def test_str_and_repr_are_masked(self) -> None:
        account = BankAccountNumber(CARD)
        assert str(account) == "6222 **** **** 0128"
        assert repr(account) == "BankAccountNumber('6222 **** **** 0128')"
        assert CARD not in f"{account} {account!r} {[account]}"

    def test_short_accounts_show_only_the_last_four(self) -> None:
        assert BankAccountNumber("12345678").masked() == "**** **** 5678"
        assert BankAccountNumber("12345678901").masked() == "**** **** 8901"
        assert BankAccountNumber("123456789012").masked() == "1234 **** **** 9012"

    def test_immutable_hashable_equal_by_value(self) -> None:
        a, b = BankAccountNumber(CARD), BankAccountNumber("6222 0212 3456 7890 128")
        assert a == b
        assert hash(a) == hash(b)
        assert a != CARD
        assert len({a, b}) == 1
        with pytest.raises(AttributeError):
            a._value = "1"  # type: ignore[misc]

    def test_pickle_and_copy_keep_the_value(self) -> None:
        passbook = BankAccountNumber("12345678901234567", card_check=False)
        assert pickle.loads(pickle.dumps(passbook)) == passbook
        assert copy.deepcopy(passbook) == passbook


class Payee(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    account: BankAccountNumber


class TestPydanticEdge:
    def test_validates_and_serialises_the_full_number_in_json(self) -> None:
        payee = Payee.model_validate({"account": "6222 0212 3456 7890 128"})
        assert payee.account == BankAccountNumber(CARD)
        assert json.loads(payee.model_dump_json()) == {"account": CARD}
        assert CARD not in repr(payee)

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("6222021234567890127", "bank_account_check_digit"),
            ("62220212x", "bank_account_chars"),
            ("1234", "bank_account_length"),
            (123, "bank_account_type"),
        ],
    )
    def test_the_error_type_is_the_stable_reason(self, raw: object, reason: str) -> None:
        with pytest.raises(ValidationError) as info:
            Payee.model_validate({"account": raw})
        (error,) = info.value.errors()
        assert error["type"] == reason
        assert error["loc"] == ("account",)
        assert {"en", "zh"} <= set(error["ctx"])

    def test_json_schema_is_a_digit_string(self) -> None:
        schema = Payee.model_json_schema()["properties"]["account"]
        assert schema["type"] == "string"
        assert schema["pattern"] == "^[0-9]{8,30}$"


class TestProperties:
    @given(card_numbers())
    def test_a_luhn_valid_card_number_passes(self, number: str) -> None:
        assert BankAccountNumber(number).value == number

    @given(card_numbers(), st.data())
    def test_any_single_digit_change_fails(self, number: str, data: st.DataObject) -> None:
        position = data.draw(st.integers(0, len(number) - 1))
        replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
        changed = number[:position] + replacement + number[position + 1 :]
        with pytest.raises(InvalidBankAccountNumber) as info:
            BankAccountNumber(changed)
        assert info.value.reason == "bank_account_check_digit"

    @given(st.text("0123456789", min_size=8, max_size=30))
    def test_masking_never_reveals_the_middle(self, digits: str) -> None:
        masked = mask_bank_account_number(digits)
        shown = "".join(ch for ch in masked if ch.isdigit())
        if len(digits) >= 12:
            assert shown == digits[:4] + digits[-4:]
            assert masked.startswith(digits[:4])
            assert masked.endswith(digits[-4:])
        else:
            assert shown == digits[-4:]
        assert len(masked) in (14, 19)  # fixed width: the length is not revealed either

    @given(st.text("0123456789", min_size=1, max_size=40))
    def test_luhn_check_digit_makes_any_body_valid(self, body: str) -> None:
        assert luhn_valid(body + luhn_check_digit(body))
