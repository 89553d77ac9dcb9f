"""A 竞争性磋商 project from announcement to contract through the API, on SQLite and on
PostgreSQL (`tier_h`): two bids, the panel's scores, the award, the contract, every clock, and
`procurement.contract_awarded` from the outbox. Bad input gets a clear 4xx and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu_platform.testing import ServiceHarness
from services.procurement.tests.procurement_support import API, consultation, ok, panel, provider, set_now
from shared.events import ContractAwarded, parse_event

TOPIC = "procurement.events"


def clocks(project: dict[str, Any]) -> dict[str, tuple[str, str | None, bool | None]]:
    out = {}
    for c in project["clocks"]:
        due, done = c["due"], c["done_on"]
        on_time = None if done is None else (done >= due if c["kind"] == "minimum" else done <= due)
        out[c["step"]] = (due, done, on_time)
    return out


async def test_consultation_from_announcement_to_contract(tier_h: ServiceHarness) -> None:
    h = tier_h
    set_now(h, "2026-03-01T01:00")
    graded = await provider(h, 1, "南明区阳光社会工作服务中心", grade="4A")
    plain = await provider(h, 2, "云岩区同心社工服务社")

    set_now(h, "2026-03-02T01:00")  # Monday 09:00 in Guiyang: announced
    project = await ok(await h.client.post(f"{API}/projects", json=consultation()), 201)
    pid = project["id"]
    assert project["state"] == "open"
    assert clocks(project)["bid_deadline"] == ("2026-03-12", "2026-03-20", True)  # ≥10 days for 磋商

    set_now(h, "2026-03-10T03:00")
    b1 = await ok(
        await h.client.post(
            f"{API}/projects/{pid}/bids", json={"provider_id": graded, "price": "340000.00", "proposal": "方案甲"}
        ),
        201,
    )
    b2 = await ok(
        await h.client.post(
            f"{API}/projects/{pid}/bids", json={"provider_id": plain, "price": "300000.00", "proposal": "方案乙"}
        ),
        201,
    )
    assert "proposal" not in b1  # a receipt, not the content

    sealed = await h.client.get(f"{API}/projects/{pid}/bids")
    assert sealed.status_code == 409
    assert sealed.json()["reason"] == "bids_sealed"

    set_now(h, "2026-03-20T02:00")  # the deadline itself: late
    late = await h.client.post(
        f"{API}/projects/{pid}/bids",
        json={"provider_id": await provider(h, 3, "迟到的社工机构"), "price": "1.00", "proposal": "x"},
    )
    assert (late.status_code, late.json()["reason"]) == (409, "bid_too_late")

    set_now(h, "2026-03-20T02:30")  # Friday: opening
    opened = await ok(await h.client.post(f"{API}/projects/{pid}/opening"))
    assert opened["state"] == "opened"
    bids = await ok(await h.client.get(f"{API}/projects/{pid}/bids"))
    assert {b["proposal"] for b in bids} == {"方案甲", "方案乙"}

    set_now(h, "2026-03-24T08:00")  # Tuesday: the report, 2 WD after Friday's opening
    evaluated = await ok(
        await h.client.post(f"{API}/projects/{pid}/evaluation", json=panel({b1["id"]: (90, 90), b2["id"]: (80, 80)}))
    )
    ranking = [(s["bid_id"], s["total"], s["preference"]) for s in evaluated["scores"]]
    # b1: 300000/340000×30 = 26.47 + 90×0.7 = 63 + 3 (4A) = 92.47; b2: 30 + 56 = 86
    assert ranking == [(b1["id"], "92.47", "3.00"), (b2["id"], "86.00", "0.00")]
    assert clocks(evaluated)["evaluation_report"] == ("2026-03-24", "2026-03-24", True)

    set_now(h, "2026-03-27T02:00")
    awarded = await ok(await h.client.post(f"{API}/projects/{pid}/award", json={}))
    assert awarded["winner_bid_id"] == b1["id"]
    assert clocks(awarded)["award_decision"] == ("2026-03-31", "2026-03-27", True)
    assert clocks(awarded)["award_announcement"] == ("2026-03-31", "2026-03-27", True)
    assert clocks(awarded)["contract_signature"][0] == "2026-04-26"

    set_now(h, "2026-04-10T02:00")  # Friday
    signed = await ok(
        await h.client.post(
            f"{API}/projects/{pid}/contract",
            json={
                "term_start": "2026-04-15",
                "term_end": "2027-04-14",
                "milestones": [
                    {"name": "上半年", "period": "2026-09", "share_percent": 50},
                    {"name": "下半年", "period": "2027-03", "share_percent": 50},
                ],
            },
        ),
        201,
    )
    contract = signed["contract"]
    assert contract["value_fen"] == 34_000_000
    assert signed["project"]["state"] == "contracted"
    assert clocks(signed["project"])["contract_signature"] == ("2026-04-26", "2026-04-10", True)
    cid = contract["id"]
    done = await ok(
        await h.client.post(f"{API}/contracts/{cid}/steps", json={"step": "contract_announcement", "on": "2026-04-13"})
    )
    done = await ok(
        await h.client.post(f"{API}/contracts/{cid}/steps", json={"step": "contract_filing", "on": "2026-04-22"})
    )
    assert clocks(done)["contract_announcement"] == ("2026-04-14", "2026-04-13", True)
    assert clocks(done)["contract_filing"] == ("2026-04-21", "2026-04-22", False)  # filed a day late: recorded
    read = await ok(await h.client.get(f"{API}/projects/{pid}"))
    assert {c["step"]: c["status"] for c in read["clocks"]} == {
        "bid_deadline": "on_time",
        "evaluation_report": "on_time",
        "award_decision": "on_time",
        "award_announcement": "on_time",
        "contract_signature": "on_time",
        "contract_announcement": "on_time",
        "contract_filing": "late",
    }

    assert await h.relay() >= 1
    (awarded_event,) = [
        e for e in map(lambda m: parse_event(m.value), h.bus.messages(TOPIC)) if isinstance(e, ContractAwarded)
    ]
    assert str(awarded_event.data.contract_id) == cid
    assert str(awarded_event.data.value) == "340000.00"
    assert awarded_event.data.county_code == "520102"


async def test_consultation_with_one_bid_fails_and_falls_back(h: ServiceHarness) -> None:
    set_now(h, "2026-03-02T01:00")
    only = await provider(h, 1, "唯一投标人")
    pid = (await ok(await h.client.post(f"{API}/projects", json=consultation()), 201))["id"]
    set_now(h, "2026-03-10T01:00")
    await ok(
        await h.client.post(f"{API}/projects/{pid}/bids", json={"provider_id": only, "price": "1.00", "proposal": "x"}),
        201,
    )
    set_now(h, "2026-03-20T02:00")

    failed = await ok(await h.client.post(f"{API}/projects/{pid}/opening"))

    assert failed["state"] == "failed"
    assert "needs 2" in failed["failed_reason"]
    # the lawful fall-back: a new purchase on the ground of the failed one (a failed project does
    # not count towards 化整为零)
    wrong = await h.client.post(
        f"{API}/projects",
        json=consultation(
            method="competitive_negotiation",
            grounds=["failed_tender"],
            fallback_of=pid,
            bid_deadline="2026-04-01T02:00:00Z",
        ),
    )
    assert (wrong.status_code, wrong.json()["reason"]) == (422, "method_not_allowed")
    again = await h.client.post(
        f"{API}/projects", json=consultation(fallback_of=pid, bid_deadline="2026-04-01T02:00:00Z")
    )
    assert again.status_code == 201, again.text
    assert again.json()["fallback_of"] == pid


async def test_single_source_refused_when_the_rules_do_not_allow_it(tier_h: ServiceHarness) -> None:
    h = tier_h
    set_now(h, "2026-03-02T01:00")
    before = await h.client.get(f"{API}/projects")

    no_ground = await h.client.post(
        f"{API}/projects", json=consultation(method="single_source", grounds=["purchase_of_services"])
    )
    above = await h.client.post(
        f"{API}/projects", json=consultation(method="single_source", grounds=["only_one_supplier"], budget="4000000.00")
    )

    for refused in (no_ground, above):
        assert refused.status_code == 422, refused.text
        assert refused.json()["reason"] == "method_not_allowed"
        assert refused.json()["message_zh"]
    assert "公开招标" in above.json()["detail"]
    assert (await h.client.get(f"{API}/projects")).json()["total"] == before.json()["total"] == 0

    allowed = await h.client.post(
        f"{API}/projects",
        json=consultation(
            method="single_source",
            grounds=["only_one_supplier"],
            budget="4000000.00",
            finance_approval="筑财采〔2026〕3号",
            bid_deadline="2026-03-10T02:00:00Z",
        ),
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["state"] == "publicity"
    assert allowed.json()["publicity_until"] == "2026-03-09"  # 5 WD
    pid = allowed.json()["id"]
    sole = await provider(h, 7, "唯一供应商")
    set_now(h, "2026-03-09T09:00")  # the last day of the 公示
    early = await h.client.post(
        f"{API}/projects/{pid}/bids", json={"provider_id": sole, "price": "3900000.00", "proposal": "x"}
    )
    assert (early.status_code, early.json()["reason"]) == (409, "publicity_running")
    set_now(h, "2026-03-10T01:00")
    await ok(
        await h.client.post(
            f"{API}/projects/{pid}/bids", json={"provider_id": sole, "price": "3900000.00", "proposal": "x"}
        ),
        201,
    )
    set_now(h, "2026-03-10T02:00")
    assert (await ok(await h.client.post(f"{API}/projects/{pid}/opening")))["state"] == "opened"


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"service_item": "eligibility_confirmation"}, 422, "on_negative_list"),
        ({"service_item": "staff_recruitment"}, 422, "on_negative_list"),
        ({"includes_works": True}, 422, "on_negative_list"),
        ({"service_item": "road_building"}, 422, "not_in_service_list"),
        ({"bid_deadline": "2026-03-11T02:00:00Z"}, 422, "deadline_too_soon"),
        ({"method": "public_tender", "grounds": [], "bid_deadline": "2026-03-21T02:00:00Z"}, 422, "deadline_too_soon"),
        ({"method": "inquiry", "grounds": ["standard_goods"]}, 422, "method_not_allowed"),
        ({"fiscal_year": 2031}, 422, "thresholds_unknown"),
        (
            {"criteria": [{"name": "price", "weight": 50, "price": True}, {"name": "plan", "weight": 40}]},
            422,
            "invalid_criteria",
        ),
        ({"budget": "-1.00"}, 422, "request_invalid"),
    ],
)
async def test_bad_projects_are_refused_and_store_nothing(
    h: ServiceHarness, change: dict[str, Any], status: int, reason: str
) -> None:
    set_now(h, "2026-03-02T01:00")

    response = await h.client.post(f"{API}/projects", json=consultation(**change))

    assert response.status_code == status, response.text
    if reason != "request_invalid":
        assert response.json()["reason"] == reason
    assert (await h.client.get(f"{API}/projects")).json()["total"] == 0


async def test_splitting_across_the_year_is_refused(h: ServiceHarness) -> None:
    set_now(h, "2026-03-02T01:00")
    await ok(await h.client.post(f"{API}/projects", json=consultation(budget="2500000.00")), 201)

    second = await h.client.post(f"{API}/projects", json=consultation(budget="1500000.00"))

    assert (second.status_code, second.json()["reason"]) == (422, "splitting_detected")


async def test_blacklisted_expired_grade_and_unqualified_providers_cannot_bid(tier_h: ServiceHarness) -> None:
    h = tier_h
    set_now(h, "2026-03-01T01:00")
    banned = await provider(h, 1, "被禁入的机构", grade="5A")
    await ok(
        await h.client.post(
            f"{API}/providers/{banned}/blacklist",
            json={"start": "2025-06-01", "until": "2027-05-31", "reason": "提供虚假材料谋取成交"},
        )
    )
    expired = await provider(h, 2, "等级过期的机构", grade="4A", awarded_on="2021-03-01")  # valid to 2026-02-28
    unqualified = await provider(h, 3, "未提交材料的机构", conditions=False)
    set_now(h, "2026-03-02T01:00")
    pid = (await ok(await h.client.post(f"{API}/projects", json=consultation(required_min_grade="3A")), 201))["id"]
    set_now(h, "2026-03-10T01:00")

    responses = {
        name: await h.client.post(
            f"{API}/projects/{pid}/bids", json={"provider_id": p, "price": "1.00", "proposal": "x"}
        )
        for name, p in (("banned", banned), ("expired", expired), ("unqualified", unqualified))
    }

    assert {k: (r.status_code, r.json()["reason"]) for k, r in responses.items()} == {
        "banned": (422, "provider_blacklisted"),
        "expired": (422, "grade_requirement_unmet"),
        "unqualified": (422, "supplier_conditions_unmet"),
    }
    assert "expired on 2026-02-28" in responses["expired"].json()["detail"]
    set_now(h, "2026-03-20T02:00")
    assert (await ok(await h.client.post(f"{API}/projects/{pid}/opening")))["state"] == "failed"  # no bid was stored


async def test_contract_over_three_years_is_refused_and_changes_nothing(h: ServiceHarness) -> None:
    set_now(h, "2026-03-01T01:00")
    a = await provider(h, 1, "甲")
    b = await provider(h, 2, "乙")
    set_now(h, "2026-03-02T01:00")
    pid = (await ok(await h.client.post(f"{API}/projects", json=consultation()), 201))["id"]
    set_now(h, "2026-03-10T01:00")
    ids = [
        (
            await ok(
                await h.client.post(
                    f"{API}/projects/{pid}/bids", json={"provider_id": p, "price": "300000.00", "proposal": "x"}
                ),
                201,
            )
        )["id"]
        for p in (a, b)
    ]
    set_now(h, "2026-03-20T02:00")
    await ok(await h.client.post(f"{API}/projects/{pid}/opening"))
    await ok(await h.client.post(f"{API}/projects/{pid}/evaluation", json=panel({ids[0]: (80, 80), ids[1]: (70, 70)})))
    await ok(await h.client.post(f"{API}/projects/{pid}/award", json={}))
    milestones = [{"name": "全部", "period": "2027-03", "share_percent": 100}]

    too_long = await h.client.post(
        f"{API}/projects/{pid}/contract",
        json={
            "term_start": "2026-04-01",
            "term_end": "2029-04-01",
            "budget_assured": True,
            "stable_service": True,
            "milestones": milestones,
        },
    )
    no_grounds = await h.client.post(
        f"{API}/projects/{pid}/contract",
        json={"term_start": "2026-04-01", "term_end": "2027-06-30", "milestones": milestones},
    )

    assert (too_long.status_code, too_long.json()["reason"]) == (422, "invalid_term")
    assert "3 years" in too_long.json()["detail"]
    assert (no_grounds.status_code, no_grounds.json()["reason"]) == (422, "invalid_term")
    assert (await ok(await h.client.get(f"{API}/projects/{pid}")))["state"] == "awarded"
    assert (await ok(await h.client.get(f"{API}/contracts")))["total"] == 0
    three = await h.client.post(
        f"{API}/projects/{pid}/contract",
        json={
            "term_start": "2026-04-01",
            "term_end": "2029-03-31",
            "budget_assured": True,
            "stable_service": True,
            "milestones": milestones,
        },
    )
    assert three.status_code == 201, three.text
    assert three.json()["contract"]["extended_term_grounds"] == "budget_assured+stable_service"


async def test_invited_tender_draws_three_qualified_providers_at_random(h: ServiceHarness) -> None:
    set_now(h, "2026-03-01T01:00")
    qualified = {await provider(h, n, f"机构{n}") for n in range(1, 5)}
    banned = await provider(h, 9, "禁入机构")
    await ok(
        await h.client.post(
            f"{API}/providers/{banned}/blacklist", json={"start": "2026-01-01", "until": "2027-12-31", "reason": "违法"}
        )
    )
    await provider(h, 8, "未提交材料", conditions=False)
    set_now(h, "2026-03-02T01:00")

    project = await ok(
        await h.client.post(
            f"{API}/projects",
            json=consultation(
                method="invited_tender",
                grounds=["limited_suppliers"],
                invite_at_random=3,
                bid_deadline="2026-03-23T02:00:00Z",
            ),
        ),
        201,
    )

    assert len(project["invited"]) == 3
    assert set(project["invited"]) <= qualified
    assert project["invitation_seed"] is not None
    outsider = (qualified - set(project["invited"])).pop()
    set_now(h, "2026-03-10T01:00")
    refused = await h.client.post(
        f"{API}/projects/{project['id']}/bids", json={"provider_id": outsider, "price": "1.00", "proposal": "x"}
    )
    assert (refused.status_code, refused.json()["reason"]) == (422, "not_invited")
    set_now(h, "2026-03-02T01:00")
    too_many = await h.client.post(
        f"{API}/projects",
        json=consultation(
            method="invited_tender",
            grounds=["limited_suppliers"],
            invite_at_random=5,
            budget_item="2081009",
            bid_deadline="2026-03-23T02:00:00Z",
        ),
    )
    assert (too_many.status_code, too_many.json()["reason"]) == (422, "method_not_allowed")
