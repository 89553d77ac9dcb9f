"""Verification domain errors."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from jiuzhu_platform.errors import BadRequest, NotFound


class ConsentNotFound(NotFound):
    def __init__(self, consent_id: UUID) -> None:
        super().__init__(f"consent {consent_id} not found", message_zh=f"未找到授权书 {consent_id}")


class ConsentSignedInFuture(BadRequest):
    def __init__(self, signed_on: date) -> None:
        super().__init__(
            f"the consent cannot be signed in the future ({signed_on})",
            message_zh=f"授权书签署日期不能晚于今天 ({signed_on})",
        )
