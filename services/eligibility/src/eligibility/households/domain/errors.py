"""Refusals of the household record (pure)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import Conflict, NotFound


class HouseholdNotFound(NotFound):
    def __init__(self, household_id: UUID) -> None:
        super().__init__(f"household {household_id} not found", message_zh=f"未找到家庭户 {household_id}")


class NoHouseholdForResident(NotFound):
    """No household holds this resident ID as a current member, or none the caller may see (the
    two answer alike: a search must not tell another county's records apart from none)."""

    reason = "household_not_found"

    def __init__(self) -> None:
        super().__init__(
            "no household in your area has this person as a current member",
            message_zh="您的辖区内没有以此人为现有成员的家庭户",
        )


class MemberNotFound(NotFound):
    def __init__(self, member_id: UUID) -> None:
        super().__init__(f"member {member_id} not found in this household", message_zh="该户没有此成员")


class DuplicateMember(Conflict):
    def __init__(self) -> None:
        super().__init__("this person is already a member of the household", message_zh="此人已是本户成员")


class ResidentInAnotherHousehold(Conflict):
    """A resident ID is a current member of at most one household."""

    reason = "resident_in_other_household"

    def __init__(self, household_id: UUID | None = None) -> None:
        where = f" ({household_id})" if household_id else " outside your area"
        super().__init__(
            f"this person is a current member of another household{where}; they must leave it first",
            message_zh="此人是另一户的现有成员"
            + (f"（{household_id}）" if household_id else "（不在您的辖区）")
            + "，须先办理迁出",
        )


class HouseholdChanged(Conflict):
    reason = "household_changed"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the household is at version {actual}, not {expected}: reload it and try again",
            message_zh=f"家庭户已被他人更新（当前版本 {actual}，提交版本 {expected}），请刷新后重试",
        )


class LastMemberCannotLeave(Conflict):
    def __init__(self) -> None:
        super().__init__("a household keeps at least one current member", message_zh="家庭户至少保留一名现有成员")
