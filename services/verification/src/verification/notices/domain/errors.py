"""Refusals of department notices. A refused notice is a NACK: 422 with a `reason` code, nothing
stored, nothing announced."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from jiuzhu_platform.errors import DomainError, NotFound


class NoticeNotFound(NotFound):
    def __init__(self, notice_id: UUID) -> None:
        super().__init__(f"notice {notice_id} not found", message_zh=f"未找到部门推送信息 {notice_id}")


class NoticeRefused(DomainError):
    """NACK: the envelope is well formed but the notice cannot be accepted. `reason` says why:

    - `kind_not_reported_by_department`: the department does not report this kind of fact;
    - `occurred_in_future`: the fact is dated after tomorrow (Asia/Shanghai);
    - `sender_mismatch`: `header.sender_id` is not the authenticated client."""

    status_code = 422
    reason = "notice_refused"
    reasons: ClassVar[tuple[str, ...]] = ("kind_not_reported_by_department", "occurred_in_future", "sender_mismatch")

    @classmethod
    def kind_not_reported(cls, department: str, kind: str) -> NoticeRefused:
        return cls(
            f"the department {department} does not report {kind} notices",
            message_zh=f"部门 {department} 无权推送 {kind} 类信息",
            reason="kind_not_reported_by_department",
        )

    @classmethod
    def in_future(cls, occurred_on: date, latest: date) -> NoticeRefused:
        return cls(
            f"occurred_on {occurred_on} is after {latest}",
            message_zh=f"发生日期 {occurred_on} 晚于 {latest}",
            reason="occurred_in_future",
        )

    @classmethod
    def sender_mismatch(cls) -> NoticeRefused:
        return cls(
            "header.sender_id is not the authenticated client",
            message_zh="header.sender_id 与认证的客户端不一致",
            reason="sender_mismatch",
        )


class NotADepartment(DomainError):
    """403: only a department client (token kind `department`, with its `client_id`) pushes
    notices; the scope alone is not enough."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("only a department client may push notices", message_zh="只有部门客户端可以推送信息")


class BatchMediaTypeUnsupported(DomainError):
    """415: a batch is `application/x-ndjson` (one envelope per line)."""

    status_code = 415

    def __init__(self, content_type: str | None) -> None:
        super().__init__(
            f"a batch must be sent as application/x-ndjson, not {content_type or 'no content type'}",
            message_zh="批量推送须使用 application/x-ndjson 格式",
        )
