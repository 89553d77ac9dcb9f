"""Loading and storing consents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.pii import session_key_ring
from verification.adapters.orm import SUBJECT_RESIDENT_ID
from verification.adapters.orm import consent as table
from verification.domain.model import Consent


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, consent: Consent) -> None:
        values = asdict(consent) | SUBJECT_RESIDENT_ID.values(
            session_key_ring(self.session), consent.subject_resident_id
        )
        await self.session.execute(insert(table), values)

    async def get(self, consent_id: UUID) -> Consent | None:
        row = (await self.session.execute(select(table).where(table.c.id == consent_id))).mappings().first()
        return None if row is None else _to_model(row)


_NOT_FIELDS = frozenset({"version", SUBJECT_RESIDENT_ID.index_name})


def _to_model(row: Mapping[Any, Any]) -> Consent:
    return Consent(**{k: v for k, v in row.items() if k not in _NOT_FIELDS})
