"""Tables of the exchange (in the verification service's metadata): the recipient projection,
async search transactions, subscriptions (their persons by reference) and the notification
outbox. No clear resident ID anywhere: person references and masked IDs only; callback
secrets are encrypted at rest (the service's PII key ring)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)

from jiuzhu_platform.pii import EncryptedString
from jiuzhu_platform.tables import UtcDateTime
from verification.adapters.orm import metadata

recipient = Table(
    "exchange_recipient",
    metadata,
    Column("person_ref", String(60), primary_key=True),
    Column("source_id", Uuid, primary_key=True),  # the case id, or the temporary grant id
    Column("household_id", Uuid, nullable=False),
    Column("programme", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("masked_id", String(18), nullable=False),
    Column("since", Date, nullable=False),
    Column("until", Date, nullable=True),
    Column("region_code", String(6), nullable=False),
    Column("town_code", String(12), nullable=True),
    Column("is_payee", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_exchange_recipient_source_id", "source_id"),
)

search_transaction = Table(
    "exchange_transaction",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("client_id", String(200), nullable=False),
    Column("transaction_id", String(100), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("purpose", String(40), nullable=True),
    Column("callback_uri", String(2000), nullable=False),
    Column("secret", EncryptedString("verification.exchange_transaction.secret"), nullable=False),
    Column("items", JSON, nullable=False),  # the requests resolved: reference ids, person refs, reasons
    Column("status", String(10), nullable=False),  # pdng until answered, then the answer's status
    Column("response", JSON, nullable=True),
    Column("delivery_status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", String(200), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("answered_at", UtcDateTime(), nullable=True),
    Column("correlation_id", String(200), nullable=False),
    UniqueConstraint("client_id", "transaction_id"),
    Index("ix_exchange_transaction_due", "delivery_status", "next_attempt_at"),
)

subscription = Table(
    "exchange_subscription",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("client_id", String(200), nullable=False, index=True),
    Column("message_id", String(100), nullable=False),
    Column("callback_uri", String(2000), nullable=False),
    Column("secret", EncryptedString("verification.exchange_subscription.secret"), nullable=False),
    Column("events", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    # one subscription per message of a client: a resent subscribe is refused, naming the first
    UniqueConstraint("client_id", "message_id"),
)

subscription_person = Table(
    "exchange_subscription_person",
    metadata,
    Column("subscription_id", Uuid, ForeignKey("exchange_subscription.id", ondelete="CASCADE"), primary_key=True),
    Column("reference_id", String(100), primary_key=True),
    Column("person_ref", String(60), nullable=False, index=True),
    Column("masked_id", String(18), nullable=False),
)

notification = Table(
    "exchange_notification",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("subscription_id", Uuid, ForeignKey("exchange_subscription.id", ondelete="CASCADE"), nullable=False),
    Column("reference_id", String(100), nullable=False),
    Column("event_id", Uuid, nullable=False),  # the eligibility event that changed the record
    Column("record", JSON, nullable=False),  # what the subscriber is told (masked)
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Index("ix_exchange_notification_due", "status", "next_attempt_at"),
    Index("ix_exchange_notification_subscription_id", "subscription_id"),
)
