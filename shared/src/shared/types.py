"""Value types shared by every service: identity codes, region codes, money, periods, text.

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
- region: ``region_code_format``, ``region_code_unknown``, ``region_not_county``
- money: ``money_type``, ``money_float``, ``money_format``, ``money_not_finite``,
  ``money_out_of_range``, ``money_precision``, ``money_negative``
- rate (‰): ``rate_precision``; floor area (centi-m²): ``area_precision``
- period: ``period_type``, ``period_format``, ``period_month``, ``period_year``
- time: ``datetime_naive``
- text: ``text_empty``, ``text_too_long``, ``text_control_char``

Personal data: no error message ever echoes a resident ID (only single characters or the
check digit). Pydantic still puts the raw ``input`` into its errors; models that take
resident IDs should set ``hide_input_in_errors=True`` if their errors may reach logs.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal, NoReturn, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from shared import regions as _regions

__all__ = [
    "BUSINESS_TZ",
    "FEN",
    "NON_EMPTY_STR_MAX",
    "AwareDatetime",
    "CodeProblem",
    "CountyCode",
    "CreditCode",
    "CreditCodeCheck",
    "InvalidArea",
    "InvalidCreditCode",
    "InvalidMoney",
    "InvalidPeriod",
    "InvalidRate",
    "InvalidRegionCode",
    "InvalidResidentId",
    "InvalidValueError",
    "Money",
    "NaiveDatetimeError",
    "NonEmptyStr",
    "NonNegativeMoney",
    "Period",
    "RegionCode",
    "RegistrationCategory",
    "ResidentId",
    "RoundingMode",
    "RoundingUnit",
    "Sex",
    "age_in_years",
    "business_date",
    "convert_legacy_resident_id",
    "credit_code_check_char",
    "format_centi_m2",
    "format_fen",
    "from_fen",
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


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class InvalidValueError(ValueError):
    """A value that breaks a rule of its type.

    ``reason`` is stable and machine-readable; ``message_en`` / ``message_zh`` are for people.
    ``str(error)`` is ``"<en> / <zh>"``.
    """

    def __init__(self, reason: str, message_en: str, message_zh: str) -> None:
        self.reason = reason
        self.message_en = message_en
        self.message_zh = message_zh
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.message_en} / {self.message_zh}"

    def to_pydantic(self) -> PydanticCustomError:
        """The same failure as a Pydantic error: ``type`` is ``reason``."""
        return _pydantic_error(self.reason, self.message_en, self.message_zh)


class InvalidResidentId(InvalidValueError):
    """Invalid 公民身份号码."""


class InvalidCreditCode(InvalidValueError):
    """Invalid 统一社会信用代码."""


class InvalidRegionCode(InvalidValueError):
    """Invalid or unknown 行政区划代码."""


class InvalidMoney(InvalidValueError):
    """Invalid money amount."""


class InvalidRate(InvalidValueError):
    """A rate that is not a whole number of thousandths (‰)."""


class InvalidArea(InvalidValueError):
    """A floor area that is not a whole number of hundredths of a square metre."""


class InvalidPeriod(InvalidValueError):
    """Invalid year-month period."""


class NaiveDatetimeError(InvalidValueError):
    """A datetime without a time zone where an instant is required."""


def _pydantic_error(code: str, message_en: str, message_zh: str) -> PydanticCustomError:
    return PydanticCustomError(code, f"{message_en} / {message_zh}", {"en": message_en, "zh": message_zh})


# Full-width ASCII variants (U+FF01..U+FF5E) → ASCII, plus the ideographic space. Chinese
# input methods produce these; they are never meaningful inside a code.
FULLWIDTH_TO_ASCII: Mapping[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _normalise_code(value: str) -> str:
    return value.translate(FULLWIDTH_TO_ASCII).strip()


# --------------------------------------------------------------------------------------
# Time: the business time zone
# --------------------------------------------------------------------------------------


def _business_tz() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # pragma: no cover - only on hosts without tz data
        # China has used UTC+8 without DST since 1991, so the fixed offset is exact for
        # every instant this system handles.
        return timezone(timedelta(hours=8), "Asia/Shanghai")


BUSINESS_TZ: tzinfo = _business_tz()
"""Asia/Shanghai: business dates and periods are dates in this zone."""


def business_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant (营业日). Naive datetimes are
    rejected with ``NaiveDatetimeError``: a wall-clock time without a zone is ambiguous."""
    if not isinstance(instant, datetime):
        raise TypeError(f"business_date() needs a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise NaiveDatetimeError(
            "datetime_naive",
            "datetime has no time zone; pass an aware instant (e.g. UTC)",
            "时间缺少时区信息",
        )
    return instant.astimezone(BUSINESS_TZ).date()


def _today_in_business_tz() -> date:
    # The only clock in this module, used by Pydantic edge types, never by pure functions.
    return datetime.now(BUSINESS_TZ).date()


# --------------------------------------------------------------------------------------
# 公民身份号码 (GB 11643-1999), DOMAIN-RULES §8.1
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015), DOMAIN-RULES §8.2
# --------------------------------------------------------------------------------------

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES: Mapping[str, int] = {ch: i for i, ch in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714: 0-9 then A=10 … Z=35


@dataclass(frozen=True, slots=True)
class RegistrationCategory:
    """登记管理部门 + 机构类别 from the first two characters of a credit code."""

    prefix: str
    authority_zh: str
    category_zh: str
    authority_en: str
    category_en: str

    @property
    def label_zh(self) -> str:
        return f"{self.authority_zh}·{self.category_zh}"

    @property
    def label_en(self) -> str:
        return f"{self.authority_en} · {self.category_en}"


def _cat(prefix: str, zh: tuple[str, str], en: tuple[str, str]) -> RegistrationCategory:
    return RegistrationCategory(prefix, zh[0], zh[1], en[0], en[1])


_CIVIL = ("民政", "Civil affairs")
_ESTAB = ("机构编制", "Institutional establishment")
_MARKET = ("工商/市场监管", "Market regulation")

_REGISTRATION_CATEGORIES: Mapping[str, RegistrationCategory] = {
    c.prefix: c
    for c in (
        _cat("11", (_ESTAB[0], "机关"), (_ESTAB[1], "Government organ")),
        _cat("12", (_ESTAB[0], "事业单位"), (_ESTAB[1], "Public institution")),
        _cat("13", (_ESTAB[0], "群众团体"), (_ESTAB[1], "Mass organisation")),
        _cat("19", (_ESTAB[0], "其他"), (_ESTAB[1], "Other")),
        _cat("51", (_CIVIL[0], "社会团体"), (_CIVIL[1], "Social association")),
        _cat(
            "52",
            (_CIVIL[0], "民办非企业单位（社会服务机构）"),
            (_CIVIL[1], "Private non-enterprise unit (social service organisation)"),
        ),
        _cat("53", (_CIVIL[0], "基金会"), (_CIVIL[1], "Foundation")),
        _cat("59", (_CIVIL[0], "其他"), (_CIVIL[1], "Other")),
        _cat("91", (_MARKET[0], "企业"), (_MARKET[1], "Enterprise")),
        _cat("92", (_MARKET[0], "个体工商户"), (_MARKET[1], "Individual business")),
        _cat(
            "93",
            (_MARKET[0], "农民专业合作社"),
            (_MARKET[1], "Farmers' specialised cooperative"),
        ),
        _cat("Y1", ("其他", "其他"), ("Other", "Other")),
    )
}


def registration_category(code: str) -> RegistrationCategory | None:
    """The registration category of a credit code (or its 2-character prefix), or
    ``None`` if the prefix is not in the DOMAIN-RULES §8.2 table."""
    return _REGISTRATION_CATEGORIES.get(_normalise_code(code).upper()[:2])


@dataclass(frozen=True, slots=True)
class CodeProblem:
    """One finding about a code: an ``error`` makes it invalid, a ``warning`` does not;
    ``reason`` is its stable machine-readable name."""

    reason: str
    severity: Literal["error", "warning"]
    message_en: str
    message_zh: str

    @property
    def message(self) -> str:
        return f"{self.message_en} / {self.message_zh}"


@dataclass(frozen=True, slots=True)
class CreditCodeCheck:
    """Result of ``validate_credit_code``: the normalised ``code`` and what was found."""

    code: str
    problems: tuple[CodeProblem, ...] = ()

    @property
    def valid(self) -> bool:
        """No error-level problem (warnings do not count)."""
        return not self.errors

    @property
    def errors(self) -> tuple[CodeProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[CodeProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def category(self) -> RegistrationCategory | None:
        return _REGISTRATION_CATEGORIES.get(self.code[:2])


def credit_code_check_char(body: str) -> str:
    """The GB 32100 check character (position 18) for the first 17 characters."""
    if len(body) != 17 or any(ch not in _USCC_VALUES for ch in body):
        raise InvalidCreditCode(
            "credit_code_chars",
            "a credit code body must be 17 characters from 0-9 and A-Y without I, O, S, V, Z",
            "统一社会信用代码本体须为17位有效字符",
        )
    total = sum(_USCC_VALUES[ch] * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    if len(body) != 8 or any(ch not in _ORG_ALPHABET for ch in body):
        raise InvalidCreditCode(
            "credit_code_chars",
            "an organisation code body must be 8 characters from 0-9 and A-Z",
            "组织机构代码本体须为8位数字或大写字母",
        )
    total = sum(_ORG_ALPHABET.index(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    v = 11 - total % 11
    return "X" if v == 10 else "0" if v == 11 else str(v)


def _credit_code_problems(code: str) -> list[CodeProblem]:
    if len(code) != 18:
        return [
            CodeProblem(
                "credit_code_length",
                "error",
                f"credit code must have 18 characters, got {len(code)}",
                f"统一社会信用代码应为18位，实际为{len(code)}位",
            )
        ]
    bad = [(i + 1, ch) for i, ch in enumerate(code) if ch not in _USCC_VALUES]
    if bad:
        listed = ", ".join(f"{ch!r} at {pos}" for pos, ch in bad)
        hint = ""
        if any(ch in "IOSVZ" for _, ch in bad):
            hint = " (I, O, S, V and Z are never used; O is usually 0)"
        return [
            CodeProblem(
                "credit_code_chars",
                "error",
                f"credit code has characters outside 0-9 and A-Y without I, O, S, V, Z: {listed}{hint}",
                "统一社会信用代码含有无效字符（不使用 I、O、S、V、Z）",
            )
        ]
    problems: list[CodeProblem] = []
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        problems.append(
            CodeProblem(
                "credit_code_check_char",
                "error",
                f"credit code check character mismatch: expected {expected}, got {code[17]}",
                "统一社会信用代码校验码错误",
            )
        )
    org_body = code[8:16]
    org_expected = org_code_check_char(org_body)  # charset ⊂ GB 11714 alphabet
    if code[16] != org_expected:
        problems.append(
            CodeProblem(
                "credit_code_org_check",
                "error",
                "embedded organisation code (characters 9-17) check character mismatch:"
                f" expected {org_expected}, got {code[16]}",
                "统一社会信用代码中的组织机构代码（第9至17位）校验码错误",
            )
        )
    if code[:2] not in _REGISTRATION_CATEGORIES:
        problems.append(
            CodeProblem(
                "credit_code_prefix_unknown",
                "warning",
                f"unknown registration authority/category prefix {code[:2]!r}",
                "未知的登记管理部门或机构类别代码",
            )
        )
    if not code[2:8].isdigit():
        problems.append(
            CodeProblem(
                "credit_code_division_format",
                "warning",
                "characters 3-8 (registration authority division code) are not all digits",
                "第3至8位（登记管理机关行政区划码）不全为数字",
            )
        )
    return problems


def validate_credit_code(value: str, *, mode: Literal["strict", "flag"] = "strict") -> CreditCodeCheck:
    """Check a 统一社会信用代码 and return what was found.

    Input is normalised first: surrounding whitespace stripped, full-width characters
    converted, letters upper-cased (so ``91512081ma62k0260e`` is accepted as
    ``91512081MA62K0260E``). Letters that are not in the charset (I, O, S, V, Z) are
    **not** guessed into digits.

    - ``mode="strict"`` (manual entry): raises ``InvalidCreditCode`` with the code of the
      first error; warnings (unknown prefix, non-digit division code) are returned, not
      raised.
    - ``mode="flag"`` (bulk import from authoritative registries): never raises for the
      content of the string — wrong length, bad characters and checksum failures all come
      back as error problems with ``valid=False``, so every row of an import gets a result.
      When length or characters are wrong, the checksums are not computed.

    A non-string raises ``TypeError`` in both modes.
    """
    if not isinstance(value, str):
        raise TypeError(f"credit code must be a string, got {type(value).__name__}")
    code = _normalise_code(value).upper()
    result = CreditCodeCheck(code, tuple(_credit_code_problems(code)))
    if mode == "strict" and not result.valid:
        first = result.errors[0]
        raise InvalidCreditCode(first.reason, first.message_en, first.message_zh)
    return result


def _validate_credit_code_field(value: str) -> str:
    try:
        return validate_credit_code(value, mode="strict").code
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


CreditCode: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_credit_code_field),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^[{_USCC_CHARSET}]{{18}}$",
            "minLength": 18,
            "maxLength": 18,
            "description": "统一社会信用代码 (GB 32100-2015), 18 characters",
        }
    ),
]
"""统一社会信用代码, validated strictly; the value is the normalised (upper-case) code."""


# --------------------------------------------------------------------------------------
# Region codes (GB/T 2260), DOMAIN-RULES §8.3 — the table is in shared.regions
# --------------------------------------------------------------------------------------

_REGION_RE = re.compile(r"[0-9]{6}")


def _check_region_code(value: str, *, county_only: bool) -> str:
    code = _normalise_code(value)
    if not _REGION_RE.fullmatch(code):
        raise InvalidRegionCode(
            "region_code_format",
            "region code must be 6 digits (GB/T 2260)",
            "行政区划代码须为6位数字",
        )
    if not _regions.is_known_region(code):
        allowed = [r.code for r in _regions.guiyang_counties()] if county_only else list(_regions.REGIONS)
        raise InvalidRegionCode(
            "region_code_unknown",
            f"unknown region code {code}: must be one of the Guiyang codes {', '.join(allowed)}",
            "未知的行政区划代码，须为贵阳市的行政区划代码之一",
        )
    if county_only and not _regions.is_county(code):
        region = _regions.get_region(code)
        allowed = [r.code for r in _regions.guiyang_counties()]
        raise InvalidRegionCode(
            "region_not_county",
            f"region {code} ({region.name_en}) is not a county-level area: must be one of {', '.join(allowed)}",
            f"{region.name_zh}不是县级行政区，须为贵阳市十个区（县、市）之一",
        )
    return code


def _validate_region_field(value: str) -> str:
    try:
        return _check_region_code(value, county_only=False)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


def _validate_county_field(value: str) -> str:
    try:
        return _check_region_code(value, county_only=True)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


RegionCode: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_region_field),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(_regions.REGIONS),
            "description": "行政区划代码 (GB/T 2260): a known Guiyang region",
        }
    ),
]
"""A 6-digit region code that is in ``shared.regions.REGIONS`` (any level)."""

CountyCode: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_county_field),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [r.code for r in _regions.guiyang_counties()],
            "description": "县级行政区划代码 (GB/T 2260): one of Guiyang's ten county-level areas",
        }
    ),
]
"""A 6-digit code of one of Guiyang's ten county-level areas (区/县/县级市)."""

_TOWN_RE = re.compile(r"[0-9]{12}")


def check_town_code(value: str) -> str:
    """A 12-digit town-level code (乡镇/街道, 统计用区划代码): a Guiyang county code followed by
    six digits that are not all zero. The towns themselves are not tabulated here (the table
    changes yearly); the county part is checked."""
    code = _normalise_code(value)
    if not _TOWN_RE.fullmatch(code) or code[6:] == "000000":
        raise InvalidRegionCode(
            "town_code_format",
            "town code must be 12 digits: a county code and a town part that is not all zeros",
            "乡镇（街道）代码须为12位数字：县级代码加非全零的乡镇部分",
        )
    _check_region_code(code[:6], county_only=True)
    return code


def is_county_or_town_code(code: str) -> bool:
    """A Guiyang county code (6 digits) or a town code inside one (12 digits, town part not all
    zeros), exactly as given (no normalising: for codes inside tokens and stored records)."""
    if _REGION_RE.fullmatch(code):
        return _regions.is_county(code)
    return bool(_TOWN_RE.fullmatch(code)) and code[6:] != "000000" and _regions.is_county(code[:6])


def check_town_in_county(town_code: str | None, county_code: str) -> None:
    """A town code, when given, must lie in the county (its first six digits)."""
    if town_code is not None and town_code[:6] != county_code:
        raise InvalidRegionCode(
            "town_outside_county",
            f"town {town_code} is not in county {county_code}",
            f"乡镇（街道）{town_code} 不属于区县 {county_code}",
        )


def _validate_town_field(value: str) -> str:
    try:
        return check_town_code(value)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


TownCode: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_town_field),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^52[0-9]{10}$",
            "description": "乡镇（街道）代码: 12 digits, a Guiyang county code then the town part",
        }
    ),
]
"""A 12-digit town-level code inside one of Guiyang's counties."""


# --------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------

FEN = Decimal("0.01")
RoundingUnit: TypeAlias = Literal["fen", "jiao", "yuan"]
RoundingMode: TypeAlias = Literal["half_up", "up", "down"]
_UNIT_FEN: Mapping[str, int] = {"fen": 1, "jiao": 10, "yuan": 100}
_ROUNDING_MODES = frozenset({"half_up", "up", "down"})
_MONEY_LIMIT = Decimal(10) ** 15  # exclusive bound on |amount|: fits NUMERIC(17, 2)
_MONEY_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_MONEY_MAX_STR = 40


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise InvalidMoney(
            "money_type",
            "amount must be a decimal string or integer, not a boolean",
            "金额须为数字字符串或整数",
        )
    if isinstance(value, float):
        raise InvalidMoney(
            "money_float",
            'amount must not be a float (floats lose precision); send a string like "123.45"',
            '金额不能使用浮点数（会丢失精度），请使用字符串，如 "123.45"',
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MONEY_MAX_STR or not _MONEY_RE.fullmatch(text):
            raise InvalidMoney(
                "money_format",
                'amount must be a plain decimal number like "123.45"',
                '金额格式错误，应为如 "123.45" 的数字',
            )
        return Decimal(text)
    raise InvalidMoney(
        "money_type",
        f"amount must be a decimal string or integer, got {type(value).__name__}",
        "金额须为数字字符串或整数",
    )


def _check_finite(d: Decimal) -> None:
    if not d.is_finite():
        raise InvalidMoney("money_not_finite", "amount must be finite", "金额须为有限数值")
    if abs(d) >= _MONEY_LIMIT:
        raise InvalidMoney(
            "money_out_of_range",
            "amount is out of range (at most 15 digits before the decimal point)",
            "金额超出范围（整数部分最多15位）",
        )


def _clean_zero(d: Decimal) -> Decimal:
    return abs(d) if d.is_zero() else d  # no "-0.00"


def parse_money(value: Decimal | int | str) -> Decimal:
    """Parse an amount in yuan (元) into a ``Decimal`` with exactly two places.

    Accepts ``Decimal``, ``int`` and plain decimal strings (``"123.45"``, ``"-5"``,
    surrounding whitespace allowed; no exponent, no grouping commas). Rejects floats,
    booleans, non-finite values, anything finer than a fen (``"1.234"``; ``"1.230"`` is
    fine) and amounts of 10^15 yuan or more. Never rounds: rounding is ``round_money``'s
    job.
    """
    d = _to_decimal(value)
    _check_finite(d)
    q = d.quantize(FEN)
    if q != d:
        raise InvalidMoney(
            "money_precision",
            "amount has more than two decimal places (finer than a fen); round it with round_money() first",
            "金额最多保留两位小数（到分）",
        )
    return _clean_zero(q)


def round_fen(numerator: int, denominator: int = 1, *, unit: RoundingUnit, mode: RoundingMode) -> int:
    """The one rounding function of the project: the exact amount ``numerator / denominator``
    fen (分), rounded to a whole ``unit`` and returned in integer fen. Integers only, so it is
    exact and cheap enough for the rules' hot path; ``round_money`` is its ``Decimal`` face.

    ``unit`` is the step: fen (1), jiao (10) or yuan (100 fen). ``mode``:

    - ``"half_up"``: to the nearest step, halves away from zero (``2.5 → 3``,
      ``-2.5 → -3``), i.e. the usual 四舍五入;
    - ``"up"``: ceiling, towards +∞ (``2.01 → 3``, ``-2.99 → -2``). On positive amounts
      this rounds in the household's favour (POLICY-DEFAULTS ⌈⌉). On negative amounts
      (recoveries, corrections) it makes the magnitude *smaller*;
    - ``"down"``: floor, towards −∞ (``2.99 → 2``, ``-2.01 → -3``).

    ``round_fen(7875, unit="yuan", mode="up") == 7900`` (78.75 元 → 79 元);
    ``round_fen(85_000 * 150, 1000, unit="yuan", mode="up") == 12_800`` (850 元 × 15% → 128 元).
    Raises ``ValueError`` for a denominator ≤ 0 or an unknown unit or mode.
    """
    step = _UNIT_FEN.get(unit)
    if step is None or mode not in _ROUNDING_MODES:
        raise ValueError(f"unknown rounding unit {unit!r} or mode {mode!r}")
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    divisor = denominator * step
    if mode == "up":
        return -(-numerator // divisor) * step
    if mode == "down":
        return numerator // divisor * step
    steps, remainder = divmod(abs(numerator), divisor)
    if 2 * remainder >= divisor:
        steps += 1
    return (steps if numerator >= 0 else -steps) * step


def round_money(value: Decimal | int, *, unit: RoundingUnit = "fen", mode: RoundingMode = "half_up") -> Decimal:
    """``round_fen`` for an amount in yuan (元) as a ``Decimal``: returns two decimal places.

    Same units and modes (``round_money(Decimal("2.5"), unit="yuan") == Decimal("3.00")``).
    Idempotent: ``round_money(round_money(x, u, m), u, m) == round_money(x, u, m)``.
    Floats and booleans raise ``TypeError``.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"round_money() needs a Decimal or int, got {type(value).__name__}")
    if unit not in _UNIT_FEN or mode not in _ROUNDING_MODES:
        raise ValueError(f"unknown rounding unit {unit!r} or mode {mode!r}")
    d = Decimal(value)
    _check_finite(d)
    numerator, denominator = d.as_integer_ratio()
    return from_fen(round_fen(numerator * 100, denominator, unit=unit, mode=mode))


def to_fen(value: Decimal) -> int:
    """Yuan → integer fen (分), exactly: ``to_fen(Decimal("123.45")) == 12345``.

    The one conversion from ``Decimal`` yuan to fen. Strict: an amount finer than a fen
    (``"1.234"``) raises ``InvalidMoney`` (``money_precision``) instead of being truncated, as
    do amounts ``parse_money`` refuses. ``Money`` fields already hold at most two places.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"to_fen() needs a Decimal, got {type(value).__name__}")
    return int(parse_money(value).scaleb(2))


def from_fen(fen: int) -> Decimal:
    """Integer fen (分) → yuan with two places: ``from_fen(12345) == Decimal("123.45")``."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"from_fen() needs an int, got {type(fen).__name__}")
    return Decimal(fen).scaleb(-2)


def format_fen(fen: int) -> str:
    """Integer fen as yuan with two places, the form amounts take in JSON and in explanations:
    ``format_fen(12345) == "123.45"``, ``format_fen(-150) == "-1.50"``. Integer arithmetic only
    (the synthetic generator formats millions of amounts)."""
    return _hundredths_text(fen)


def _hundredths_text(hundredths: int) -> str:
    if hundredths >= 0:
        return f"{hundredths // 100}.{hundredths % 100:02d}"
    return "-" + _hundredths_text(-hundredths)


def _scaled_exactly(value: Decimal | int, places: int) -> int | None:
    """``value × 10^places`` as an int, or ``None`` when that is not a whole number (or not
    finite). Never rounds."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"needs a Decimal or int, got {type(value).__name__}")
    d = Decimal(value)
    if not d.is_finite():
        return None
    try:
        exact = d.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # more digits than the context holds: not a plausible quantity
        return None
    if exact != d:
        return None
    return int(exact.scaleb(places))


def per_mille(value: Decimal | int) -> int:
    """A rate as an integer in thousandths (‰), exactly, so rules stay in integer arithmetic:
    ``per_mille(Decimal("0.20")) == 200``. A percentage converts the same way into thousandths
    of a percentage point (``per_mille(Decimal("3.8")) == 3800``, 3.8%).

    Strict: more than three decimal places raise ``InvalidRate`` (``rate_precision``) instead
    of being truncated.
    """
    scaled = _scaled_exactly(value, 3)
    if scaled is None:
        raise InvalidRate(
            "rate_precision",
            f"rate {value} has more than three decimals (or is not finite)",
            "比率最多保留三位小数",
        )
    return scaled


def _validate_money_field(value: Any) -> Decimal:
    try:
        return parse_money(value)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


def _serialise_money(value: Decimal) -> str:
    return format(value.quantize(FEN), "f")


def _check_non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise _pydantic_error("money_negative", "amount must not be negative", "金额不能为负数")
    return value


_MONEY_STRING_SCHEMA: JsonSchemaValue = {
    "type": "string",
    "pattern": r"^-?[0-9]+(\.[0-9]{1,2})?$",
    "examples": ["123.45"],
}

Money: TypeAlias = Annotated[
    Decimal,
    PlainValidator(_validate_money_field),
    PlainSerializer(_serialise_money, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [_MONEY_STRING_SCHEMA, {"type": "integer"}],
            "description": "Amount in yuan (元), at most two decimal places; never a float",
        },
        mode="validation",
    ),
    WithJsonSchema(
        {**_MONEY_STRING_SCHEMA, "description": "Amount in yuan (元), two decimal places"},
        mode="serialization",
    ),
]
"""An amount in yuan: ``Decimal`` with two places in Python, a string ``"123.45"`` in JSON.
Input: ``Decimal``, ``int`` or a decimal string; floats (including JSON numbers with a
fraction) are rejected with ``money_float``."""

NonNegativeMoney: TypeAlias = Annotated[Money, AfterValidator(_check_non_negative)]
"""``Money`` that is ≥ 0 (``money_negative`` otherwise)."""


# --------------------------------------------------------------------------------------
# Floor area: integer hundredths of a square metre (centi-m²)
# --------------------------------------------------------------------------------------


def to_centi_m2(area_m2: Decimal | int) -> int:
    """Square metres → integer hundredths of a square metre (m² × 100), exactly:
    ``to_centi_m2(Decimal("61.37")) == 6137``. Strict: an area finer than 0.01 m² raises
    ``InvalidArea`` (``area_precision``) instead of being truncated."""
    scaled = _scaled_exactly(area_m2, 2)
    if scaled is None:
        raise InvalidArea(
            "area_precision",
            f"floor area {area_m2} has more than two decimal places (or is not finite)",
            "面积最多保留两位小数",
        )
    return scaled


def format_centi_m2(centi_m2: int) -> str:
    """Hundredths of a square metre as square metres with two places:
    ``format_centi_m2(6137) == "61.37"``."""
    return _hundredths_text(centi_m2)


# --------------------------------------------------------------------------------------
# Period: a calendar year-month (payroll / benefit month)
# --------------------------------------------------------------------------------------

_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


@functools.total_ordering
class Period:
    """A calendar month (e.g. the benefit or payroll month), written ``YYYY-MM``.

    Ordered chronologically. Instants map to periods through the Asia/Shanghai business
    date (``Period.containing``). As a Pydantic field it accepts ``"2026-01"`` (or a
    ``Period``) and serialises to ``"2026-01"`` in JSON.
    """

    __slots__ = ("_month", "_year")
    _year: int
    _month: int

    def __init__(self, year: int, month: int) -> None:
        for name, v in (("year", year), ("month", month)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise InvalidPeriod(
                    "period_type",
                    f"period {name} must be an int, got {type(v).__name__}",
                    "年月须为整数",
                )
        if not 1 <= month <= 12:
            raise InvalidPeriod(
                "period_month",
                f"period month must be 1-12, got {month}",
                f"月份须在1至12之间，实际为{month}",
            )
        if not 1 <= year <= 9999:
            raise InvalidPeriod(
                "period_year",
                f"period year must be 1-9999, got {year}",
                "年份须在1至9999之间",
            )
        object.__setattr__(self, "_year", year)
        object.__setattr__(self, "_month", month)

    @property
    def year(self) -> int:
        return self._year

    @property
    def month(self) -> int:
        return self._month

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Period is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Period is immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Period):
            return (self._year, self._month) == (other._year, other._month)
        return NotImplemented

    def __lt__(self, other: Period) -> bool:
        if isinstance(other, Period):
            return (self._year, self._month) < (other._year, other._month)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Period", self._year, self._month))

    def __reduce__(self) -> tuple[type[Period], tuple[int, int]]:
        return (Period, (self._year, self._month))

    def __repr__(self) -> str:
        return f"Period('{self}')"

    @classmethod
    def parse(cls, value: str) -> Period:
        """Parse ``"YYYY-MM"`` (exactly; ``"2026-1"`` and ``"2026-13"`` are rejected)."""
        if not isinstance(value, str):
            raise InvalidPeriod(
                "period_type",
                f"period must be a string like 2026-01, got {type(value).__name__}",
                "年月须为“YYYY-MM”格式的字符串",
            )
        m = _PERIOD_RE.fullmatch(value.strip())
        if m is None:
            raise InvalidPeriod(
                "period_format",
                "period must be written YYYY-MM, e.g. 2026-01",
                "年月格式须为 YYYY-MM，如 2026-01",
            )
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def from_date(cls, day: date) -> Period:
        """The period containing a calendar date (not a ``datetime``: use ``containing``)."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError("Period.from_date() needs a date; use Period.containing() for instants")
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, instant: datetime) -> Period:
        """The period containing an aware instant, by its Asia/Shanghai business date.
        ``2026-01-31T16:30Z`` is 1 February in Shanghai, so it is in ``2026-02``."""
        return cls.from_date(business_date(instant))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date) -> bool:
        """Whether a calendar date falls in this period."""
        return Period.from_date(day) == self

    def shift(self, months: int) -> Period:
        """The period ``months`` later (negative: earlier)."""
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def next(self) -> Period:
        return self.shift(1)

    def prev(self) -> Period:
        return self.shift(-1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def __get_pydantic_core_schema__(cls, source_type: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_period_field,
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
            "examples": ["2026-01"],
            "description": "Calendar month YYYY-MM (Asia/Shanghai)",
        }


def _validate_period_field(value: Any) -> Period:
    if isinstance(value, Period):
        return value
    try:
        return Period.parse(value)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


# --------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------

NON_EMPTY_STR_MAX = 255
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _validate_non_empty(value: str) -> str:
    text = value.strip()
    if not text:
        raise _pydantic_error("text_empty", "must not be empty", "不能为空")
    if len(text) > NON_EMPTY_STR_MAX:
        raise _pydantic_error(
            "text_too_long",
            f"must be at most {NON_EMPTY_STR_MAX} characters, got {len(text)}",
            f"长度不能超过{NON_EMPTY_STR_MAX}个字符，实际为{len(text)}个",
        )
    if _CONTROL_RE.search(text):
        raise _pydantic_error("text_control_char", "must not contain control characters", "不能包含控制字符")
    return text


NonEmptyStr: TypeAlias = Annotated[
    str,
    AfterValidator(_validate_non_empty),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": NON_EMPTY_STR_MAX}),
]
"""Text stripped of surrounding whitespace, non-empty, at most 255 characters, without
control characters other than tab and newlines."""
