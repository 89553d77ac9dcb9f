"""A citizen's household at real-name binding (`resolve_or_create_for_citizen`, SQLite and
PostgreSQL): the same resident ID always resolves to the same household; a person with no
household gets a one-member household in the county of their resident ID's address code, or
`region_unknown` when that is not a Guiyang county; concurrent bindings make one household."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from eligibility.households.adapters.orm import MEMBER_RESIDENT_ID, household, household_member
from eligibility.households.citizens import BINDING, resolve_or_create_for_citizen
from eligibility.households.domain.binding import RegionUnknown
from eligibility.testing import COUNTY, Clock, procedure_walk, resident
from jiuzhu_platform.pii import key_ring_of
from jiuzhu_platform.testing import (
    ServiceHarness,
    recorded_unique_violations,
    uncommitted_insert,
    wait_for_lock_waiters,
)
from shared.types import ResidentId

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
HOUSEHOLDS = "/v1/eligibility/households"


async def bind(h: ServiceHarness, resident_id: str, name: str = "王芳") -> UUID:
    async with h.runtime.database.transaction() as session:
        return await resolve_or_create_for_citizen(session, name, ResidentId(resident_id), now=NOW)


async def households(h: ServiceHarness) -> int:
    async with h.runtime.database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(household)) or 0)


async def test_a_person_without_a_household_gets_one_and_keeps_it(tier_h: ServiceHarness) -> None:
    person = resident("52018119850505401")  # 清镇市

    first = await bind(tier_h, person)
    again = await bind(tier_h, person)

    assert again == first
    assert await households(tier_h) == 1
    record = (await tier_h.client.get(f"{HOUSEHOLDS}/{first}")).json()
    assert (record["region_code"], record["town_code"], record["version"]) == ("520181", None, 1)
    assert [(m["name"], m["relationship"], m["hukou_region_code"]) for m in record["members"]] == [
        ("王芳", "self", "520181")
    ]
    versions = (await tier_h.client.get(f"{HOUSEHOLDS}/{first}/versions")).json()
    assert [(v["reason"], v["by"]) for v in versions] == [("created", BINDING)]
    assert person not in str(versions)


async def test_a_person_who_applied_resolves_to_their_application_household(h: ServiceHarness) -> None:
    person = resident("52010219800101402")
    async with procedure_walk(h, Clock(NOW)) as walk:
        applied = (await walk.submit(person))["household_id"]

    assert str(await bind(h, person)) == applied
    assert await households(h) == 1


async def test_a_member_of_a_household_resolves_to_it(h: ServiceHarness) -> None:
    applicant, spouse = resident("52010219800101403"), resident("52010219810202404")
    async with procedure_walk(h, Clock(NOW)) as walk:
        household_id = (await walk.submit(applicant))["household_id"]
        joined = await walk.town.post(
            f"{HOUSEHOLDS}/{household_id}/members",
            json={"name": "张伟", "resident_id": spouse, "relationship": "spouse"},
        )
        assert joined.status_code == 200, joined.text

    assert str(await bind(h, spouse, name="张伟")) == household_id


@pytest.mark.parametrize(
    "body17",
    [
        pytest.param("11010519491231002", id="beijing"),
        pytest.param("52011419800101405", id="retired-xiaohe-district"),
        pytest.param("52010019800101406", id="city-not-county"),
        pytest.param("52000019800101407", id="province"),
    ],
)
async def test_no_guiyang_county_in_the_resident_id_is_region_unknown(h: ServiceHarness, body17: str) -> None:
    with pytest.raises(RegionUnknown) as refused:
        await bind(h, resident(body17))

    assert refused.value.reason == "region_unknown"
    assert refused.value.status_code == 400
    assert await households(h) == 0


async def test_concurrent_bindings_of_one_person_make_one_household(tier_h: ServiceHarness) -> None:
    """Staged past the look-up: a transaction of the test holds the person as a current member
    (uncommitted), so each binding finds nothing and inserts; on PostgreSQL they wait on the
    unique index of current members and the losers, refused by it, resolve to the winner's
    household. On SQLite they queue before the look-up."""
    person = resident("52010219800101408")
    holder = await bind(tier_h, resident("52010219800101409"), name="占位")
    ring = key_ring_of(tier_h.runtime.database.engine.dialect)
    values = MEMBER_RESIDENT_ID.values(ring, person)
    held = {
        "member_id": uuid4(),
        "household_id": holder,
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

    database = tier_h.runtime.database
    with recorded_unique_violations(database) as violations:
        async with uncommitted_insert(database, household_member, held):
            bindings = [asyncio.create_task(bind(tier_h, person)) for _ in range(3)]
            await wait_for_lock_waiters(database, 3)
        resolved = await asyncio.gather(*bindings)

    assert len(violations) == (2 if database.dialect == "postgresql" else 0)  # the losers' inserts

    assert len(set(resolved)) == 1
    assert holder not in resolved
    assert await households(tier_h) == 2  # the holder's and the person's
    assert (await tier_h.client.get(f"{HOUSEHOLDS}/{resolved[0]}")).json()["region_code"] == COUNTY


# --------------------------------------------------------------------------- over HTTP

GATEWAY = {"kind": "service", "subject": "gateway", "scopes": ("eligibility:households:resolve",)}


async def test_the_gateway_route_answers_the_household_a_caseworker_sees(tier_h: ServiceHarness) -> None:
    """What the gateway's binding calls: the household of a person who applied, every time."""
    async with procedure_walk(tier_h, Clock(NOW)) as walk:
        person = resident("52010219760606411")
        applied = (await walk.submit(person))["household_id"]
        gateway = tier_h.issuer.headers(**GATEWAY)

        answers = [
            await tier_h.client.post(
                f"{HOUSEHOLDS}/citizen-binding", json={"name": "李梅", "resident_id": person}, headers=gateway
            )
            for _ in range(2)
        ]

        assert [(a.status_code, a.json()) for a in answers] == [(200, {"household_id": applied})] * 2
        citizen = tier_h.issuer.headers(kind="citizen", roles=("citizen",), household_id=applied)
        refused = await tier_h.client.post(
            f"{HOUSEHOLDS}/citizen-binding", json={"name": "李梅", "resident_id": person}, headers=citizen
        )
        assert (refused.status_code, refused.json()["reason"]) == (403, "scope_missing")
        outside = await tier_h.client.post(
            f"{HOUSEHOLDS}/citizen-binding",
            json={"name": "李梅", "resident_id": resident("11010119800101412")},
            headers=gateway,
        )
        assert (outside.status_code, outside.json()["reason"]) == (400, "region_unknown")
        bad = await tier_h.client.post(
            f"{HOUSEHOLDS}/citizen-binding", json={"name": "李梅", "resident_id": person[:-1] + "X"}, headers=gateway
        )
        assert bad.status_code == 422


async def test_a_caseworker_finds_a_household_by_resident_id_only_in_their_area(tier_h: ServiceHarness) -> None:
    async with procedure_walk(tier_h, Clock(NOW)) as walk:
        person = resident("52010219760606421")
        applied = (await walk.submit(person))["household_id"]

        found = await walk.town.post(f"{HOUSEHOLDS}/search", json={"resident_id": person})
        other_county = tier_h.issuer.headers(roles=("town_caseworker",), region="520111")
        hidden = await tier_h.client.post(f"{HOUSEHOLDS}/search", json={"resident_id": person}, headers=other_county)
        nobody = await walk.town.post(f"{HOUSEHOLDS}/search", json={"resident_id": resident("52010219760606431")})

        assert found.status_code == 200, found.text
        assert found.json()["household_id"] == applied
        assert person not in found.text  # masked
        # another county's record answers exactly like no record
        assert (hidden.status_code, hidden.json()["reason"]) == (404, "household_not_found")

        def same(body: dict[str, str]) -> dict[str, str]:
            return {k: v for k, v in body.items() if k != "correlation_id"}

        assert (nobody.status_code, same(nobody.json())) == (404, same(hidden.json()))
