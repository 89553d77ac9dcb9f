"""Verification domain errors."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from jiuzhu_platform.errors import BadRequest, Conflict, NotFound


class ConsentNotFound(NotFound):
    def __init__(self, consent_id: UUID) -> None:
        super().__init__(f"consent {consent_id} not found", message_zh=f"未找到授权书 {consent_id}")


class ConsentSignedInFuture(BadRequest):
    def __init__(self, signed_on: date) -> None:
        super().__init__(
            f"the consent cannot be signed in the future ({signed_on})",
            message_zh=f"授权书签署日期不能晚于今天 ({signed_on})",
        )


class ConsentPeriodInvalid(BadRequest):
    reason = "consent_period_invalid"

    def __init__(self) -> None:
        super().__init__(
            "valid_until cannot be before the day the authorisation was signed",
            message_zh="授权有效期截止日不能早于签署日期",
        )


class ConsentAlreadyRevoked(Conflict):
    reason = "consent_already_revoked"

    def __init__(self) -> None:
        super().__init__("this authorisation is already revoked", message_zh="该授权书已撤销")
