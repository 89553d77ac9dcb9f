"""Errors of the bank files: a batch that cannot be written, a result file that cannot be trusted.

Each carries a stable ``reason`` (the constructor's ``reason=``), an English ``detail`` and a
zh-CN ``message_zh``. Messages never echo account numbers or names.
"""

from __future__ import annotations

from jiuzhu_platform.errors import BadRequest


class BatchInvalid(BadRequest):
    """A batch header or transfer that no bank file may carry (``batch_*`` reasons)."""

    reason = "batch_invalid"

    def __init__(self, detail: str, message_zh: str, *, reason: str) -> None:
        super().__init__(detail, message_zh=message_zh, reason=reason)


class BatchTotalsMismatch(BatchInvalid):
    """The streamed transfers do not add up to the header's count and control sum; the file
    written so far is wrong and must be discarded."""

    reason = "batch_totals_mismatch"

    def __init__(self, *, declared: tuple[int, int], streamed: tuple[int, int]) -> None:
        super().__init__(
            f"the batch header declares {declared[0]} transfers totalling {declared[1]} fen, "
            f"the stream had {streamed[0]} totalling {streamed[1]} fen",
            f"批次头声明{declared[0]}笔共{declared[1]}分，实际为{streamed[0]}笔共{streamed[1]}分",
            reason="batch_totals_mismatch",
        )


class ResultFileInvalid(BadRequest):
    """A bank result file that is malformed, truncated, carries a DTD, or whose lines do not add
    up to its header. Reasons:

    - ``result_malformed``: not well-formed XML / not the expected CSV layout (truncated files too);
    - ``result_dtd_forbidden``: a DOCTYPE (DTDs and entities are never processed);
    - ``result_wrong_message``: well-formed XML, but not the expected ISO 20022 message;
    - ``result_missing_field``: a required element or column is missing or empty;
    - ``result_bad_value``: an id, amount, date or status that does not parse;
    - ``result_totals_mismatch``: the counted lines or their sum differ from the declared totals;
    - ``result_encoding``: the bytes do not decode in the given encoding.

    ``line`` (CSV) or ``element`` (XML) says where, when known.
    """

    reason = "result_file_invalid"

    def __init__(self, reason: str, detail: str, message_zh: str, *, where: str | None = None) -> None:
        suffix_en = f" (at {where})" if where else ""
        suffix_zh = f"（位置：{where}）" if where else ""
        super().__init__(detail + suffix_en, message_zh=message_zh + suffix_zh, reason=reason)
        self.where = where
