"""Policy versions are loaded into the eligibility database at start-up, idempotently, and a
version is immutable once stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from eligibility.policy import service as policy_service
from eligibility.policy.adapters.orm import policy_version
from eligibility.policy.adapters.policy_files import policy_book
from eligibility.policy.domain.errors import PolicyVersionChanged
from jiuzhu_platform.testing import ServiceHarness


class TestLoadPolicies:
    async def test_start_up_stores_every_version(self, h: ServiceHarness) -> None:
        async with h.runtime.database.transaction() as session:
            rows = (await session.execute(select(policy_version.c.version, policy_version.c.digest))).all()
        assert sorted(v for v, _ in rows) == ["2023-07", "2024-07"]
        assert all(len(d) == 64 for _, d in rows)

    async def test_loading_again_adds_nothing(self, h: ServiceHarness) -> None:
        async with h.runtime.database.transaction() as session:
            added = await policy_service.load_policies(session, policy_book().policy_set, now=h.runtime.now())
        assert added == []

    async def test_a_version_changed_in_place_is_refused(self, h: ServiceHarness) -> None:
        original = policy_book().policy_set
        first = original.versions[0]
        parameters = dict(first.parameters)
        parameters["minimum_wage.tier1"] = parameters["minimum_wage.tier1"].model_copy(
            update={"value": Decimal("1900")}
        )
        changed = original.model_copy(update={"versions": [first.model_copy(update={"parameters": parameters})]})
        async with h.runtime.database.transaction() as session:
            with pytest.raises(PolicyVersionChanged):
                await policy_service.load_policies(session, changed, now=h.runtime.now())
