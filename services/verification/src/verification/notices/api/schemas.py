"""HTTP models of the department-notice exchange: the envelope (DCI / G2P Connect shaped:
`header` + `message`), the ACK, one line of a batch answer, and the masked read models."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from shared.events.verification import Department, DepartmentNoticeKind
from shared.types import NonEmptyStr, ResidentId
from verification.notices.domain.rules import EARLIEST_OCCURRED_ON

VISIBLE_ASCII = r"^[!-~]+$"

MessageId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=VISIBLE_ASCII),
    Field(description="The sender's id of this message, 1–100 visible ASCII characters (no spaces)"),
]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=VISIBLE_ASCII)]
ClientIdText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=VISIBLE_ASCII)]

EXAMPLE_ENVELOPE: JsonDict = {
    "header": {
        "message_id": "gaj-20261130-000123",
        "sender_id": "dept_4f1c2a9b7d3e5f60718293a4",
        "sent_at": "2026-12-01T08:30:00+08:00",
    },
    "message": {
        "kind": "death",
        "department": "public_security",
        "resident_id": "11010519491231002X",
        "name": "李四",
        "occurred_on": "2026-11-30",
        "reference": "HJ-ZX-2026-0042",
    },
}

EXAMPLE_BATCH_LINES: tuple[JsonDict, ...] = (
    {
        "header": {"message_id": "gaj-20261204-000311", "sent_at": "2026-12-04T18:00:00+08:00"},
        "message": {
            "kind": "death",
            "department": "public_security",
            "resident_id": "520102195408020260",
            "name": "刘桂兰",
            "occurred_on": "2026-12-02",
            "reference": "HJ-ZX-2026-0317",
        },
    },
    {
        "header": {"message_id": "gaj-20261204-000312", "sent_at": "2026-12-04T18:00:00+08:00"},
        "message": {
            "kind": "vehicle_registered",
            "department": "public_security",
            "resident_id": "520102196105100356",
            "name": "陈建国",
            "occurred_on": "2026-11-28",
            "reference": "JG-DJ-2026-10458",
        },
    },
)
EXAMPLE_BATCH = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in EXAMPLE_BATCH_LINES)
"""`POST /notices/batch`: two envelopes, one a line (NDJSON); `sender_id` is optional and left out."""


class NoticeHeader(BaseModel):
    """Who sent the message and its id. The sender is the authenticated client (the token's
    `client_id`); `sender_id`, when given, must be that client."""

    model_config = ConfigDict(extra="forbid")

    message_id: MessageId
    sender_id: ClientIdText | None = Field(default=None, description="The sending client's id, if stated")
    sent_at: AwareDatetime | None = Field(default=None, description="When the department's system sent it")


class NoticeMessage(BaseModel):
    """What happened to whom: one fact about one person."""

    model_config = ConfigDict(extra="forbid")

    kind: DepartmentNoticeKind
    department: Department = Field(description="The reporting department (its records are the source)")
    resident_id: ResidentId
    name: NonEmptyStr = Field(max_length=100, description="The person's name as the department records it")
    occurred_on: date = Field(
        ge=EARLIEST_OCCURRED_ON, description="When it happened; not before 1900, not after tomorrow (Asia/Shanghai)"
    )
    reference: Reference | None = Field(default=None, description="The department's record id")


class NoticeCreate(BaseModel):
    """One notice in its envelope."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_ENVELOPE]})

    header: NoticeHeader
    message: NoticeMessage


class NoticeReceipt(BaseModel):
    """ACK: `accepted` (stored and announced now) or `duplicate` (this sender's message id was
    received before: the original notice, nothing new happened)."""

    message_id: str
    status: Literal["accepted", "duplicate"]
    notice_id: UUID


class NoticeLineResult(BaseModel):
    """One line of a batch answer: the line number (from 1), its message id when it could be
    read, `accepted` / `duplicate` (with the notice id) or `rejected` (with a reason code and,
    for a malformed line, the field errors)."""

    line: int
    message_id: str | None = None
    status: Literal["accepted", "duplicate", "rejected"]
    notice_id: UUID | None = None
    reason: str | None = None
    detail: str | list[dict[str, object]] | None = None


class NoticeRead(BaseModel):
    """A stored notice, the resident ID masked."""

    id: UUID
    sender_client_id: str
    message_id: str
    department: Department
    kind: DepartmentNoticeKind
    person_name: str
    masked_id: str
    person_ref: str = Field(description="The city-wide person reference (how eligibility matches the person)")
    occurred_on: date
    reference: str | None
    sent_at: datetime | None
    received_at: datetime


class NoticePage(BaseModel):
    items: list[NoticeRead]
    total: int
    limit: int
    offset: int
