"""统一社会信用代码 (GB 32100-2015), DOMAIN-RULES §8.2: the check character, the embedded
organisation code, registration categories, and a report of problems for bulk imports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    WithJsonSchema,
)

from shared.types.errors import InvalidCreditCode, InvalidValueError
from shared.types.text import _normalise_code

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
