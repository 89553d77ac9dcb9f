"""Eligibility domain errors (rendered as ErrorBody by the platform)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import Conflict, Forbidden, NotFound


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: UUID) -> None:
        super().__init__(f"application {application_id} not found", message_zh=f"未找到申请 {application_id}")


class PolicyVersionChanged(Conflict):
    def __init__(self, policy_set: str, version: str) -> None:
        super().__init__(
            f"policy {policy_set} version {version} differs from the stored one; versions are immutable, add a new one",
            message_zh=f"政策参数 {policy_set} 版本 {version} 与已入库内容不一致；版本不可修改，请新增版本",
        )


class HouseholdNotBound(Forbidden):
    """A citizen who has not bound a real name to a household cannot apply yet."""

    reason = "household_not_bound"

    def __init__(self) -> None:
        super().__init__("bind your real name before applying", message_zh="请先完成实名认证并绑定家庭后再提出申请")
