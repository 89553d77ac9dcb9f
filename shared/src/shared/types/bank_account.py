"""银行卡号 / 银行账号: a payee's (or payer's) bank account number, the Luhn check of card numbers,
masking, and the `BankAccountNumber` edge type.

Decisions (see also the class docstring):

- **Characters.** Spaces (including full-width and ideographic spaces) and ``-`` are
  separators people type and are removed; full-width digits become ASCII. Anything else is
  ``bank_account_chars``.
- **Length 8–30 digits** (``bank_account_length``). Personal bank cards (借记卡, 社保卡金融账户)
  have 16–19 digits; passbook (存折) and corporate settlement (对公) account numbers run from
  about 10 to 25 digits depending on the bank (some city and rural banks' 对公 accounts are
  shorter, some 农信 sub-accounts longer). 8 is a floor against truncated input; 30 stays under
  the 32 characters of the CNAPS account field and ISO 20022's ``Max34Text``.
- **Luhn only for 16–19 digits** (``bank_account_check_digit``). UnionPay (银联) card numbers
  end in a Luhn (mod 10) check digit; passbook and 对公 account numbers do not, and their
  formats are bank-specific. A number of card length is therefore treated as a card and must
  pass Luhn unless the caller knows it is a passbook / 对公 account of that length (some banks
  issue 17- and 19-digit passbook accounts) and says so with ``card_check=False``. The Pydantic
  edge type always checks, so an API field cannot skip it by accident.
- **Masking.** ``str()``/``repr()`` never show the full number: ``6222 **** **** 1234`` (the first
  4 and last 4 digits with a fixed-width middle, so the length is not revealed either); numbers
  shorter than 12 digits show only the last 4 (``**** **** 5678``) so at most a third is
  visible. Error messages never echo the number.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from shared.types.errors import InvalidBankAccountNumber, InvalidValueError
from shared.types.text import FULLWIDTH_TO_ASCII

BANK_ACCOUNT_MIN_DIGITS = 8
BANK_ACCOUNT_MAX_DIGITS = 30
CARD_MIN_DIGITS = 16
CARD_MAX_DIGITS = 19
_SEPARATORS = re.compile(r"[\s\-]")
_DIGITS = re.compile(r"[0-9]+")
_MASK_MIDDLE = " **** **** "
_MASK_SHOW_HEAD_FROM = 12


def luhn_check_digit(body: str) -> str:
    """The Luhn (mod 10) check digit to append to ``body`` (ASCII digits)."""
    if not body or not _DIGITS.fullmatch(body):
        raise InvalidBankAccountNumber(
            "bank_account_chars", "bank account number must contain digits only", "银行账号只能包含数字"
        )
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled: these are the odd positions once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` (ASCII digits, the check digit last) passes the Luhn check."""
    if len(digits) < 2 or not _DIGITS.fullmatch(digits):
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def mask_bank_account_number(digits: str) -> str:
    """``6222 **** **** 1234``: the first 4 and last 4 digits around a fixed-width middle; only the
    last 4 (``**** **** 1234``) for numbers shorter than 12 digits. Takes canonical digits."""
    if len(digits) >= _MASK_SHOW_HEAD_FROM:
        return digits[:4] + _MASK_MIDDLE + digits[-4:]
    return _MASK_MIDDLE.strip() + " " + digits[-4:]


def _canonical_bank_account(raw: object, *, card_check: bool) -> str:
    if not isinstance(raw, str):
        raise InvalidBankAccountNumber(
            "bank_account_type",
            f"bank account number must be a string, got {type(raw).__name__}",
            "银行账号须为字符串",
        )
    if raw.isascii() and raw.isdigit():  # canonical already: a stored number, a bank file's lines
        digits = raw
    elif not _DIGITS.fullmatch(digits := _SEPARATORS.sub("", raw.translate(FULLWIDTH_TO_ASCII))):
        raise InvalidBankAccountNumber(
            "bank_account_chars",
            "bank account number must contain digits only (spaces and dashes are ignored)",
            "银行账号只能包含数字（空格和短横线会被忽略）",
        )
    if not BANK_ACCOUNT_MIN_DIGITS <= len(digits) <= BANK_ACCOUNT_MAX_DIGITS:
        raise InvalidBankAccountNumber(
            "bank_account_length",
            f"bank account number must have {BANK_ACCOUNT_MIN_DIGITS} to {BANK_ACCOUNT_MAX_DIGITS} digits, "
            f"got {len(digits)}",
            f"银行账号应为{BANK_ACCOUNT_MIN_DIGITS}至{BANK_ACCOUNT_MAX_DIGITS}位数字，实际为{len(digits)}位",
        )
    if card_check and CARD_MIN_DIGITS <= len(digits) <= CARD_MAX_DIGITS and not luhn_valid(digits):
        raise InvalidBankAccountNumber(
            "bank_account_check_digit",
            "bank card number check digit (Luhn) mismatch",
            "银行卡号校验位错误",
        )
    return digits


class BankAccountNumber:
    """A bank card or account number (银行卡号 / 银行账号) as its canonical ASCII digits.

    The constructor removes spaces and dashes, folds full-width digits, and checks the digits,
    the length (8–30) and, for card-length numbers (16–19 digits), the Luhn check digit.
    ``card_check=False`` skips Luhn for a number known to be a passbook or 对公 account of
    card length (the record says so; user input never does).

    ``str()`` and ``repr()`` are **masked** (``6222 **** **** 1234``); read ``.value`` for the
    full number (storage, bank files, authorised display). In JSON (Pydantic) it serialises as
    the full digit string. Equal and hashable by value; never equal to a plain ``str``.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str, *, card_check: bool = True) -> None:
        object.__setattr__(self, "_value", _canonical_bank_account(value, card_check=card_check))

    @property
    def value(self) -> str:
        """The full number, digits only. Handle with care: personal data."""
        return self._value

    @property
    def is_card_length(self) -> bool:
        """16–19 digits: the length of a UnionPay card number."""
        return CARD_MIN_DIGITS <= len(self._value) <= CARD_MAX_DIGITS

    def masked(self) -> str:
        """``6222 **** **** 1234`` (see ``mask_bank_account_number``)."""
        return mask_bank_account_number(self._value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("BankAccountNumber is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("BankAccountNumber is immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BankAccountNumber):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("BankAccountNumber", self._value))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Rebuilt without re-checking Luhn: the instance was valid when it was made (possibly
        # with card_check=False).
        return (_unchecked, (self._value,))

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"BankAccountNumber('{self.masked()}')"

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_bank_account_field,
            serialization=core_schema.plain_serializer_function_ser_schema(_bank_account_to_str, when_used="json"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": f"^[0-9]{{{BANK_ACCOUNT_MIN_DIGITS},{BANK_ACCOUNT_MAX_DIGITS}}}$",
            "minLength": BANK_ACCOUNT_MIN_DIGITS,
            "maxLength": BANK_ACCOUNT_MAX_DIGITS,
            "description": "银行卡号/账号: 8-30 digits; 16-19-digit card numbers carry a Luhn check digit",
        }


def _unchecked(value: str) -> BankAccountNumber:
    return BankAccountNumber(value, card_check=False)


def _validate_bank_account_field(value: Any) -> BankAccountNumber:
    if isinstance(value, BankAccountNumber):
        return value
    try:
        return BankAccountNumber(value)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


def _bank_account_to_str(value: BankAccountNumber) -> str:
    return value.value
