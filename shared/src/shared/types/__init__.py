"""Value types shared by every service: identity codes, region codes, money, periods, text.

One module each (`errors`, `text`, `business_time`, `resident_id`, `credit_code`,
`region_codes`, `money`, `area`, `period`, `person_ref`, `bank_account`); this package
re-exports their public names.

Each type has two layers:

- a **pure** layer (functions and frozen classes) that takes no clock, reads no settings
  and raises ``InvalidValueError`` subclasses with a stable ``reason`` and a bilingual
  (English / zh-CN) message;
- a **Pydantic edge** layer (``Annotated`` aliases or ``__get_pydantic_core_schema__``) that
  turns those failures into ``PydanticCustomError`` whose ``type`` is the same stable code,
  so a FastAPI 422 names the field, the reason and a machine code. The bilingual parts are
  also in the error ``ctx`` as ``en`` and ``zh``.

Error codes (the ``code`` attribute / Pydantic error ``type``):

- resident ID: ``resident_id_type``, ``resident_id_length``, ``resident_id_chars``,
  ``resident_id_check_digit``, ``resident_id_province``, ``resident_id_birth_date``,
  ``resident_id_birth_date_too_early``, ``resident_id_birth_date_future``,
  ``resident_id_legacy_not_allowed``, ``resident_id_before_birth``
- credit code: ``credit_code_length``, ``credit_code_chars``, ``credit_code_check_char``,
  ``credit_code_org_check`` (errors); ``credit_code_prefix_unknown``,
  ``credit_code_division_format`` (warnings)
- bank account (银行卡号/账号): ``bank_account_type``, ``bank_account_chars``,
  ``bank_account_length``, ``bank_account_check_digit`` (Luhn, 16–19-digit card numbers only)
- region: ``region_code_format``, ``region_code_unknown``, ``region_not_county``
- money: ``money_type``, ``money_float``, ``money_format``, ``money_not_finite``,
  ``money_out_of_range``, ``money_precision``, ``money_negative``
- rate (‰): ``rate_precision``; floor area (centi-m²): ``area_precision``
- period: ``period_type``, ``period_format``, ``period_month``, ``period_year``
- time: ``datetime_naive``
- text: ``text_empty``, ``text_too_long``, ``text_control_char``

Personal data: no error message ever echoes a resident ID (only single characters or the
check digit) or a bank account number; ``str()``/``repr()`` of both are masked. Pydantic
still puts the raw ``input`` into its errors; models that take resident IDs or bank accounts
should set ``hide_input_in_errors=True`` if their errors may reach logs.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from shared.types.area import format_centi_m2, to_centi_m2
from shared.types.bank_account import (
    BankAccountNumber,
    luhn_check_digit,
    luhn_valid,
    mask_bank_account_number,
)
from shared.types.business_time import BUSINESS_TZ, business_date
from shared.types.credit_code import (
    CodeProblem,
    CreditCode,
    CreditCodeCheck,
    RegistrationCategory,
    credit_code_check_char,
    org_code_check_char,
    registration_category,
    validate_credit_code,
)
from shared.types.errors import (
    InvalidArea,
    InvalidBankAccountNumber,
    InvalidCreditCode,
    InvalidMoney,
    InvalidPeriod,
    InvalidRate,
    InvalidRegionCode,
    InvalidResidentId,
    InvalidValueError,
    NaiveDatetimeError,
)
from shared.types.money import (
    FEN,
    Money,
    NonNegativeMoney,
    RoundingMode,
    RoundingUnit,
    format_fen,
    from_fen,
    parse_money,
    per_mille,
    round_fen,
    round_money,
    to_fen,
)
from shared.types.period import Period
from shared.types.person_ref import (
    MASKED_RESIDENT_ID_PATTERN,
    PERSON_REF_LENGTH,
    PERSON_REF_PATTERN,
    PERSON_REF_PREFIX,
    MaskedResidentId,
    PersonRef,
    PseudonymRef,
    is_person_ref,
)
from shared.types.region_codes import CountyCode, RegionCode, TownCode, check_town_in_county, is_county_or_town_code
from shared.types.resident_id import (
    ResidentId,
    Sex,
    age_in_years,
    convert_legacy_resident_id,
    mask_middle,
    mask_resident_id,
    parse_resident_id,
    resident_id_check_digit,
)
from shared.types.text import FULLWIDTH_TO_ASCII, NON_EMPTY_STR_MAX, NonEmptyStr

__all__ = [
    "BUSINESS_TZ",
    "FEN",
    "FULLWIDTH_TO_ASCII",
    "MASKED_RESIDENT_ID_PATTERN",
    "NON_EMPTY_STR_MAX",
    "PERSON_REF_LENGTH",
    "PERSON_REF_PATTERN",
    "PERSON_REF_PREFIX",
    "AwareDatetime",
    "BankAccountNumber",
    "CodeProblem",
    "CountyCode",
    "CreditCode",
    "CreditCodeCheck",
    "InvalidArea",
    "InvalidBankAccountNumber",
    "InvalidCreditCode",
    "InvalidMoney",
    "InvalidPeriod",
    "InvalidRate",
    "InvalidRegionCode",
    "InvalidResidentId",
    "InvalidValueError",
    "MaskedResidentId",
    "Money",
    "NaiveDatetimeError",
    "NonEmptyStr",
    "NonNegativeMoney",
    "Period",
    "PersonRef",
    "PseudonymRef",
    "RegionCode",
    "RegistrationCategory",
    "ResidentId",
    "RoundingMode",
    "RoundingUnit",
    "Sex",
    "TownCode",
    "age_in_years",
    "business_date",
    "check_town_in_county",
    "convert_legacy_resident_id",
    "credit_code_check_char",
    "format_centi_m2",
    "format_fen",
    "from_fen",
    "is_county_or_town_code",
    "is_person_ref",
    "luhn_check_digit",
    "luhn_valid",
    "mask_bank_account_number",
    "mask_middle",
    "mask_resident_id",
    "org_code_check_char",
    "parse_money",
    "parse_resident_id",
    "per_mille",
    "registration_category",
    "resident_id_check_digit",
    "round_fen",
    "round_money",
    "to_centi_m2",
    "to_fen",
    "validate_credit_code",
]
