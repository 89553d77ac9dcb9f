"""Loading and storing consents."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.pii import session_key_ring
from verification.adapters.orm import SUBJECT_RESIDENT_ID
from verification.adapters.orm import consent as table
from verification.domain.model import Consent, RevocationReason


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, consent: Consent) -> None:
        values = asdict(consent) | SUBJECT_RESIDENT_ID.values(
            session_key_ring(self.session), consent.subject_resident_id
        )
        await self.session.execute(insert(table), values)

    async def get(self, consent_id: UUID, *, for_update: bool = False) -> Consent | None:
        statement = select(table).where(table.c.id == consent_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).mappings().first()
        return None if row is None else _to_model(row)

    async def by_ids(self, consent_ids: Collection[UUID]) -> dict[UUID, Consent]:
        if not consent_ids:
            return {}
        rows = (await self.session.execute(select(table).where(table.c.id.in_(list(consent_ids))))).mappings()
        return {row["id"]: _to_model(row) for row in rows}

    async def revoke(self, consent: Consent) -> None:
        await self.session.execute(
            update(table)
            .where(table.c.id == consent.id)
            .values(revoked_at=consent.revoked_at, revoked_reason=consent.revoked_reason, version=table.c.version + 1)
        )

    async def valid_for(self, person_refs: Collection[str], on: date) -> dict[str, Consent]:
        """The newest authorisation valid on `on` of each person (by person reference)."""
        if not person_refs:
            return {}
        rows = (
            (
                await self.session.execute(
                    select(table)
                    .where(table.c.subject_ref.in_(list(person_refs)), table.c.revoked_at.is_(None))
                    .order_by(table.c.signed_on, table.c.recorded_at)
                )
            )
            .mappings()
            .all()
        )
        found: dict[str, Consent] = {}
        for row in rows:
            consent = _to_model(row)
            if consent.valid_on(on) and consent.subject_ref is not None and consent.subject_resident_id is not None:
                found[consent.subject_ref] = consent  # later rows (newer) win
        return found


_NOT_FIELDS = frozenset({"version", SUBJECT_RESIDENT_ID.index_name})


def _to_model(row: Mapping[Any, Any]) -> Consent:
    values = {k: v for k, v in row.items() if k not in _NOT_FIELDS}
    if values["revoked_reason"] is not None:
        values["revoked_reason"] = RevocationReason(values["revoked_reason"])
    return Consent(**values)
