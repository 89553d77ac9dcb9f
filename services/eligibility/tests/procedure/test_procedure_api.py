"""The procedure over HTTP, on SQLite and on PostgreSQL: one 低保 application from submission
to approval with real tokens for each person, the clock moved for the 公示, and the refusals
in the common error shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from eligibility.procedure import service
from eligibility.procedure.api.routes import deps
from eligibility.procedure.domain import commands as c
from jiuzhu_platform.testing import ServiceHarness
from shared.events import CaseApproved, parse_event

APPLICATIONS = "/v1/eligibility/applications"
COUNTY = "520102"
TOWN = "520102001000"

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Guiyang


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, days: int) -> None:
        self.at += timedelta(days=days)


def resident(body17: str) -> str:
    from shared.types import resident_id_check_digit

    return body17 + resident_id_check_digit(body17)


def staff(h: ServiceHarness, subject: str, *, roles: tuple[str, ...], region: str) -> httpx.AsyncClient:
    return h.anonymous_client(kind="staff", subject=subject, roles=roles, region=region)


async def submit(
    h: ServiceHarness, client: httpx.AsyncClient, resident_id: str, *, county: str = COUNTY, town: str = TOWN
) -> dict[str, Any]:
    body = {
        "assistance_type": "dibao",
        "region_code": county,
        "town_code": town,
        "member_count": 2,
        "applicant": {"name": "李梅", "resident_id": resident_id},
    }
    response = await client.post(APPLICATIONS, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def step(
    client: httpx.AsyncClient,
    application_id: str,
    action: str,
    body: dict[str, Any] | None = None,
    *,
    expect: int = 200,
) -> dict[str, Any]:
    response = await client.post(f"{APPLICATIONS}/{application_id}/{action}", json=body or {})
    assert response.status_code == expect, response.text
    return dict(response.json())


async def report(h: ServiceHarness, application_id: str) -> None:
    """The county's 核对报告 arrives (what the `verification.check_completed` consumer does)."""
    async with h.runtime.database.transaction() as session:
        await service.record_verification_report(
            session, UUID(application_id), c.ReceiveVerificationReport(UUID(int=1), True, 0), deps(h.runtime)
        )


async def test_a_dibao_application_from_submission_to_approval(tier_h: ServiceHarness) -> None:
    h = tier_h
    clock = Clock(START)
    h.runtime.now = clock
    town_roles = ("town_caseworker",)
    async with (
        staff(h, "li.na", roles=town_roles, region=TOWN) as li,
        staff(h, "wang.fang", roles=town_roles, region=TOWN) as wang,
        staff(h, "zhao.lei", roles=("county_approver",), region=COUNTY) as zhao,
    ):
        application = await submit(h, li, resident("52010219700101001"))
        app_id = application["id"]
        async with h.anonymous_client(
            kind="citizen", roles=("citizen",), household_id=application["household_id"]
        ) as citizen:
            case = await step(li, app_id, "request-supplement", {"missing_items": ["户口簿", "承诺书"]})
            assert case["stage"] == "awaiting_supplement"
            clock.advance(1)
            await step(citizen, app_id, "resubmit")
            case = await step(li, app_id, "accept", {"expected_version": 2})
            assert case["stage"] == "accepted"
            assert [d["step"] for d in case["deadlines"]] == ["dibao.investigation_start", "dibao.overall"]
            clock.advance(1)
            await step(li, app_id, "start-investigation")
            await step(
                li,
                app_id,
                "record-home-visit",
                {
                    "visited_on": "2026-11-03",
                    "investigators": ["wang.fang"],
                    "family_signed": True,
                    "findings": "无车无房",
                },
            )
            await step(li, app_id, "request-verification")
            clock.advance(2)
            await report(h, app_id)
            case = await step(wang, app_id, "preliminary-review", {"amount": "780.00", "opinion": "符合低保条件"})
            assert case["stage"] == "publicizing"
            assert case["publicity_until"] == "2026-11-13"
            refused = await li.post(f"{APPLICATIONS}/{app_id}/close-publicity", json={})
            assert refused.status_code == 409
            assert refused.json()["reason"] == "publicity_running"
            clock.advance(8)
            await step(li, app_id, "close-publicity")
            # the county approver confirms: wang (who gave 初审) could not, even with the role
            async with staff(h, "wang.fang", roles=("town_caseworker", "county_approver"), region=COUNTY) as wang_both:
                refused = await wang_both.post(f"{APPLICATIONS}/{app_id}/approve", json={"amount": "780.00"})
                assert refused.status_code == 403
                assert refused.json()["reason"] == "same_account_prepared"
            case = await step(zhao, app_id, "approve", {"amount": "780.00", "note": "同意"})
            assert case["stage"] == "approved"
            assert case["decision"]["effective_month"] == "2026-12-01"
            assert case["decision"]["amount"] == "780.00"
            assert case["deadlines"] == []

            timeline = (await citizen.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
            assert [s["action"] for s in timeline["steps"]][-1] == "approve"
            assert all(s["actor"] is None for s in timeline["steps"])  # staff names hidden from applicants
            # the events of EVENTS.md, people as person references only
            published = [(row["event_type"], bytes(row["payload"])) for row in await h.outbox_rows()]
            types = [t for t, _ in published]
            assert types == [
                "eligibility.application_submitted.v2",
                "eligibility.application_accepted.v1",
                "eligibility.application_decided.v1",
                "eligibility.case_approved.v1",
            ]
            applicant = resident("52010219700101001")
            assert all(applicant.encode() not in payload for _, payload in published)
            approved = parse_event(published[-1][1])
            assert isinstance(approved, CaseApproved)
            assert approved.data.payee.ref.startswith("pr1_")
            assert str(approved.data.effective_from) == "2026-12"
            assert approved.data.amounts.monthly_total == Decimal("780.00")
            assert approved.data.policy_version
            assert approved.data.conflict_of_interest is False  # no member is a recorded staff relative
            notices = (await citizen.get("/v1/eligibility/notices")).json()
            assert [n["kind"] for n in notices] == ["approved", "publicized", "accepted", "supplement_requested"]
            assert all(n["title_en"] and n["body"] for n in notices)


async def test_refusals_are_clear_4xx(h: ServiceHarness) -> None:
    async with (
        staff(h, "li.na", roles=("town_caseworker",), region=TOWN) as li,
        staff(h, "other.town", roles=("town_caseworker",), region="520103001000") as other,
        staff(h, "zhao.lei", roles=("county_approver",), region=COUNTY) as zhao,
    ):
        application = await submit(h, li, resident("52010219800202002"))
        app_id = application["id"]
        cases: list[tuple[httpx.AsyncClient, str, dict[str, Any], int, str]] = [
            (other, "accept", {}, 403, "region_not_allowed"),
            (zhao, "accept", {}, 403, "scope_missing"),
            (li, "record-county-visit", {}, 403, "scope_missing"),
            (li, "approve", {"amount": "1.00"}, 409, "wrong_stage"),
            (li, "close-publicity", {}, 409, "wrong_stage"),
            (li, "accept", {"expected_version": 5}, 409, "application_changed"),
            (li, "request-supplement", {"missing_items": []}, 422, "request_invalid"),
            (li, "request-supplement", {"missing_items": ["\x00"]}, 422, "request_invalid"),
            (li, "accept", {"expected_version": 10**30}, 422, "request_invalid"),
            (li, "record-home-visit", {"visited_on": "99999-01-01"}, 422, "request_invalid"),
        ]
        for client, action, body, status, reason in cases:
            response = await client.post(f"{APPLICATIONS}/{app_id}/{action}", json=body)
            assert response.status_code == status, (action, response.text)
            assert response.json()["reason"] == reason, (action, response.text)
        missing = await li.post(f"{APPLICATIONS}/00000000-0000-0000-0000-000000000001/accept", json={})
        assert missing.status_code == 404
        case = (await li.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
        assert case["stage"] == "submitted"
        assert case["steps"] == []  # nothing half-written by the refusals


async def test_own_relative_cannot_act_and_the_case_is_flagged(h: ServiceHarness) -> None:
    applicant = resident("52010219900303003")
    async with (
        staff(h, "li.na", roles=("town_caseworker",), region=TOWN) as li,
        staff(h, "wang.fang", roles=("town_caseworker",), region=TOWN) as wang,
    ):
        recorded = await li.post(
            "/v1/eligibility/staff-relatives", json={"resident_id": applicant, "relationship": "sibling"}
        )
        assert recorded.status_code == 201
        application = await submit(h, wang, applicant)
        refused = await li.post(f"{APPLICATIONS}/{application['id']}/accept", json={})
        assert refused.status_code == 403
        assert refused.json()["reason"] == "own_relative"
        case = await step(wang, application["id"], "accept")
        assert case["conflict_of_interest"] is True
        assert case["county_visit_needed"] is True


async def test_worklist_is_region_scoped_paged_and_filters_overdue(h: ServiceHarness) -> None:
    clock: Callable[[], datetime] = Clock(START)
    h.runtime.now = clock
    async with (
        staff(h, "li.na", roles=("town_caseworker",), region=TOWN) as li,
        staff(h, "other", roles=("town_caseworker",), region="520103001000") as other,
    ):
        ids = [(await submit(h, li, resident(f"52010219700101{i:03d}")))["id"] for i in range(1, 4)]
        await submit(h, other, resident("52010319700101999"), county="520103", town="520103001000")
        await step(li, ids[0], "accept")
        assert isinstance(clock, Clock)
        clock.advance(10)  # the 3-WD investigation start is long past
        page = (await li.get("/v1/eligibility/worklist", params={"limit": 2})).json()
        assert page["total"] == 3
        assert len(page["items"]) == 2
        assert {i["region_code"] for i in page["items"]} == {COUNTY}
        overdue = (await li.get("/v1/eligibility/worklist", params={"overdue": "true"})).json()
        assert [i["application_id"] for i in overdue["items"]] == [ids[0]]
        assert overdue["items"][0]["next_due_step"] == "dibao.investigation_start"
        submitted = (await li.get("/v1/eligibility/worklist", params={"stage": "submitted"})).json()
        assert submitted["total"] == 2


async def test_assigning_work_and_the_assigned_worklist(h: ServiceHarness) -> None:
    h.runtime.now = Clock(START)
    async with (
        staff(h, "li.na", roles=("town_caseworker",), region=TOWN) as li,
        staff(h, "wang.fang", roles=("town_caseworker",), region=TOWN) as wang,
    ):
        first = await submit(h, li, resident("52010219700101201"))
        second = await submit(h, li, resident("52010219700101202"))
        assigned = await li.post(f"{APPLICATIONS}/{first['id']}/assign", json={"account": "wang.fang"})
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["stage"] == "submitted"
        mine = (await wang.get("/v1/eligibility/worklist", params={"assigned_to": "wang.fang"})).json()
        assert [i["application_id"] for i in mine["items"]] == [first["id"]]
        assert mine["items"][0]["assigned_to"] == "wang.fang"
        # the first action after an assignment keeps it
        case = await step(wang, first["id"], "accept")
        assert case["version"] == 1
        still = (await wang.get("/v1/eligibility/worklist", params={"assigned_to": "wang.fang"})).json()
        assert still["total"] == 1
        await step(li, second["id"], "withdraw")
        refused = await li.post(f"{APPLICATIONS}/{second['id']}/assign", json={"account": "wang.fang"})
        assert refused.status_code == 409
        assert refused.json()["reason"] == "wrong_stage"


def household_description(applicant_id: str) -> dict[str, Any]:
    """3 members in 520102, 2024-07 (the assessment tests' 低保 household): 1835.00 a month."""
    kid = "52010220140315033"
    spouse = "52010219850620022"
    return {
        "region_code": "520102",
        "hukou_type": "urban",
        "benefit_month": "2024-07",
        "members": [
            {
                "member_id": "self",
                "resident_id": applicant_id,
                "relationship": "self",
                "incomes": [{"category": "wage", "monthly": ["1000.00"] * 6}],
            },
            {"member_id": "spouse", "resident_id": resident(spouse), "relationship": "spouse"},
            {"member_id": "kid", "resident_id": resident(kid), "relationship": "child"},
        ],
        "assets": {"financial": "10000.00", "dwellings": 1, "floor_area_m2": "60"},
        "applicant_name": "张三",
    }


async def test_assessments_of_an_application_are_decision_records(tier_h: ServiceHarness) -> None:
    h = tier_h
    h.runtime.now = Clock(START)
    applicant = resident("52010219840315011")
    async with (
        staff(h, "li.na", roles=("town_caseworker",), region=TOWN) as li,
        h.anonymous_client(kind="staff", subject="x", roles=("town_caseworker",), region="520103001000") as other,
    ):
        application = await submit(h, li, applicant)
        recorded = await li.post(
            f"{APPLICATIONS}/{application['id']}/assessments", json=household_description(applicant)
        )
        assert recorded.status_code == 201, recorded.text
        record = recorded.json()
        assert record["recorded_by"] == "li.na"
        assert record["policy_version"] == "2024-07"
        assert record["category"] == "dibao"
        assert record["monthly_total"] == "1835.00"
        assert applicant not in recorded.text
        listed = (await li.get(f"{APPLICATIONS}/{application['id']}/assessments")).json()
        assert [r["id"] for r in listed] == [record["id"]]
        refused = await other.post(
            f"{APPLICATIONS}/{application['id']}/assessments", json=household_description(applicant)
        )
        assert refused.status_code == 403
        assert refused.json()["reason"] == "region_not_allowed"
    async with h.runtime.database.read() as session:  # the household description is encrypted at rest
        raw = (await session.execute(text("SELECT inputs FROM decision_record"))).scalar_one()
    assert applicant not in raw
    assert "张三" not in raw
    assert "self" not in raw
