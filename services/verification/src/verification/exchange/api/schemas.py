"""HTTP models of the exchange: DCI / G2P Connect shaped envelopes (`header` + `message`) for
search, its answers, async transactions and subscriptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from shared.types import ResidentId
from verification.exchange.domain.model import Purpose
from verification.exchange.domain.rules import MAX_CALLBACK_URI

VISIBLE_ASCII = r"^[!-~]+$"

MAX_SEARCH_REQUESTS = 100
MAX_SUBSCRIBED_PERSONS = 1000

MessageId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=VISIBLE_ASCII),
    Field(description="1–100 visible ASCII characters (no spaces)"),
]
ReferenceId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=VISIBLE_ASCII),
    Field(description="The requester's own id of this request or person (echoed back; 1–100 visible ASCII)"),
]
ClientIdText = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=VISIBLE_ASCII)]
CallbackUri = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CALLBACK_URI),
    Field(description="Absolute http(s) URL the answer or notifications are POSTed to"),
]
ShortText = Annotated[str, StringConstraints(max_length=64)]

EXAMPLE_SEARCH: JsonDict = {
    "header": {
        "message_id": "ybj-20261204-0001",
        "message_ts": "2026-12-04T09:30:00+08:00",
        "action": "search",
        "sender_id": "dept_medical_security",
        "purpose": "medical_assistance",
    },
    "message": {
        "transaction_id": "tx-20261204-0001",
        "search_request": [
            {
                "reference_id": "r1",
                "search_criteria": {
                    "query_type": "idtype-value",
                    "query": {"type": "resident_id", "value": "520102198001013011"},
                },
            }
        ],
    },
}
EXAMPLE_ASYNC_SEARCH: JsonDict = {
    "header": {**EXAMPLE_SEARCH["header"], "callback_uri": "https://ybj.example.gov.cn/dci/on-search"},  # type: ignore[dict-item]
    "message": EXAMPLE_SEARCH["message"],
}
EXAMPLE_SUBSCRIBE: JsonDict = {
    "header": {
        "message_id": "zjj-20261204-0007",
        "message_ts": "2026-12-04T09:30:00+08:00",
        "action": "subscribe",
        "sender_id": "dept_housing",
        "purpose": "housing_assistance",
    },
    "message": {
        "callback_uri": "https://zjj.example.gov.cn/dci/on-notify",
        "persons": [{"reference_id": "applicant-778", "resident_id": "520102198001013011"}],
        "events": ["recipient_changed"],
    },
}


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: MessageId
    message_ts: AwareDatetime
    sender_id: ClientIdText | None = Field(default=None, description="The sending client's id; must be the token's")
    receiver_id: ClientIdText | None = None
    version: Annotated[str, StringConstraints(max_length=20, pattern=VISIBLE_ASCII)] | None = None
    purpose: Purpose | None = Field(default=None, description="Why the department asks (recorded in the audit)")
    is_msg_encrypted: Literal[False] = False


class SearchHeader(_Header):
    action: Literal["search"]
    callback_uri: CallbackUri | None = Field(
        default=None, description="When given: answered 202 at once, the answer POSTed here (`on-search`)"
    )


class IdQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ShortText = Field(description="`resident_id` (公民身份号码)")
    value: ShortText


class SearchCriteria(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query_type: ShortText = Field(description="`idtype-value`")
    query: IdQuery


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_id: ReferenceId
    search_criteria: SearchCriteria


class SearchMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transaction_id: MessageId
    search_request: list[SearchRequest] = Field(min_length=1, max_length=MAX_SEARCH_REQUESTS)


class SearchEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_SEARCH]})

    header: SearchHeader
    message: SearchMessage


class RegRecord(BaseModel):
    programme: str = Field(description="dibao, tekun, marginal, rigid_expense, phase_out … or temporary (临时救助)")
    status: Literal["active", "terminated", "granted"]
    since: date
    until: date | None
    region_code: str
    masked_id: str


class RegRecords(BaseModel):
    reg_records: list[RegRecord]


class SearchResponseItem(BaseModel):
    reference_id: str
    status: Literal["succ", "rjct"]
    reason: str | None = Field(
        default=None, description="For `rjct`: invalid_resident_id, unsupported_query_type, unsupported_id_type"
    )
    data: RegRecords | None = None


class ResponseHeader(BaseModel):
    message_id: str
    message_ts: datetime
    action: Literal["on-search"]
    status: Literal["succ", "part", "rjct"]
    sender_id: str
    receiver_id: str
    total_count: int
    completed_count: int


class SearchResponseMessage(BaseModel):
    transaction_id: str
    search_response: list[SearchResponseItem]


class SearchAnswer(BaseModel):
    header: ResponseHeader
    message: SearchResponseMessage


class SearchAccepted(BaseModel):
    """202: an async search is stored; its answer goes to the callback, signed with `secret`."""

    transaction_id: str
    status: Literal["pdng"]
    secret: str = Field(description="Signs this transaction's callback (X-Jiuzhu-Signature); shown once")


class TransactionRead(BaseModel):
    transaction_id: str
    status: Literal["pdng", "succ", "part", "rjct"]
    delivery_status: Literal["pending", "delivered", "failed"]
    attempts: int
    received_at: datetime
    answered_at: datetime | None
    response: SearchAnswer | None = Field(description="The answer once computed (as POSTed to the callback)")


class SubscribeHeader(_Header):
    action: Literal["subscribe"]


class SubscribedPersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference_id: ReferenceId
    resident_id: ResidentId


class SubscribeMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    callback_uri: CallbackUri
    persons: list[SubscribedPersonIn] = Field(min_length=1, max_length=MAX_SUBSCRIBED_PERSONS)
    events: list[Literal["recipient_changed"]] = Field(default=["recipient_changed"], min_length=1, max_length=1)


class SubscribeEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_SUBSCRIBE]})

    header: SubscribeHeader
    message: SubscribeMessage


class SubscriptionCreated(BaseModel):
    subscription_id: UUID
    secret: str = Field(description="Signs this subscription's notifications (X-Jiuzhu-Signature); shown once")
    persons: int
    events: list[str]
