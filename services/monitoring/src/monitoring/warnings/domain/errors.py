"""Errors of early warning and spot checks (4xx in the common shape, zh-CN and English)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from jiuzhu_platform.errors import Conflict, DomainError, NotFound


class AlertNotFound(NotFound):
    reason = "alert_not_found"

    def __init__(self, alert_id: UUID) -> None:
        super().__init__(f"alert {alert_id} not found", message_zh=f"未找到预警 {alert_id}")


class DispositionIncomplete(Conflict):
    """409: the alert cannot close as asked. Reasons: `disposition_required`,
    `evidence_required`, `alert_closed`."""

    reason = "disposition_required"

    def __init__(self, reason: str, detail: str, message_zh: str) -> None:
        super().__init__(detail, message_zh=message_zh, reason=reason)


class SpotCheckEmpty(DomainError):
    """422: nothing to draw. Reasons: `spot_check_empty` (no active case of the category in the
    area), `inspectors_required`."""

    status_code: ClassVar[int] = 422
    reason = "spot_check_empty"

    def __init__(
        self,
        reason: str = "spot_check_empty",
        detail: str = "no active case of that category in the area to draw from",
        message_zh: str = "该辖区没有可抽查的在保对象",
    ) -> None:
        super().__init__(detail, message_zh=message_zh, reason=reason)


class SpotCheckNotFound(NotFound):
    reason = "spot_check_not_found"

    def __init__(self, draw_id: UUID) -> None:
        super().__init__(f"spot check {draw_id} not found", message_zh=f"未找到抽查 {draw_id}")


class SpotCheckResultRefused(Conflict):
    """409: a result that does not fit the draw. Reasons: `case_not_drawn`, `result_recorded`
    (each drawn case is checked once), `finding_required` (a non-compliant case names what was
    wrong), `finding_unexpected` (a compliant one does not)."""

    reason = "case_not_drawn"

    def __init__(self, reason: str, detail: str, message_zh: str) -> None:
        super().__init__(detail, message_zh=message_zh, reason=reason)
