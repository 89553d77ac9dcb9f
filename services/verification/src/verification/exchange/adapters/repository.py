"""Loading and storing the exchange's rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import insert_unique
from jiuzhu_platform.errors import Conflict
from verification.exchange.adapters.orm import (
    notification,
    recipient,
    search_transaction,
    subscription,
    subscription_person,
)
from verification.exchange.domain.errors import SubscriptionExists, TransactionExists
from verification.exchange.domain.model import DeliveryStatus, RecipientRecord, RecipientStatus, Watched
from verification.exchange.domain.rules import Key, key_of

_RECORD_FIELDS = tuple(RecipientRecord.__dataclass_fields__)


def _record(row: Mapping[Any, Any]) -> RecipientRecord:
    values = {name: row[name] for name in _RECORD_FIELDS}
    values["status"] = RecipientStatus(values["status"])
    return RecipientRecord(**values)


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_source(self, source_id: UUID) -> list[RecipientRecord]:
        statement = select(recipient).where(recipient.c.source_id == source_id).order_by(recipient.c.person_ref)
        return [_record(row) for row in (await self.session.execute(statement)).mappings()]

    async def of_people(self, refs: Sequence[str]) -> dict[str, list[RecipientRecord]]:
        found: dict[str, list[RecipientRecord]] = {}
        if not refs:
            return found
        statement = select(recipient).where(recipient.c.person_ref.in_(sorted(set(refs))))
        for row in (await self.session.execute(statement)).mappings():
            record = _record(row)
            found.setdefault(record.person_ref, []).append(record)
        return found

    async def of_keys(self, keys: Iterable[Key]) -> dict[Key, RecipientRecord]:
        """The stored records of these (person, case/grant) keys."""
        wanted = set(keys)
        sources = {source for _, source in wanted}
        if not sources:
            return {}
        statement = select(recipient).where(recipient.c.source_id.in_(sorted(sources, key=str)))
        records = [_record(row) for row in (await self.session.execute(statement)).mappings()]
        return {key_of(r): r for r in records if key_of(r) in wanted}

    async def save(
        self, records: Sequence[RecipientRecord], existing: Mapping[Key, RecipientRecord], at: datetime
    ) -> None:
        """Insert the new records and update the others (`existing`: as read in this
        transaction; the consumer applies one household's events in order)."""
        for record in records:
            values = asdict(record) | {"status": record.status.value, "updated_at": at}
            if key_of(record) in existing:
                await self.session.execute(
                    update(recipient)
                    .where(recipient.c.person_ref == record.person_ref, recipient.c.source_id == record.source_id)
                    .values(values)
                )
            else:
                await self.session.execute(insert(recipient), values)


class SubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, values: Mapping[Any, Any], persons: Sequence[Mapping[Any, Any]]) -> None:
        """Insert; `SubscriptionExists` when the client's message id made one before (also a
        concurrent copy that committed after our look-up)."""

        async def taken() -> Conflict:
            existing = await self.of_message(values["client_id"], values["message_id"])
            assert existing is not None, "a unique violation without the row that caused it"
            return SubscriptionExists(values["message_id"], existing["id"])

        await insert_unique(self.session, insert(subscription), values, conflict=taken)
        await self.session.execute(insert(subscription_person), [dict(p) for p in persons])

    async def of_message(self, client_id: str, message_id: str) -> Mapping[Any, Any] | None:
        statement = select(subscription).where(
            subscription.c.client_id == client_id, subscription.c.message_id == message_id
        )
        return (await self.session.execute(statement)).mappings().first()

    async def get(self, subscription_id: UUID) -> Mapping[Any, Any] | None:
        statement = select(subscription).where(subscription.c.id == subscription_id)
        return (await self.session.execute(statement)).mappings().first()

    async def cancel(self, subscription_id: UUID, at: datetime) -> None:
        await self.session.execute(
            update(subscription).where(subscription.c.id == subscription_id).values(cancelled_at=at)
        )
        # what was not delivered yet is not sent any more
        await self.session.execute(
            update(notification)
            .where(notification.c.subscription_id == subscription_id, notification.c.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.FAILED.value, last_error="subscription_cancelled")
        )

    async def watching(self, refs: Iterable[str]) -> list[Watched]:
        """Who watches these people (active subscriptions only)."""
        wanted = sorted(set(refs))
        if not wanted:
            return []
        statement = (
            select(
                subscription_person.c.subscription_id,
                subscription_person.c.reference_id,
                subscription_person.c.person_ref,
            )
            .join(subscription, subscription.c.id == subscription_person.c.subscription_id)
            .where(subscription_person.c.person_ref.in_(wanted), subscription.c.cancelled_at.is_(None))
        )
        rows = (await self.session.execute(statement)).all()
        return [Watched(row.subscription_id, row.reference_id, row.person_ref) for row in rows]


class TransactionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, values: Mapping[Any, Any]) -> None:
        async def taken() -> Conflict:
            return TransactionExists(str(values["transaction_id"]))

        await insert_unique(self.session, insert(search_transaction), values, conflict=taken)

    async def of_client(self, client_id: str, transaction_id: str) -> Mapping[Any, Any] | None:
        statement = select(search_transaction).where(
            search_transaction.c.client_id == client_id, search_transaction.c.transaction_id == transaction_id
        )
        return (await self.session.execute(statement)).mappings().first()

    async def get(self, row_id: UUID) -> Mapping[Any, Any] | None:
        statement = select(search_transaction).where(search_transaction.c.id == row_id)
        return (await self.session.execute(statement)).mappings().first()

    async def answer(self, row_id: UUID, *, status: str, response: Mapping[Any, Any], at: datetime) -> None:
        await self.session.execute(
            update(search_transaction)
            .where(search_transaction.c.id == row_id)
            .values(status=status, response=dict(response), answered_at=at)
        )


class CallbackQueue:
    """A table of callbacks to deliver (`exchange_transaction`, `exchange_notification`): the
    due ones, a claim before sending (optimistic: several workers never send one twice at
    once), the outcome after."""

    def __init__(self, session: AsyncSession, table: Table, status_column: str) -> None:
        self.session = session
        self.table = table
        self.status = table.c[status_column]

    async def due(self, now: datetime, limit: int) -> list[Mapping[Any, Any]]:
        statement = (
            select(self.table)
            .where(self.status == DeliveryStatus.PENDING.value, self.table.c.next_attempt_at <= now)
            .order_by(self.table.c.next_attempt_at)
            .limit(limit)
        )
        return list((await self.session.execute(statement)).mappings())

    async def claim(self, row_id: UUID, seen: datetime, until: datetime) -> bool:
        """Hold the row until `until` (its next attempt) if nobody moved it since it was read."""
        result = await self.session.execute(
            update(self.table)
            .where(self.table.c.id == row_id, self.table.c.next_attempt_at == seen, self.status == "pending")
            .values(next_attempt_at=until)
        )
        return bool(getattr(result, "rowcount", 0))

    async def settle(self, row_id: UUID, **values: Any) -> None:
        if "status" in values:
            values[self.status.name] = values.pop("status")
        await self.session.execute(update(self.table).where(self.table.c.id == row_id).values(values))


async def add_notifications(session: AsyncSession, rows: Sequence[Mapping[Any, Any]]) -> None:
    if rows:
        await session.execute(insert(notification), [dict(r) for r in rows])


async def subscription_callbacks(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, Mapping[Any, Any]]:
    wanted = sorted(set(ids), key=str)
    if not wanted:
        return {}
    statement = select(subscription).where(subscription.c.id.in_(wanted))
    return {row["id"]: row for row in (await session.execute(statement)).mappings()}
