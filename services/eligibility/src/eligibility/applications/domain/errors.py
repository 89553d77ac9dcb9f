"""Application errors (rendered as ErrorBody by the platform)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import Forbidden, NotFound


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: UUID) -> None:
        super().__init__(f"application {application_id} not found", message_zh=f"未找到申请 {application_id}")


class HouseholdNotBound(Forbidden):
    """A citizen who has not bound a real name to a household cannot apply yet."""

    reason = "household_not_bound"

    def __init__(self) -> None:
        super().__init__("bind your real name before applying", message_zh="请先完成实名认证并绑定家庭后再提出申请")
