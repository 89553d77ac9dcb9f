"""The exchange's values: recipient records (who receives what, by person reference), search
answers, callback deliveries. Pure: no I/O, no framework."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

TEMPORARY = "temporary"
"""The programme of a 临时救助 grant (the others are the case categories: dibao, tekun, …)."""


class RecipientStatus(StrEnum):
    ACTIVE = "active"  # paid now (a case)
    TERMINATED = "terminated"  # a case that ended (or a member who left it)
    GRANTED = "granted"  # a one-off grant (临时救助)


class AnswerStatus(StrEnum):
    """DCI statuses: of one search request (`succ`, `rjct`), of a message (`succ`, `part`,
    `rjct`), of an async transaction while it is computed (`pdng`)."""

    PENDING = "pdng"
    SUCCEEDED = "succ"
    PARTIAL = "part"
    REJECTED = "rjct"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt failed


class Purpose(StrEnum):
    """Why a department asks (the audit records it): the assistance it grants."""

    MEDICAL_ASSISTANCE = "medical_assistance"  # 医疗救助
    HOUSING_ASSISTANCE = "housing_assistance"  # 住房救助
    EDUCATION_ASSISTANCE = "education_assistance"  # 教育救助
    EMPLOYMENT_ASSISTANCE = "employment_assistance"  # 就业救助
    UTILITY_RELIEF = "utility_relief"  # 水电气减免
    OTHER_ASSISTANCE = "other_assistance"


@dataclass(frozen=True, slots=True)
class RecipientRecord:
    """One person in one case (or one grant): the projection's row."""

    person_ref: str
    source_id: UUID  # the case id, or the grant id
    household_id: UUID
    programme: str
    status: RecipientStatus
    masked_id: str
    since: date
    until: date | None
    region_code: str
    town_code: str | None
    is_payee: bool = False

    def public(self) -> tuple[str, str, date, date | None, str]:
        """What a department sees of it (what a notification is about when it changes)."""
        return (self.programme, self.status.value, self.since, self.until, self.region_code)


@dataclass(frozen=True, slots=True)
class SearchItem:
    """One search request, resolved: the person's reference (None when the request is
    rejected, with its reason). No clear resident ID."""

    reference_id: str
    person_ref: str | None
    masked_id: str | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Watched:
    """A subscribed person: the subscriber's own reference id for them."""

    subscription_id: UUID
    reference_id: str
    person_ref: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """A callback to POST: a transaction's answer (`on-search`) or a notification (`on-notify`)."""

    id: UUID
    callback_uri: str
    body: bytes
    secret: str
    attempts: int
    next_attempt_at: datetime
