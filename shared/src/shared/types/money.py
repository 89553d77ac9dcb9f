"""Money: `Decimal` yuan with two places or integer fen, never float; the one rounding
(`round_fen`), ‰ rates, and the formatting of amounts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue

from shared.types.errors import InvalidMoney, InvalidRate, InvalidValueError, _pydantic_error

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
