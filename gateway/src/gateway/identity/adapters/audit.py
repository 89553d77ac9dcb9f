"""The gateway's audit trail (`jiuzhu_platform.audit`, hash-chained, append-only), in the
gateway database. Entries about refusals go in a transaction of their own (`record`); entries
about a change go in the change's transaction (`append`), as its last step."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.adapters import orm
from jiuzhu_platform.audit import AuditEntry, AuditRecord, append, query
from jiuzhu_platform.context import get_correlation_id
from jiuzhu_platform.db import Database
from jiuzhu_platform.redaction import redact

logger = logging.getLogger(__name__)


def entry(
    kind: str,
    outcome: str,
    *,
    actor: str | None,
    actor_kind: str,
    role: str | None = None,
    region_code: str | None = None,
    route: str | None = None,
    method: str | None = None,
    target_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """An entry with the request's correlation id; an actor-less entry is `anonymous`. The actor
    is what a caller typed for failed sign-ins, so anything in it that looks like a resident ID,
    phone or bank number is masked (a number typed into the username field stays out)."""
    return AuditEntry(
        kind=kind,
        outcome=outcome,
        actor=redact(actor) if actor else actor,
        actor_kind=actor_kind if actor else "anonymous",
        role=role,
        region_code=region_code,
        route=route,
        method=method,
        target_id=target_id,
        correlation_id=get_correlation_id(),
        details=details,
    )


class AuditLog:
    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self.table = orm.audit_entry

    async def append(self, session: AsyncSession, item: AuditEntry) -> AuditRecord:
        """In the caller's transaction (last step before its commit)."""
        return await append(session, self.table, item, now=self.clock())

    async def record(self, item: AuditEntry) -> None:
        """In a transaction of its own. A failure is logged, not raised: the refusal it
        describes is answered anyway (and the log line says an entry is missing)."""
        try:
            async with self.database.transaction() as session:
                await append(session, self.table, item, now=self.clock())
        except Exception as exc:
            logger.error("audit entry %s/%s could not be written: %s", item.kind, item.outcome, type(exc).__name__)

    async def page(self, *, limit: int, after_seq: int | None = None, **filters: Any) -> list[AuditRecord]:
        async with self.database.transaction() as session:
            return await query(session, self.table, limit=limit, after_seq=after_seq, **filters)
