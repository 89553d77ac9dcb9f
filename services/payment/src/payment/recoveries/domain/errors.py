"""Refusals of recoveries (zh-CN and English)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import BadRequest, Conflict, NotFound


class RecoveryNotFound(NotFound):
    reason = "recovery_not_found"

    def __init__(self, recovery_id: UUID) -> None:
        super().__init__(f"recovery {recovery_id} not found", message_zh=f"未找到追缴记录 {recovery_id}")


class RecoveryClosed(Conflict):
    reason = "recovery_settled"

    def __init__(self) -> None:
        super().__init__("this recovery is settled", message_zh="该追缴已结清")


class AmountAboveOutstanding(BadRequest):
    reason = "amount_above_outstanding"

    def __init__(self, outstanding_fen: int) -> None:
        super().__init__(
            f"more than is outstanding ({outstanding_fen / 100:.2f} yuan)",
            message_zh=f"金额超过待追缴余额（{outstanding_fen / 100:.2f} 元）",
        )


class FineNotForThisReason(Conflict):
    reason = "fine_needs_fraud"

    def __init__(self) -> None:
        super().__init__(
            "a fine is decided only for a case terminated for fraud (虚报冒领)",
            message_zh="仅对以骗取救助终止的案件可处以罚款",
        )


class FineAlreadyDecided(Conflict):
    reason = "fine_already_decided"

    def __init__(self) -> None:
        super().__init__("the fine of this recovery is already decided", message_zh="该追缴的罚款已决定")
