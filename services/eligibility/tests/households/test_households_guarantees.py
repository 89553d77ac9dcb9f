"""What the household record guarantees beyond the happy path (SQLite and PostgreSQL): resident
IDs never in clear at rest, in responses or in the logs; writes are region-checked like reads;
bad input is a 422 in the common error shape; concurrent first applications of the same person
leave exactly one household."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import func, select

from eligibility.households.adapters.orm import MEMBER_RESIDENT_ID, household, household_member, household_version
from eligibility.testing import APPLICATIONS, COUNTY, TOWN, Clock, ProcedureWalk, procedure_walk, resident
from jiuzhu_platform.pii import key_ring_of
from jiuzhu_platform.testing import ServiceHarness, staged_unique_race

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
HOUSEHOLDS = "/v1/eligibility/households"
OTHER_COUNTY = "520103"


def member_body(resident_id: str, **fields: Any) -> dict[str, Any]:
    return {"name": "李小梅", "resident_id": resident_id, "relationship": "child", **fields}


async def family(walk: ProcedureWalk, applicant: str, child: str) -> tuple[str, str]:
    """A household of two (the applicant and a child); its id and the child's member id."""
    household_id = (await walk.submit(applicant))["household_id"]
    joined = await walk.town.post(f"{HOUSEHOLDS}/{household_id}/members", json=member_body(child, in_school=True))
    assert joined.status_code == 200, joined.text
    child_id = next(m["member_id"] for m in joined.json()["members"] if m["relationship"] == "child")
    return household_id, child_id


async def test_resident_ids_are_never_in_clear_at_rest_in_responses_or_in_the_logs(
    tier_h: ServiceHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    applicant, child = resident("52010219800101321"), resident("52010220140315322")
    async with procedure_walk(tier_h, Clock(START)) as walk:
        household_id, child_id = await family(walk, applicant, child)
        responses = [
            await walk.town.post(
                f"{HOUSEHOLDS}/{household_id}/members/{child_id}/leave",
                json={"reason": "moved_out", "on": "2026-11-20"},
            ),
            await walk.town.get(f"{HOUSEHOLDS}/{household_id}"),
            await walk.town.get(f"{HOUSEHOLDS}/{household_id}/versions"),
            await walk.town.post(f"{HOUSEHOLDS}/{household_id}/members", json=member_body(applicant)),  # refused
        ]

    assert [r.status_code for r in responses] == [200, 200, 200, 409]
    for response in responses:
        assert applicant not in response.text
        assert child not in response.text
    assert "5201**********" in responses[1].text  # masked, not left out

    async with tier_h.runtime.database.read() as session:
        members = (await session.execute(select(household_member))).mappings().all()
        versions = (await session.execute(select(household_version.c.summary))).scalars().all()
    ring = key_ring_of(tier_h.runtime.database.engine.dialect)
    assert sorted(m["resident_id"] for m in members) == sorted([applicant, child])  # decrypted on read
    assert {m["resident_id_bidx"] for m in members} == {
        MEMBER_RESIDENT_ID.index(ring, applicant),
        MEMBER_RESIDENT_ID.index(ring, child),
    }
    assert len(versions) == 3
    assert caplog.records  # the requests were logged
    for text in (*versions, caplog.text):
        assert applicant not in text
        assert child not in text

    async with tier_h.runtime.database.engine.connect() as connection:  # the stored bytes, not decrypted
        stored = (await connection.exec_driver_sql("SELECT resident_id FROM household_member")).scalars().all()
    assert len(stored) == 2
    assert all(applicant not in str(value) and child not in str(value) for value in stored)


async def test_writes_are_region_checked_like_reads(h: ServiceHarness) -> None:
    async with procedure_walk(h, Clock(START)) as walk:
        household_id, child_id = await family(walk, resident("52010219800101331"), resident("52010220140315332"))
        async with h.anonymous_client(kind="staff", roles=("county_approver",), region=OTHER_COUNTY) as other:
            attempts = [
                await other.post(
                    f"{HOUSEHOLDS}/{household_id}/members", json=member_body(resident("52010319900101333"))
                ),
                await other.post(
                    f"{HOUSEHOLDS}/{household_id}/members/{child_id}/leave",
                    json={"reason": "moved_out", "on": "2026-11-20"},
                ),
                await other.get(f"{HOUSEHOLDS}/{household_id}/versions"),
            ]
        assert [(r.status_code, r.json()["reason"]) for r in attempts] == [(403, "region_not_allowed")] * 3
        async with h.anonymous_client(kind="citizen", roles=("citizen",), household_id=household_id) as own:
            write = await own.post(
                f"{HOUSEHOLDS}/{household_id}/members", json=member_body(resident("52010219900101334"))
            )
            assert (write.status_code, write.json()["reason"]) == (403, "scope_missing")  # staff change it
        unknown = await walk.town.post(
            f"{HOUSEHOLDS}/{uuid4()}/members", json=member_body(resident("52010219900101335"))
        )
        assert (unknown.status_code, unknown.json()["reason"]) == (404, "household_not_found")
        record = (await walk.town.get(f"{HOUSEHOLDS}/{household_id}")).json()
    assert record["version"] == 2  # none of the refused writes changed it
    assert len(record["members"]) == 2


BAD_MEMBERS = {
    "check digit": ({"resident_id": resident("52010220140315341")[:17] + "0"}, "resident_id"),
    "17 digits": ({"resident_id": "52010220140315341"}, "resident_id"),
    "NUL in the name": ({"name": "李\x00梅"}, "name"),
    "blank name": ({"name": "   "}, "name"),
    "huge name": ({"name": "梅" * 10_000}, "name"),
    "unknown relationship": ({"relationship": "cousin"}, "relationship"),
    "unknown county": ({"hukou_region_code": "999999"}, "hukou_region_code"),
    "town as county": ({"hukou_region_code": TOWN}, "hukou_region_code"),
    "bad town": ({"residence_town_code": "52010200"}, "residence_town_code"),
    "disability grade 5": ({"disability_grade": 5}, "disability_grade"),
    "negative version": ({"expected_version": -1}, "expected_version"),
    "huge version": ({"expected_version": 10**30}, "expected_version"),
    "unknown field": ({"sex": "female"}, "sex"),
}
BAD_LEAVES = {
    "date before 2000": ({"reason": "death", "on": "1900-01-01"}, "on"),
    "date far ahead": ({"reason": "death", "on": "9999-12-31"}, "on"),
    "not a date": ({"reason": "death", "on": "2026-02-30"}, "on"),
    "unknown reason": ({"reason": "vanished", "on": "2026-11-20"}, "reason"),
}


def assert_refused_naming(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) >= {"error", "reason", "detail"}
    assert body["reason"] == "request_invalid"
    assert field in {str(part) for error in body["detail"] for part in error["loc"]}


async def test_bad_input_is_a_422_naming_the_field_never_a_500(h: ServiceHarness) -> None:
    async with procedure_walk(h, Clock(START)) as walk:
        household_id, child_id = await family(walk, resident("52010219800101341"), resident("52010220140315342"))
        for name, (fields, field) in BAD_MEMBERS.items():
            body = {**member_body(resident("52010220140315343")), **fields}
            response = await walk.town.post(f"{HOUSEHOLDS}/{household_id}/members", json=body)
            assert response.status_code != 500, name
            assert_refused_naming(response, field)
            assert "52010220140315343" not in response.text  # the input is not echoed
        for name, (body, field) in BAD_LEAVES.items():
            response = await walk.town.post(f"{HOUSEHOLDS}/{household_id}/members/{child_id}/leave", json=body)
            assert response.status_code != 500, name
            assert_refused_naming(response, field)
        for path in (f"{HOUSEHOLDS}/not-a-uuid", f"{HOUSEHOLDS}/{household_id}/members/not-a-uuid/leave"):
            response = await (walk.town.get(path) if path.endswith("uuid") else walk.town.post(path, json={}))
            assert response.status_code == 422, path
        assert (await walk.town.get(f"{HOUSEHOLDS}/{household_id}")).json()["version"] == 2


async def test_concurrent_first_applications_of_one_person_leave_one_household(tier_h: ServiceHarness) -> None:
    """The race staged past the look-up: a transaction of the test holds the person as a current
    member (uncommitted) of a household, so every application finds no household and goes on to
    create one; on PostgreSQL all five then wait on the unique index of current members and the
    database decides: one household; the others look again and join it. On SQLite they queue
    before the look-up, and the later ones join the first one's household. Either way: five
    applications, one household."""
    person = resident("52010219800101351")
    tier_h.runtime.now = Clock(START)
    holder = (
        await tier_h.client.post(
            APPLICATIONS,
            json={
                "assistance_type": "dibao",
                "region_code": COUNTY,
                "town_code": TOWN,
                "member_count": 1,
                "applicant": {"name": "占位", "resident_id": resident("52010219800101352")},
            },
        )
    ).json()["household_id"]
    ring = key_ring_of(tier_h.runtime.database.engine.dialect)
    values = MEMBER_RESIDENT_ID.values(ring, person)
    held = {
        "member_id": uuid4(),
        "household_id": UUID(holder),
        "seq": 9,
        **values,
        "current_resident_bidx": values[MEMBER_RESIDENT_ID.index_name],
        "name": "held by the test",
        "relationship": "other",
        "hukou_type": "urban",
        "serious_illness": False,
        "labour_capacity": "full",
        "in_school": False,
    }
    body = {
        "assistance_type": "dibao",
        "region_code": COUNTY,
        "town_code": TOWN,
        "member_count": 1,
        "applicant": {"name": "王芳", "resident_id": person},
    }

    race = await staged_unique_race(tier_h, household_member, held, lambda: tier_h.client.post(APPLICATIONS, json=body))

    created = [r for r in race.responses if r.status_code == 201]
    refused = [r for r in race.responses if r.status_code != 201]
    assert len({r.json()["household_id"] for r in created}) == 1
    assert all((r.status_code, r.json()["reason"]) == (409, "resident_in_other_household") for r in refused)
    postgres = tier_h.runtime.database.dialect == "postgresql"
    assert (len(created), len(race.unique_violations)) == ((5, 4) if postgres else (5, 0))
    async with tier_h.runtime.database.read() as session:
        memberships = await session.scalar(
            select(func.count())
            .select_from(household_member)
            .where(household_member.c.current_resident_bidx == values[MEMBER_RESIDENT_ID.index_name])
        )
        households = await session.scalar(select(func.count()).select_from(household))
    assert memberships == 1
    assert households == 2  # the holder's and the one created in the race
