"""公民身份号码 (GB 11643-1999), DOMAIN-RULES §8.1: parsing, the check digit, the 15 → 18
conversion, birth date, sex and age, masking, and the `ResidentId` edge type."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NoReturn

from pydantic import (
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from shared.types.business_time import _today_in_business_tz
from shared.types.errors import InvalidResidentId, InvalidValueError
from shared.types.text import _normalise_code

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK_CHARS = "10X98765432"
_RID_RE = re.compile(r"[0-9]{17}[0-9X]")
_RID_LEGACY_RE = re.compile(r"[0-9]{15}")
_RID_EARLIEST_BIRTH_YEAR = 1850

# First two digits of the address code: the province-level codes of GB/T 2260 (11–65),
# 71 台湾, 81 香港, 82 澳门, and 83, used by 港澳台居民居住证 numbers (same format and
# check digit). Deeper address-code checks are deliberately absent: the number is for life
# and retired county codes stay valid (DOMAIN-RULES §8.1).
_RID_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {"31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54"}
    | {"61", "62", "63", "64", "65", "71", "81", "82", "83"}
)


class Sex(StrEnum):
    """性别 as encoded in the resident ID sequence: odd = male, even = female."""

    MALE = "male"
    FEMALE = "female"


def mask_middle(value: str, head: int, tail: int) -> str:
    """``value`` with every character but the first ``head`` and the last ``tail`` replaced by
    one ``*`` (the length is kept); all ``*`` when it is no longer than ``head + tail``. The one
    masking of personal data: resident IDs here, phones and bank accounts in
    ``jiuzhu_platform.pii``."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_resident_id(value: str) -> str:
    """The one resident-ID mask: the first 4 and last 4 characters, one ``*`` for each character
    between (``1101**********002X``; a 15-digit legacy number ``1101*******1002``), all ``*`` for
    8 characters or fewer. Takes the characters as given: ``ResidentId.masked()`` passes its
    canonical value, ``jiuzhu_platform.pii.mask_resident_id`` normalises raw text first."""
    return mask_middle(value, 4, 4)


def age_in_years(birth_date: date, day: date) -> int:
    """Age in full years (周岁) on ``day`` of someone born on ``birth_date``: one year older on
    each birthday; a 29 February birthday turns on 1 March in common years. The one age
    computation (``ResidentId.age_on`` adds its checks around it); no checks here, for the rules'
    hot path, so a ``day`` before the birth gives a negative number."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def resident_id_check_digit(body: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for a 17-digit body."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise InvalidResidentId(
            "resident_id_chars",
            "the resident ID body must be exactly 17 ASCII digits",
            "公民身份号码本体码须为17位数字",
        )
    total = sum(int(d) * w for d, w in zip(body, _RID_WEIGHTS, strict=True))
    return _RID_CHECK_CHARS[total % 11]


def _canonical_resident_id(raw: str) -> str:
    """Normalise and check everything that needs no clock; return the canonical form."""
    if not isinstance(raw, str):
        raise InvalidResidentId(
            "resident_id_type",
            f"resident ID must be a string, got {type(raw).__name__}",
            "公民身份号码须为字符串",
        )
    value = _normalise_code(raw).upper()
    if len(value) != 18:
        raise InvalidResidentId(
            "resident_id_length",
            f"resident ID must have 18 characters, got {len(value)}",
            f"公民身份号码应为18位，实际为{len(value)}位",
        )
    if not _RID_RE.fullmatch(value):
        pos = next(i + 1 for i, ch in enumerate(value) if not (ch in "0123456789" or (i == 17 and ch == "X")))
        raise InvalidResidentId(
            "resident_id_chars",
            f"resident ID characters 1-17 must be digits and character 18 a digit or X; character {pos} is not",
            f"公民身份号码前17位须为数字、第18位须为数字或X，第{pos}位不符合",
        )
    expected = resident_id_check_digit(value[:17])
    if value[17] != expected:
        raise InvalidResidentId(
            "resident_id_check_digit",
            f"resident ID check digit mismatch: expected {expected}, got {value[17]}",
            "公民身份号码校验码错误",
        )
    if value[:2] not in _RID_PROVINCES:
        raise InvalidResidentId(
            "resident_id_province",
            "resident ID address code does not start with a province code",
            "公民身份号码地址码的前两位不是有效的省级代码",
        )
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidResidentId(
            "resident_id_birth_date",
            "resident ID birth date (characters 7-14) is not a real calendar date",
            "公民身份号码中的出生日期（第7至14位）不是有效日期",
        ) from None
    if birth.year < _RID_EARLIEST_BIRTH_YEAR:
        raise InvalidResidentId(
            "resident_id_birth_date_too_early",
            f"resident ID birth year is before {_RID_EARLIEST_BIRTH_YEAR}",
            f"公民身份号码中的出生年份早于{_RID_EARLIEST_BIRTH_YEAR}年",
        )
    return value


class ResidentId:
    """公民身份号码 (GB 11643-1999), always the canonical 18 characters in ``value``.

    The constructor normalises (strips whitespace, full-width → ASCII, ``x`` → ``X``) and
    checks length, characters, check digit, province and birth date. It does **not** check
    that the birth date is not in the future (that needs a clock): use
    ``parse_resident_id(..., today=...)`` or the Pydantic field type for that.

    ``str()`` and ``repr()`` are **masked** so the number never reaches a log by accident;
    read ``.value`` for the full number (storage, blind index, authorised display). In
    JSON (Pydantic) it serialises as the full plain string; ``model_dump()`` in Python mode
    keeps the (masked-repr) instance.

    Equal and hashable by value; never equal to a plain ``str``.
    """

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: str) -> None:
        object.__setattr__(self, "_value", _canonical_resident_id(value))

    @property
    def value(self) -> str:
        """The full canonical 18-character number. Handle with care: personal data."""
        return self._value

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("ResidentId is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("ResidentId is immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResidentId):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("ResidentId", self._value))

    def __reduce__(self) -> tuple[type[ResidentId], tuple[str]]:
        return (ResidentId, (self._value,))

    @property
    def address_code(self) -> str:
        """地址码: the 6-digit GB/T 2260 code of first registration (may be retired)."""
        return self.value[:6]

    @property
    def birth_date(self) -> date:
        """出生日期."""
        v = self.value
        return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))

    @property
    def sex(self) -> Sex:
        """性别: odd sequence code (digit 17) = male, even = female."""
        return Sex.MALE if int(self.value[16]) % 2 == 1 else Sex.FEMALE

    def age_on(self, ref_date: date) -> int:
        """Age in full years (周岁) on ``ref_date``.

        A person is one year older on their birthday. Someone born on 29 February turns a
        year older on 1 March in common years (they have not reached "29 February" on the
        28th). Raises ``InvalidResidentId`` (``resident_id_before_birth``) if ``ref_date``
        is before the birth date, and ``TypeError`` for a ``datetime`` (convert an instant
        with ``business_date()`` first).
        """
        if isinstance(ref_date, datetime) or not isinstance(ref_date, date):
            raise TypeError("age_on() needs a date; convert instants with business_date()")
        birth = self.birth_date
        if ref_date < birth:
            raise InvalidResidentId(
                "resident_id_before_birth",
                "reference date is before the birth date",
                "参照日期早于出生日期",
            )
        return age_in_years(birth, ref_date)

    def masked(self) -> str:
        """First 4 + 10 asterisks + last 4, e.g. ``5201**********123X`` (``mask_resident_id``)."""
        return mask_resident_id(self.value)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"ResidentId('{self.masked()}')"

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_resident_id_field,
            serialization=core_schema.plain_serializer_function_ser_schema(_resident_id_to_str, when_used="json"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": "^[0-9]{17}[0-9X]$",
            "minLength": 18,
            "maxLength": 18,
            "description": "公民身份号码 (GB 11643-1999), 18 characters",
        }


def convert_legacy_resident_id(legacy: str) -> ResidentId:
    """Convert a 15-digit legacy number (一代证): insert ``19`` after the 6-digit address
    code and append the computed check digit."""
    value = _normalise_code(legacy) if isinstance(legacy, str) else legacy
    if not isinstance(value, str) or not _RID_LEGACY_RE.fullmatch(value):
        raise InvalidResidentId(
            "resident_id_chars",
            "a legacy resident ID must be exactly 15 digits",
            "旧版（15位）公民身份号码须为15位数字",
        )
    body = f"{value[:6]}19{value[6:]}"
    return ResidentId(body + resident_id_check_digit(body))


def parse_resident_id(value: str, *, today: date | None = None, allow_legacy: bool = False) -> ResidentId:
    """Parse user or record input into a ``ResidentId``.

    - surrounding whitespace is stripped, full-width characters and ``x`` are normalised;
    - with ``allow_legacy=True`` a 15-digit legacy number is converted (for old records);
      otherwise it is rejected with ``resident_id_legacy_not_allowed``;
    - with ``today`` given, a birth date after ``today`` is rejected
      (``resident_id_birth_date_future``). Without it there is no future check, so the
      function stays pure.
    """
    if isinstance(value, str):
        stripped = _normalise_code(value)
        if _RID_LEGACY_RE.fullmatch(stripped):
            if not allow_legacy:
                raise InvalidResidentId(
                    "resident_id_legacy_not_allowed",
                    "15-digit legacy resident IDs are not accepted here; enter the 18-digit number",
                    "此处不接受15位旧版公民身份号码，请填写18位号码",
                )
            rid = convert_legacy_resident_id(stripped)
        else:
            rid = ResidentId(stripped)
    else:
        rid = ResidentId(value)  # raises resident_id_type
    if today is not None:
        _check_not_born_after(rid, today)
    return rid


def _check_not_born_after(rid: ResidentId, today: date) -> None:
    if rid.birth_date > today:
        raise InvalidResidentId(
            "resident_id_birth_date_future",
            "resident ID birth date is in the future",
            "公民身份号码中的出生日期晚于当前日期",
        )


def _validate_resident_id_field(value: Any) -> ResidentId:
    try:
        rid = value if isinstance(value, ResidentId) else parse_resident_id(value)
        _check_not_born_after(rid, _today_in_business_tz())
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None
    return rid


def _resident_id_to_str(value: ResidentId) -> str:
    return value.value
