"""Application errors (rendered as ErrorBody by the platform)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import Conflict, Forbidden, NotFound


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: UUID) -> None:
        super().__init__(f"application {application_id} not found", message_zh=f"未找到申请 {application_id}")


class HouseholdNotBound(Forbidden):
    """A citizen who has not bound a real name to a household cannot apply yet."""

    reason = "household_not_bound"

    def __init__(self) -> None:
        super().__init__("bind your real name before applying", message_zh="请先完成实名认证并绑定家庭后再提出申请")


class ResidentInOtherHousehold(Conflict):
    """A resident ID belongs to at most one household: the applicant already applied with
    another household (named only when the caller may see it)."""

    def __init__(self, household_id: UUID | None = None) -> None:
        where = f" ({household_id})" if household_id is not None else " outside your area"
        super().__init__(
            f"the applicant already belongs to another household{where}; apply with that household",
            message_zh="申请人已属于另一户家庭"
            + (f"（{household_id}）" if household_id else "（不在您的辖区）")
            + "，请以该户提出申请",
        )
