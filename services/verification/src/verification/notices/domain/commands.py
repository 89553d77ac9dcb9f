"""What a department asks: receive one notice (built by the edge from the envelope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shared.events.verification import Department, DepartmentNoticeKind
from shared.types import ResidentId


@dataclass(frozen=True, slots=True)
class ReceiveNotice:
    """接收部门推送: one notice of one sender."""

    sender_client_id: str
    message_id: str
    department: Department
    kind: DepartmentNoticeKind
    person_name: str
    resident_id: ResidentId
    occurred_on: date
    correlation_id: str
    reference: str | None = None
    sent_at: datetime | None = None
    header_sender_id: str | None = None
    """`header.sender_id` as the envelope states it; when given it must be the token's client."""
