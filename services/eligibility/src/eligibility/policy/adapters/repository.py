"""Storing policy versions (the service layer never writes SQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.policy.adapters.orm import policy_version as policy_version_table
from eligibility.policy.domain.model import PolicyVersion


class PolicyVersionRepository:
    """Policy versions as loaded into the database: immutable once stored."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def digests(self, policy_set: str) -> dict[str, str]:
        rows = await self.session.execute(
            select(policy_version_table.c.version, policy_version_table.c.digest).where(
                policy_version_table.c.policy_set == policy_set
            )
        )
        return {version: digest for version, digest in rows.all()}

    async def add(self, policy_set: str, version: PolicyVersion, document: str, digest: str, now: datetime) -> None:
        await self.session.execute(
            insert(policy_version_table).values(
                policy_set=policy_set,
                version=version.version,
                effective_from=version.effective_from,
                document=document,
                digest=digest,
                loaded_at=now,
            )
        )
