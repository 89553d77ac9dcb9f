"""Statements over every line of a run are planned as `RUN_PLAN` (PostgreSQL), and the plan's
settings stay with them: neither the rest of a transaction nor the next user of a pooled
connection plans with them."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import text

from jiuzhu_platform.testing import ServiceHarness
from payment.payroll.adapters.repository import InstructionRepository

SETTINGS = ("enable_seqscan", "enable_indexscan", "work_mem", "jit")


async def shown(session: object) -> dict[str, str]:
    return {name: str(await session.scalar(text(f"show {name}"))) for name in SETTINGS}  # type: ignore[attr-defined]


async def test_a_run_wide_statement_leaves_no_setting_behind(tier_h: ServiceHarness) -> None:
    if tier_h.runtime.database.dialect != "postgresql":
        pytest.skip("planner settings are PostgreSQL's")
    database, run_id = tier_h.runtime.database, uuid4()
    async with database.read() as session:
        before = await shown(session)

    async with database.transaction() as session:
        instructions = InstructionRepository(session)
        assert (await instructions.totals(run_id)).count == 0
        await instructions.carry_over_held(run_id, tier_h.runtime.now())
        assert await shown(session) == before  # the rest of the transaction
    async with database.read() as session:
        assert await InstructionRepository(session).totals_sent(run_id) == [(0, 0)]
        assert await shown(session) == before  # the connection, back in the pool
