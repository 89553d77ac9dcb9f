"""Loading and storing department notices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, insert, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import insert_unique
from jiuzhu_platform.errors import Conflict
from jiuzhu_platform.pii import session_key_ring
from verification.notices.adapters.orm import NOTICE_RESIDENT_ID
from verification.notices.adapters.orm import department_notice as table
from verification.notices.domain.model import Notice


class MessageTaken(Conflict):
    """Another notice already holds the (sender, message id): the one that won a race. Caught
    by the service (a duplicate, not a refusal); never rendered."""

    def __init__(self, existing: Notice) -> None:
        super().__init__(f"message {existing.message_id} already received")
        self.existing = existing


@dataclass(frozen=True, slots=True)
class NoticeFilter:
    department: str | None = None
    kind: str | None = None
    occurred_from: date | None = None
    occurred_to: date | None = None

    def clause(self) -> ColumnElement[bool]:
        conditions = []
        if self.department is not None:
            conditions.append(table.c.department == self.department)
        if self.kind is not None:
            conditions.append(table.c.kind == self.kind)
        if self.occurred_from is not None:
            conditions.append(table.c.occurred_on >= self.occurred_from)
        if self.occurred_to is not None:
            conditions.append(table.c.occurred_on <= self.occurred_to)
        return and_(true(), *conditions)


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, notice: Notice) -> None:
        """Insert; `MessageTaken` (with the stored notice) when the (sender, message id) is
        taken, also by a concurrent writer that committed after our look-up."""
        values = asdict(notice) | NOTICE_RESIDENT_ID.values(session_key_ring(self.session), notice.resident_id)

        async def taken() -> Conflict:
            existing = await self.of_message(notice.sender_client_id, notice.message_id)
            assert existing is not None, "a unique violation without the row that caused it"
            return MessageTaken(existing)

        await insert_unique(self.session, insert(table), values, conflict=taken)

    async def of_message(self, sender_client_id: str, message_id: str) -> Notice | None:
        statement = select(table).where(table.c.sender_client_id == sender_client_id, table.c.message_id == message_id)
        row = (await self.session.execute(statement)).mappings().first()
        return None if row is None else _to_model(row)

    async def get(self, notice_id: UUID) -> Notice | None:
        row = (await self.session.execute(select(table).where(table.c.id == notice_id))).mappings().first()
        return None if row is None else _to_model(row)

    async def page(self, where: NoticeFilter, *, limit: int, offset: int) -> tuple[list[Notice], int]:
        """The notices matching `where`, newest received first, and how many match in all."""
        clause = where.clause()
        total = await self.session.scalar(select(func.count()).select_from(table).where(clause)) or 0
        statement = (
            select(table).where(clause).order_by(table.c.received_at.desc(), table.c.id).limit(limit).offset(offset)
        )
        rows = (await self.session.execute(statement)).mappings().all()
        return [_to_model(row) for row in rows], total


_NOT_FIELDS = frozenset({NOTICE_RESIDENT_ID.index_name})


def _to_model(row: Mapping[Any, Any]) -> Notice:
    return Notice(**{k: v for k, v in row.items() if k not in _NOT_FIELDS})
