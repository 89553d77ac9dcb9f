"""临时救助 over HTTP: emergency first aid paid at once up to the ceiling with the remainder's
route, the paperwork deadline, and a 支出型 application whose approval pays a one-off grant."""

from __future__ import annotations

from datetime import UTC, datetime

from eligibility.testing import COUNTY, TOWN, Clock, procedure_walk, resident
from jiuzhu_platform.testing import ServiceHarness

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def first_aid(requested: str, members: int = 3) -> dict[str, object]:
    return {
        "region_code": COUNTY,
        "town_code": TOWN,
        "recipient": {"name": "陈刚", "resident_id": resident("52010219800101021")},
        "cause": "住房失火",
        "requested": requested,
        "members": members,
    }


async def test_first_aid_pays_up_to_the_ceiling_and_routes_the_rest(tier_h: ServiceHarness) -> None:
    clock = Clock(START)
    async with procedure_walk(tier_h, clock) as walk:
        small = await walk.town.post("/v1/eligibility/emergency-grants", json=first_aid("500.00"))
        assert small.status_code == 201, small.text
        assert small.json()["granted"] == "500.00"
        assert small.json()["remainder_route"] == "none"
        big = (await walk.town.post("/v1/eligibility/emergency-grants", json=first_aid("900000.00"))).json()
        assert float(big["granted"]) < 900000
        assert float(big["remainder"]) == 900000 - float(big["granted"])
        assert big["remainder_route"] == "case_by_case"
        assert big["backfill_due"] == "2026-11-16"  # 10 working days after 2 November
        assert big["approval_level"] == "town"
        assert resident("52010219800101021") not in str(big)

        clock.advance(20)
        overdue = (await walk.town.get("/v1/eligibility/temporary-grants", params={"overdue": "true"})).json()
        assert overdue["total"] == 2
        done = await walk.town.post(
            f"/v1/eligibility/emergency-grants/{big['grant_id']}/backfill", json={"signed": True, "note": "签字齐全"}
        )
        assert done.status_code == 200, done.text
        again = await walk.town.post(
            f"/v1/eligibility/emergency-grants/{big['grant_id']}/backfill", json={"signed": True, "note": "x"}
        )
        assert again.status_code == 409
        assert again.json()["reason"] == "already_backfilled"
        overdue = (await walk.town.get("/v1/eligibility/temporary-grants", params={"overdue": "true"})).json()
        assert overdue["total"] == 1


async def test_citizens_cannot_grant_themselves(h: ServiceHarness) -> None:
    async with h.anonymous_client(
        kind="citizen", roles=("citizen",), household_id="00000000-0000-0000-0000-000000000001"
    ) as c:
        refused = await c.post("/v1/eligibility/emergency-grants", json=first_aid("100.00"))
        assert refused.status_code == 403
        assert refused.json()["reason"] == "scope_missing"


async def test_an_approved_expenditure_application_pays_a_one_off_grant(h: ServiceHarness) -> None:
    async with procedure_walk(h, Clock(START)) as walk:
        application = await walk.submit(resident("52010219700101031"), kind="temporary")
        await walk.to_county(application["id"], amount="3000.00")
        case = await walk.step(walk.county, application["id"], "approve", {"amount": "3000.00"})
        assert case["decision"]["level"] == "county"
        grants = (await walk.county.get("/v1/eligibility/temporary-grants", params={"kind": "expenditure"})).json()
        assert grants["total"] == 1
        assert grants["items"][0]["application_id"] == application["id"]
        assert grants["items"][0]["granted"] == "3000.00"
        cases = (await walk.county.get("/v1/eligibility/cases")).json()
        assert cases["total"] == 0  # a one-off grant, not a case
