"""Text at the edge: full-width characters folded to ASCII in codes, and `NonEmptyStr`
(trimmed, bounded, no control characters)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, TypeAlias

from pydantic import (
    AfterValidator,
    WithJsonSchema,
)

from shared.types.errors import _pydantic_error

# Full-width ASCII variants (U+FF01..U+FF5E) → ASCII, plus the ideographic space. Chinese
# input methods produce these; they are never meaningful inside a code.
FULLWIDTH_TO_ASCII: Mapping[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _normalise_code(value: str) -> str:
    return value.translate(FULLWIDTH_TO_ASCII).strip()


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
