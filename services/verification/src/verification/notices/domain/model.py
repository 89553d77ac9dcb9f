"""Department notices (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


@dataclass(frozen=True)
class Notice:
    """部门推送信息: what a department told us happened to a person, as stored."""

    id: UUID
    sender_client_id: str
    """The pushing department's OAuth2 client (the token's `client_id`): who sent it."""
    message_id: str
    """The sender's own id of the message: (sender, message id) is received once."""
    department: str
    kind: str
    person_name: str
    resident_id: str
    """The full number: encrypted at rest, masked in responses (`masked_id`), never in events."""
    masked_id: str
    person_ref: str
    """The city-wide person reference (`pr1_…`): how eligibility and payment find the person."""
    occurred_on: date
    reference: str | None
    """The department's record id (e.g. the 注销 record), when it gave one."""
    sent_at: datetime | None
    received_at: datetime
    correlation_id: str


class ReceiptStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Receipt:
    """The answer to a notice that was received (an ACK): newly `accepted`, or a `duplicate` of
    an earlier message with the same id from the same sender (nothing new happened)."""

    message_id: str
    status: ReceiptStatus
    notice_id: UUID
