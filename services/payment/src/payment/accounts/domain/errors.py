"""Refusals of payee accounts (zh-CN and English)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import Conflict, Forbidden, NotFound


class AccountNotFound(NotFound):
    reason = "account_not_found"

    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"payee account {account_id} not found", message_zh=f"未找到收款账户 {account_id}")


class SameOfficerConfirms(Forbidden):
    """A changed account is confirmed by a second officer, never by who changed it."""

    reason = "same_officer"

    def __init__(self) -> None:
        super().__init__(
            "who recorded the account change cannot confirm it: another officer must",
            message_zh="录入账户变更的经办人不能确认该变更，须由另一名经办人确认",
        )


class AlreadyConfirmed(Conflict):
    reason = "account_already_confirmed"

    def __init__(self) -> None:
        super().__init__("this account change is already confirmed", message_zh="该账户变更已确认")
