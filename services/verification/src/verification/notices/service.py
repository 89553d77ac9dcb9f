"""Department-notice use cases. Never commits: the edge owns the transaction (one per request,
one per chunk of a batch)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.outbox import add_event
from jiuzhu_platform.person_ref import person_ref
from verification.adapters.orm import outbox
from verification.notices.adapters.repository import MessageTaken, NoticeFilter, NoticeRepository
from verification.notices.domain import rules
from verification.notices.domain.commands import ReceiveNotice
from verification.notices.domain.errors import NoticeNotFound
from verification.notices.domain.model import Notice, Receipt, ReceiptStatus


async def receive_notice(
    session: AsyncSession, cmd: ReceiveNotice, *, person_ref_key: bytes, now: Callable[[], datetime]
) -> Receipt:
    """Receive one notice: a message already received from this sender is a `duplicate` (the
    original notice, no second row or event, whatever the new copy says); otherwise the rules
    accept it (or refuse: `NoticeRefused`) and the notice and its event are written together.

    Two copies racing past the look-up meet at the unique index: the loser's insert is undone
    (savepoint) and it answers `duplicate` with the winner's id, before writing its event."""
    repository = NoticeRepository(session)
    existing = await repository.of_message(cmd.sender_client_id, cmd.message_id)
    if existing is not None:
        return Receipt(cmd.message_id, ReceiptStatus.DUPLICATE, existing.id)
    notice, event = rules.receive_notice(cmd, person_ref(cmd.resident_id, person_ref_key), now=now())
    try:
        await repository.add(notice)
    except MessageTaken as taken:
        return Receipt(cmd.message_id, ReceiptStatus.DUPLICATE, taken.existing.id)
    await add_event(session, outbox, event, now=notice.received_at)
    return Receipt(cmd.message_id, ReceiptStatus.ACCEPTED, notice.id)


async def get_notice(session: AsyncSession, notice_id: UUID) -> Notice:
    notice = await NoticeRepository(session).get(notice_id)
    if notice is None:
        raise NoticeNotFound(notice_id)
    return notice


async def list_notices(
    session: AsyncSession, where: NoticeFilter, *, limit: int, offset: int
) -> tuple[list[Notice], int]:
    """Notices are city-wide facts about people (no household, no region): every holder of
    `verification:notices:read` sees all of them, masked."""
    return await NoticeRepository(session).page(where, limit=limit, offset=offset)
