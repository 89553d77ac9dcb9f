"""Exchange use cases: apply an eligibility event to the recipient projection (and write the
notifications of what changed, in the same transaction), answer a search, accept an async one,
subscribe / unsubscribe, and — edges of their own — answer pending transactions and deliver
callbacks with retries.

Resident IDs are turned into person references at once (`resolve`) and never stored; answers
carry masked IDs only. Never commits, except the delivery edges (`run_transactions`,
`deliver_notifications`) which own their transactions."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform import audit
from jiuzhu_platform.db import Database
from jiuzhu_platform.person_ref import person_ref
from jiuzhu_platform.runtime import Runtime
from shared.events import BenefitChanged, CaseApproved, CaseTerminated, Event, TemporaryAssistanceGranted
from shared.types import ResidentId
from verification.adapters.orm import audit_log
from verification.exchange.adapters.callbacks import CallbackSender
from verification.exchange.adapters.orm import notification, search_transaction
from verification.exchange.adapters.repository import (
    CallbackQueue,
    RecipientRepository,
    SubscriptionRepository,
    TransactionRepository,
    add_notifications,
    subscription_callbacks,
)
from verification.exchange.domain import rules
from verification.exchange.domain.errors import SubscriptionExists, SubscriptionNotFound, TransactionNotFound
from verification.exchange.domain.model import (
    AnswerStatus,
    DeliveryStatus,
    RecipientRecord,
    SearchItem,
)
from verification.settings import Settings

logger = logging.getLogger(__name__)

SENDER_ID = "jiuzhu-verification"
"""`header.sender_id` of what the exchange sends."""
RECIPIENT_CHANGED = "recipient_changed"


@dataclass(frozen=True, slots=True)
class ExchangeDeps:
    now: Callable[[], datetime]
    person_ref_key: bytes
    retry_base_seconds: float = 5.0
    retry_cap_seconds: float = 900.0
    max_attempts: int = 8
    """Attempts of one callback before it is recorded `failed`."""
    batch: int = 50


def deps_of(runtime: Runtime) -> ExchangeDeps:
    settings = cast(Settings, runtime.settings)
    return ExchangeDeps(
        now=lambda: runtime.now(),  # read at each call: a test may move the runtime's clock
        person_ref_key=settings.person_ref_secret(),
        retry_base_seconds=settings.exchange_retry_base_seconds,
        retry_cap_seconds=settings.exchange_retry_cap_seconds,
        max_attempts=settings.exchange_max_attempts,
    )


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asks: the department client (the token's `client_id`) and why."""

    client_id: str
    purpose: str | None
    correlation_id: str


@dataclass(frozen=True, slots=True)
class SearchQuery:
    reference_id: str
    query_type: str
    id_type: str
    value: str


# --------------------------------------------------------------------------- the projection


async def apply_event(session: AsyncSession, event: Event, now: datetime) -> int:
    """Apply one eligibility event to the projection; for every record that changed as a
    department sees it, a notification per subscriber watching the person (same transaction).
    Returns how many notifications were written. Applying an event again changes nothing."""
    repository = RecipientRepository(session)
    if isinstance(event, CaseApproved):
        after = rules.approved(event.data)
    elif isinstance(event, BenefitChanged):
        after = rules.changed(await repository.of_source(event.data.case_id), event.data)
    elif isinstance(event, CaseTerminated):
        after = rules.terminated(await repository.of_source(event.data.case_id), event.data)
    elif isinstance(event, TemporaryAssistanceGranted):
        after = rules.granted(event.data)
    else:
        return 0
    before = await repository.of_keys(rules.key_of(r) for r in after)
    await repository.save(after, before, now)
    changes = rules.differences(before, after)
    return await _notify(session, changes, event.id, now)


async def _notify(session: AsyncSession, changes: Sequence[RecipientRecord], event_id: UUID, now: datetime) -> int:
    if not changes:
        return 0
    by_person: dict[str, list[RecipientRecord]] = {}
    for record in changes:
        by_person.setdefault(record.person_ref, []).append(record)
    rows = [
        {
            "id": uuid.uuid4(),
            "subscription_id": watched.subscription_id,
            "reference_id": watched.reference_id,
            "event_id": event_id,
            "record": record_json(record),
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for watched in await SubscriptionRepository(session).watching(by_person)
        for record in by_person[watched.person_ref]
    ]
    await add_notifications(session, rows)
    return len(rows)


def record_json(record: RecipientRecord) -> dict[str, Any]:
    """A record as departments see it (`reg_records` items): masked, no household, no case id."""
    return {
        "programme": record.programme,
        "status": record.status.value,
        "since": rules.day_text(record.since),
        "until": rules.day_text(record.until),
        "region_code": record.region_code,
        "masked_id": record.masked_id,
    }


# --------------------------------------------------------------------------- searching


def resolve(queries: Sequence[SearchQuery], key: bytes) -> list[SearchItem]:
    """Each request as a person reference, or rejected with its reason code (a bad one does not
    spoil the others). The resident IDs go no further than here."""
    items = []
    for query in queries:
        problem = rules.request_problem(query.query_type, query.id_type)
        if problem is None:
            try:
                ref = person_ref(ResidentId(query.value), key)
            except ValueError:
                problem = "invalid_resident_id"
            else:
                items.append(SearchItem(query.reference_id, ref.ref, ref.masked_id))
                continue
        items.append(SearchItem(query.reference_id, None, None, problem))
    return items


@dataclass(frozen=True, slots=True)
class Answer:
    status: AnswerStatus
    responses: list[dict[str, Any]]
    found: int


async def answer(session: AsyncSession, items: Sequence[SearchItem]) -> Answer:
    records = await RecipientRepository(session).of_people([i.person_ref for i in items if i.person_ref])
    responses: list[dict[str, Any]] = []
    statuses: list[AnswerStatus] = []
    found = 0
    for item in items:
        if item.person_ref is None:
            statuses.append(AnswerStatus.REJECTED)
            responses.append(
                {"reference_id": item.reference_id, "status": AnswerStatus.REJECTED.value, "reason": item.reason}
            )
            continue
        mine = rules.visible(records.get(item.person_ref, []))
        found += bool(mine)
        statuses.append(AnswerStatus.SUCCEEDED)
        responses.append(
            {
                "reference_id": item.reference_id,
                "status": AnswerStatus.SUCCEEDED.value,
                "reason": None,
                "data": {"reg_records": [record_json(r) for r in mine]},
            }
        )
    return Answer(rules.message_status(statuses), responses, found)


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _envelope(action: str, receiver: str, now: datetime, message: dict[str, Any], **header: Any) -> dict[str, Any]:
    return {
        "header": {
            "message_id": str(uuid.uuid4()),
            "message_ts": _utc_text(now),
            "action": action,
            "sender_id": SENDER_ID,
            "receiver_id": receiver,
            **header,
        },
        "message": message,
    }


def search_envelope(result: Answer, *, transaction_id: str, receiver: str, now: datetime) -> dict[str, Any]:
    return _envelope(
        "on-search",
        receiver,
        now,
        {"transaction_id": transaction_id, "search_response": result.responses},
        status=result.status.value,
        total_count=len(result.responses),
        completed_count=sum(r["status"] == AnswerStatus.SUCCEEDED.value for r in result.responses),
    )


def _search_audit(who: Requester, transaction_id: str, result: Answer, mode: str) -> audit.AuditEntry:
    """Who asked, why, about how many people, how many receive assistance: never whom."""
    return audit.AuditEntry(
        kind="exchange_search",
        actor_kind=audit.ActorKind.DEPARTMENT,
        actor=who.client_id,
        outcome=result.status.value,
        target_id=transaction_id,
        purpose=who.purpose,
        correlation_id=who.correlation_id,
        details={
            "mode": mode,
            "persons": len(result.responses),
            "found": result.found,
            "rejected": sum(r["status"] == AnswerStatus.REJECTED.value for r in result.responses),
        },
    )


async def search(
    session: AsyncSession, who: Requester, transaction_id: str, queries: Sequence[SearchQuery], deps: ExchangeDeps
) -> dict[str, Any]:
    """A sync search: the answer envelope; audited in the caller's transaction."""
    result = await answer(session, resolve(queries, deps.person_ref_key))
    now = deps.now()
    await audit.append(session, audit_log, _search_audit(who, transaction_id, result, "sync"), now=now)
    return search_envelope(result, transaction_id=transaction_id, receiver=who.client_id, now=now)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def accept_search(
    session: AsyncSession,
    who: Requester,
    *,
    transaction_id: str,
    message_id: str,
    callback_uri: str,
    queries: Sequence[SearchQuery],
    deps: ExchangeDeps,
) -> str:
    """Store an async search (answered by the exchange job, POSTed to `callback_uri`); returns
    the secret that signs its callback (shown once). `TransactionExists` for a transaction id
    this client sent before."""
    items = resolve(queries, deps.person_ref_key)
    secret = new_secret()
    now = deps.now()
    await TransactionRepository(session).add(
        {
            "id": uuid.uuid4(),
            "client_id": who.client_id,
            "transaction_id": transaction_id,
            "message_id": message_id,
            "purpose": who.purpose,
            "callback_uri": callback_uri,
            "secret": secret,
            "items": [
                {
                    "reference_id": i.reference_id,
                    "person_ref": i.person_ref,
                    "masked_id": i.masked_id,
                    "reason": i.reason,
                }
                for i in items
            ],
            "status": AnswerStatus.PENDING.value,
            "response": None,
            "delivery_status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "received_at": now,
            "correlation_id": who.correlation_id,
        }
    )
    return secret


async def transaction(session: AsyncSession, client_id: str, transaction_id: str) -> Mapping[str, Any]:
    """One of the client's own transactions (another client's is `TransactionNotFound`)."""
    row = await TransactionRepository(session).of_client(client_id, transaction_id)
    if row is None:
        raise TransactionNotFound(transaction_id)
    return row


# --------------------------------------------------------------------------- subscriptions


@dataclass(frozen=True, slots=True)
class SubscribedPerson:
    reference_id: str
    resident_id: ResidentId


async def subscribe(
    session: AsyncSession,
    who: Requester,
    *,
    message_id: str,
    callback_uri: str,
    persons: Sequence[SubscribedPerson],
    events: Sequence[str],
    deps: ExchangeDeps,
) -> tuple[UUID, str]:
    """A subscription to changes of these people; (its id, the secret that signs its
    notifications, shown once and stored encrypted). `SubscriptionExists` for a message id
    this client sent before."""
    repository = SubscriptionRepository(session)
    existing = await repository.of_message(who.client_id, message_id)
    if existing is not None:
        raise SubscriptionExists(message_id, existing["id"])
    subscription_id = uuid.uuid4()
    secret = new_secret()
    refs = [(p.reference_id, person_ref(p.resident_id, deps.person_ref_key)) for p in persons]
    await repository.add(
        {
            "id": subscription_id,
            "client_id": who.client_id,
            "message_id": message_id,
            "callback_uri": callback_uri,
            "secret": secret,
            "events": sorted(set(events)),
            "created_at": deps.now(),
        },
        [
            {
                "subscription_id": subscription_id,
                "reference_id": reference,
                "person_ref": r.ref,
                "masked_id": r.masked_id,
            }
            for reference, r in refs
        ],
    )
    return subscription_id, secret


async def unsubscribe(session: AsyncSession, client_id: str, subscription_id: UUID, now: datetime) -> None:
    """Cancel one of the client's own subscriptions (another's, or a cancelled one, is not found)."""
    repository = SubscriptionRepository(session)
    row = await repository.get(subscription_id)
    if row is None or row["client_id"] != client_id or row["cancelled_at"] is not None:
        raise SubscriptionNotFound(subscription_id)
    await repository.cancel(subscription_id, now)


# --------------------------------------------------------------------------- the edges: answering, delivering


def _body(envelope: Mapping[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


async def _send(sender: CallbackSender, url: str, secret: str, envelope: Mapping[str, Any]) -> str | None:
    body = _body(envelope)
    headers = {"content-type": "application/json", rules.SIGNATURE_HEADER: rules.sign(secret, body)}
    return await sender.post(url, body, headers)


async def _claim_due(queue: CallbackQueue, now: datetime, lease: datetime, limit: int) -> list[Mapping[Any, Any]]:
    """The due callbacks this runner could claim (another runner's claim wins)."""
    return [row for row in await queue.due(now, limit) if await queue.claim(row["id"], row["next_attempt_at"], lease)]


def _outcome(error: str | None, attempts: int, now: datetime, deps: ExchangeDeps) -> dict[str, Any]:
    """The row's values after an attempt: delivered, retried later (backoff), or failed."""
    if error is None:
        return {"status": DeliveryStatus.DELIVERED.value, "attempts": attempts, "last_error": None}
    if attempts >= deps.max_attempts:
        return {"status": DeliveryStatus.FAILED.value, "attempts": attempts, "last_error": error[:200]}
    wait = rules.backoff(attempts, base_seconds=deps.retry_base_seconds, cap_seconds=deps.retry_cap_seconds)
    return {"attempts": attempts, "last_error": error[:200], "next_attempt_at": now + wait}


async def run_transactions(database: Database, sender: CallbackSender, deps: ExchangeDeps) -> int:
    """Answer due async searches (audited once, when first answered) and POST the answers to
    their callbacks. Returns how many were delivered or finally failed."""
    now = deps.now()
    lease = now + timedelta(seconds=TIMEOUT_LEASE_SECONDS)
    async with database.transaction() as session:
        queue = CallbackQueue(session, search_transaction, "delivery_status")
        taken = await _claim_due(queue, now, lease, deps.batch)
        envelopes: dict[UUID, dict[str, Any]] = {}
        for row in taken:
            if row["response"] is None:
                items = [SearchItem(**i) for i in row["items"]]
                result = await answer(session, items)
                who = Requester(row["client_id"], row["purpose"], row["correlation_id"])
                envelope = search_envelope(
                    result, transaction_id=row["transaction_id"], receiver=who.client_id, now=now
                )
                await TransactionRepository(session).answer(
                    row["id"], status=result.status.value, response=envelope, at=now
                )
                await audit.append(
                    session, audit_log, _search_audit(who, row["transaction_id"], result, "async"), now=now
                )
            else:
                envelope = dict(row["response"])
            envelopes[row["id"]] = envelope
    errors = await asyncio.gather(
        *(_send(sender, row["callback_uri"], row["secret"], envelopes[row["id"]]) for row in taken)
    )
    return await _settle(database, search_transaction, "delivery_status", taken, errors, deps)


async def deliver_notifications(database: Database, sender: CallbackSender, deps: ExchangeDeps) -> int:
    """POST due notifications (`on-notify`) to their subscribers. Returns how many were
    delivered or finally failed."""
    now = deps.now()
    lease = now + timedelta(seconds=TIMEOUT_LEASE_SECONDS)
    async with database.transaction() as session:
        queue = CallbackQueue(session, notification, "status")
        taken = await _claim_due(queue, now, lease, deps.batch)
        subscriptions = await subscription_callbacks(session, [row["subscription_id"] for row in taken])
    by_subscription: dict[UUID, list[Mapping[Any, Any]]] = {}
    for row in sorted(taken, key=lambda r: r["created_at"]):
        by_subscription.setdefault(row["subscription_id"], []).append(row)

    async def send_in_order(rows: list[Mapping[Any, Any]]) -> list[tuple[Mapping[Any, Any], str | None]]:
        """One subscriber's notifications one after the other, oldest first (subscribers
        concurrently): a receiver sees a person's changes in the order they happened."""
        sub = subscriptions[rows[0]["subscription_id"]]
        return [
            (row, await _send(sender, sub["callback_uri"], sub["secret"], _notify_envelope(sub, row, now)))
            for row in rows
        ]

    sent = [pair for group in await asyncio.gather(*map(send_in_order, by_subscription.values())) for pair in group]
    return await _settle(database, notification, "status", [r for r, _ in sent], [e for _, e in sent], deps)


def _notify_envelope(sub: Mapping[Any, Any], row: Mapping[Any, Any], now: datetime) -> dict[str, Any]:
    return _envelope(
        "on-notify",
        sub["client_id"],
        now,
        {
            "subscription_id": str(sub["id"]),
            "notify_event": [
                {
                    "reference_id": row["reference_id"],
                    "event": RECIPIENT_CHANGED,
                    "changed_at": _utc_text(row["created_at"]),
                    "data": {"reg_records": [row["record"]]},
                }
            ],
        },
        # the notification's id: the same on every attempt, so a receiver drops repeats
        message_id=str(row["id"]),
    )


async def _settle(
    database: Database,
    table: Table,
    status_column: str,
    taken: Sequence[Mapping[Any, Any]],
    errors: Sequence[str | None],
    deps: ExchangeDeps,
) -> int:
    """Record every attempt's outcome in one transaction; how many are final (delivered or failed)."""
    if not taken:
        return 0
    at = deps.now()
    settled = 0
    async with database.transaction() as session:
        queue = CallbackQueue(session, table, status_column)
        for row, error in zip(taken, errors, strict=True):
            values = _outcome(error, row["attempts"] + 1, at, deps)
            if error is None and "delivered_at" in table.c:
                values["delivered_at"] = at
            await queue.settle(row["id"], **values)
            settled += "status" in values
    return settled


TIMEOUT_LEASE_SECONDS = 120.0
"""How long a job holds a callback it is sending (longer than the HTTP timeout)."""
