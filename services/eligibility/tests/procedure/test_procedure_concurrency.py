"""Two people act on the same application at the same moment, on PostgreSQL: exactly one
succeeds, the other is told the application changed (409 `application_changed`), and the
timeline has one step, not two and not a 500.

The race is staged so that it happens every time: a transaction of the test holds the row both
requests will write (uncommitted), both requests load the case file and decide, then both
wait on the row; the test rolls back and they race. Version 0 (no procedure row yet) races on
the primary key of `application_procedure`; a later version races on the row's `version`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import update

from eligibility.procedure.adapters.orm import application_procedure
from eligibility.testing import check_completed
from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness, uncommitted_insert, wait_for_lock_waiters
from shared.types import resident_id_check_digit

APPLICATIONS = "/v1/eligibility/applications"
TOWN = "520102001000"


@pytest.fixture
def pg_h(tier_h: ServiceHarness) -> ServiceHarness:
    if tier_h.runtime.database.dialect != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite queues them)")
    return tier_h


@asynccontextmanager
async def locked_row(h: ServiceHarness, application_id: UUID) -> AsyncIterator[None]:
    """Hold the procedure row of `application_id` locked (an uncommitted no-op update)."""
    async with h.runtime.database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            p = application_procedure
            await connection.execute(update(p).where(p.c.application_id == application_id).values(version=p.c.version))
            yield
        finally:
            await transaction.rollback()


@asynccontextmanager
async def two_callers(h: ServiceHarness) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, str]]:
    """Two town caseworkers of the same town, and an application one of them submitted."""
    async with (
        h.anonymous_client(kind="staff", subject="li.na", roles=("town_caseworker",), region=TOWN) as li,
        h.anonymous_client(kind="staff", subject="wang.fang", roles=("town_caseworker",), region=TOWN) as wang,
    ):
        yield li, wang, await submit(li)


async def submit(li: httpx.AsyncClient) -> str:
    body17 = "52010219750505005"
    response = await li.post(
        APPLICATIONS,
        json={
            "assistance_type": "dibao",
            "region_code": "520102",
            "town_code": TOWN,
            "member_count": 2,
            "applicant": {"name": "李梅", "resident_id": body17 + resident_id_check_digit(body17)},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def race(
    h: ServiceHarness, hold: Callable[[], Any], sends: list[Callable[[], Awaitable[httpx.Response]]]
) -> list[httpx.Response]:
    async with hold():
        tasks = [asyncio.create_task(send()) for send in sends]
        await wait_for_lock_waiters(h.runtime.database, len(tasks))
    return list(await asyncio.gather(*tasks))


def one_won(responses: list[httpx.Response]) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["reason"] == "application_changed", loser


async def test_two_caseworkers_accept_a_new_application_at_once(pg_h: ServiceHarness) -> None:
    h = pg_h
    async with two_callers(h) as (li, wang, app_id):
        held = {
            "application_id": UUID(app_id),
            "stage": "submitted",
            "version": 0,
            "state": "{}",
            "updated_at": datetime.now(UTC),
        }
        responses = await race(
            h,
            lambda: uncommitted_insert(h.runtime.database, application_procedure, held),
            [
                lambda: li.post(f"{APPLICATIONS}/{app_id}/accept", json={"expected_version": 0}),
                lambda: wang.post(f"{APPLICATIONS}/{app_id}/accept", json={"expected_version": 0}),
            ],
        )
        one_won(responses)
        case = (await li.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
        assert case["version"] == 1
        assert [s["action"] for s in case["steps"]] == ["accept"]


async def test_two_caseworkers_act_on_the_same_version_at_once(pg_h: ServiceHarness) -> None:
    h = pg_h
    async with two_callers(h) as (li, wang, app_id):
        first = await li.post(f"{APPLICATIONS}/{app_id}/accept", json={})
        assert first.status_code == 200, first.text
        responses = await race(
            h,
            lambda: locked_row(h, UUID(app_id)),
            [
                lambda: li.post(f"{APPLICATIONS}/{app_id}/start-investigation", json={"expected_version": 1}),
                lambda: wang.post(f"{APPLICATIONS}/{app_id}/start-investigation", json={"expected_version": 1}),
            ],
        )
        one_won(responses)
        case = (await li.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
        assert case["version"] == 2
        assert [s["action"] for s in case["steps"]] == ["accept", "start-investigation"]


async def test_unstaged_gather_never_writes_two_steps(pg_h: ServiceHarness) -> None:
    """The plain form (no held row): however the two requests interleave, at most one step per
    version, and the loser (if they overlapped) is a 409, never a 500."""
    h = pg_h
    async with two_callers(h) as (li, wang, app_id):
        responses = await asyncio.gather(
            li.post(f"{APPLICATIONS}/{app_id}/accept", json={"expected_version": 0}),
            wang.post(f"{APPLICATIONS}/{app_id}/accept", json={"expected_version": 0}),
        )
        one_won(list(responses))  # expected_version 0 for both: the second is stale either way
        case = (await li.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
        assert [s["action"] for s in case["steps"]] == ["accept"]


async def test_the_report_arriving_while_a_caseworker_acts_is_applied_again_not_lost(pg_h: ServiceHarness) -> None:
    """verification's 核对报告 (the consumer) and a caseworker's step write the same version: the
    step is staged to win (it queues on the row first), so the consumer's write finds the
    version moved on. Its transaction rolls back and the event is applied again on the fresh
    case: both land, once each (found by `make chaos`, where the report was dropped)."""
    h = pg_h
    async with two_callers(h) as (li, _, app_id):
        for action in ("accept", "start-investigation"):
            assert (await li.post(f"{APPLICATIONS}/{app_id}/{action}", json={})).status_code == 200
        case = (await li.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
        household = (await li.get(f"{APPLICATIONS}/{app_id}")).json()["household_id"]
        event = check_completed(household, app_id, datetime.now(UTC))
        await h.bus.publish([OutgoingMessage("verification.events", event.subject.encode(), event.to_json_bytes())])
        (consumer,) = h.definition.worker_components(h.runtime).consumers
        visit = {
            "visited_on": "2026-11-05",
            "investigators": ["wang.fang"],
            "family_signed": True,
            "findings": "入户核实",
            "expected_version": case["version"],
        }
        async with locked_row(h, UUID(app_id)):
            step = asyncio.create_task(li.post(f"{APPLICATIONS}/{app_id}/record-home-visit", json=visit))
            await wait_for_lock_waiters(h.runtime.database, 1)
            report = asyncio.create_task(consumer.process(h.bus.messages("verification.events")[-1]))
            await wait_for_lock_waiters(h.runtime.database, 2)
        assert (await step).status_code == 200, (await step).text
        assert await report == "applied"
        case = (await li.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
        assert case["verification_received"] is True
        actions = [s["action"] for s in case["steps"]]
        assert actions == ["accept", "start-investigation", "record-home-visit", "receive-verification-report"]
