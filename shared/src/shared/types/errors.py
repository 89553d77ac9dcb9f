"""The value-type failures: `InvalidValueError` (a stable `reason` and an English and zh-CN
message) and its subclasses per type, and their Pydantic form for the API edge."""

from __future__ import annotations

from pydantic_core import PydanticCustomError


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


class InvalidBankAccountNumber(InvalidValueError):
    """Invalid 银行卡号 / 银行账号."""


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
