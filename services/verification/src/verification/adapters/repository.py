"""Loading and storing consents."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from verification.adapters.orm import consent as table
from verification.domain.model import Consent


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, consent: Consent) -> None:
        await self.session.execute(insert(table).values(**asdict(consent)))

    async def get(self, consent_id: UUID) -> Consent | None:
        row = (await self.session.execute(select(table).where(table.c.id == consent_id))).mappings().first()
        return None if row is None else Consent(**{k: v for k, v in row.items() if k != "version"})
