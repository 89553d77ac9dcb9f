"""Refusals of checks, in the common error shape (zh-CN and English)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import Conflict, NotFound


class AuthorisationMissing(Conflict):
    """A member has no valid 授权书 (DOMAIN-RULES §6.3): no department may be asked."""

    reason = "authorisation_missing"

    def __init__(self, masked_ids: list[str]) -> None:
        who = ", ".join(masked_ids)
        super().__init__(
            f"no valid check authorisation (授权书) for: {who}; record one per member, then run the check again",
            message_zh=f"以下家庭成员没有有效的核对授权书：{who}，请先录入授权书再发起核对",
        )
        self.masked_ids = masked_ids


class CheckNotFound(NotFound):
    reason = "check_not_found"

    def __init__(self, check_id: UUID) -> None:
        super().__init__(f"check {check_id} not found", message_zh=f"未找到核对 {check_id}")


class CheckNotRunning(Conflict):
    reason = "check_running"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"the check is {status}: wait until it finishes before asking again",
            message_zh="核对正在进行中，请待其完成后再重新查询",
        )


class NothingToRequery(Conflict):
    reason = "nothing_to_requery"

    def __init__(self) -> None:
        super().__init__(
            "every department answered this check: there is nothing to ask again",
            message_zh="各部门均已反馈，无需重新查询",
        )


class CheckChanged(Conflict):
    reason = "check_changed"

    def __init__(self) -> None:
        super().__init__(
            "the check was changed meanwhile (another runner or request): read it again",
            message_zh="核对记录已被其他操作更新，请刷新后重试",
        )
