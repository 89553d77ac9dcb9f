"""Why a full value of personal data is read (查询事由): a code from a fixed list, never free
text, so the audit log cannot become a store of the very data it guards.

- `ReadPurpose`: the codes, each with a zh-CN and an English label (`ReadPurpose.label()`).
- An optional note (`purpose_note`) may add context; it is bounded (`MAX_NOTE_LENGTH`), must
  carry a visible character, no control characters, and nothing the redaction filter would
  mask (a resident ID, phone or bank card number): `check_note` refuses it instead of storing
  a masked copy, so the caller learns to leave such numbers out.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from jiuzhu_platform.params import CONTROL_CHARACTER
from jiuzhu_platform.redaction import redact

__all__ = ["MAX_NOTE_LENGTH", "ReadPurpose", "check_note"]

MAX_NOTE_LENGTH: Final = 200


class ReadPurpose(StrEnum):
    """查询事由 of a full-value read."""

    ELIGIBILITY_REVIEW = "eligibility_review"  # 资格审核
    HOME_VISIT = "home_visit"  # 入户核查
    PERIODIC_REVIEW = "periodic_review"  # 定期复核
    PAYMENT_ISSUE = "payment_issue"  # 发放问题处理
    DATA_CORRECTION = "data_correction"  # 信息更正
    COMPLAINT = "complaint"  # 投诉信访处理
    AUDIT_INSPECTION = "audit_inspection"  # 审计监督检查
    JUDICIAL_REQUEST = "judicial_request"  # 司法协查

    def label(self, language: str = "zh-CN") -> str:
        """The code's label in `language` (`zh-CN` or `en`)."""
        zh, en = _LABELS[self]
        return en if language.lower().startswith("en") else zh


_LABELS: Final[dict[ReadPurpose, tuple[str, str]]] = {
    ReadPurpose.ELIGIBILITY_REVIEW: ("资格审核", "eligibility review"),
    ReadPurpose.HOME_VISIT: ("入户核查", "home visit"),
    ReadPurpose.PERIODIC_REVIEW: ("定期复核", "periodic review"),
    ReadPurpose.PAYMENT_ISSUE: ("发放问题处理", "payment issue"),
    ReadPurpose.DATA_CORRECTION: ("信息更正", "data correction"),
    ReadPurpose.COMPLAINT: ("投诉信访处理", "complaint handling"),
    ReadPurpose.AUDIT_INSPECTION: ("审计监督检查", "audit inspection"),
    ReadPurpose.JUDICIAL_REQUEST: ("司法协查", "judicial request"),
}

PURPOSE_DESCRIPTION: Final = "查询事由, from a fixed list: " + ", ".join(
    f"`{code.value}` ({zh} / {en})" for code, (zh, en) in _LABELS.items()
)


def check_note(value: str) -> str:
    """`value` if it may stand in the audit log as a purpose note; ValueError (a 422 at the
    edge) when it is blank, too long, has control characters or personal numbers."""
    if not value.strip():
        raise ValueError("must not be blank / 不得为空白")
    if len(value) > MAX_NOTE_LENGTH:
        raise ValueError(f"must be at most {MAX_NOTE_LENGTH} characters / 不得超过 {MAX_NOTE_LENGTH} 个字符")
    if CONTROL_CHARACTER.search(value):
        raise ValueError("must not contain control characters / 不得包含控制字符")
    if redact(value) != value:
        raise ValueError(
            "must not contain a resident ID, phone or bank account number / 不得包含身份证号、手机号或银行账号"
        )
    return value
