"""Policy use cases: store the policy set's versions (never commits; the caller's transaction does)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.policy.adapters.repository import PolicyVersionRepository
from eligibility.policy.domain.errors import PolicyVersionChanged
from eligibility.policy.domain.model import PolicySet


async def load_policies(session: AsyncSession, policy_set: PolicySet, *, now: datetime) -> list[str]:
    """Store the policy set's versions in the database (idempotent). A version already stored
    with different content is refused: versions are immutable, a change is a new version."""
    repository = PolicyVersionRepository(session)
    stored = await repository.digests(policy_set.name)
    added = []
    for version in policy_set.versions:
        document = version.model_dump_json()
        digest = hashlib.sha256(document.encode()).hexdigest()
        if version.version in stored:
            if stored[version.version] != digest:
                raise PolicyVersionChanged(policy_set.name, version.version)
            continue
        await repository.add(policy_set.name, version, document, digest, now)
        added.append(version.version)
    return added
