"""Active cases over HTTP (SQLite and PostgreSQL): an approval opens the case; the county
terminates it after a 7-day 公示 run by the housekeeping; reviews and amount changes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from eligibility.testing import Clock, procedure_walk, resident
from jiuzhu_platform.testing import ServiceHarness
from shared.events import BenefitChanged, CaseTerminated, parse_event

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


async def test_approval_opens_a_case_that_ends_after_its_publicity(tier_h: ServiceHarness) -> None:
    clock = Clock(START)
    async with procedure_walk(tier_h, clock) as walk:
        application = await walk.submit(resident("52010219700101011"))
        await walk.approve(application["id"])
        page = (await walk.county.get("/v1/eligibility/cases", params={"status": "active"})).json()
        assert page["total"] == 1
        case = page["items"][0]
        assert case["application_id"] == application["id"]
        assert case["monthly_amount"] == "780.00"
        assert case["start_month"] == "2026-12"
        assert case["next_review_on"] == "2027-12-01"
        assert case["policy_version"]
        case_id = case["case_id"]

        changed = await walk.county.post(
            f"/v1/eligibility/cases/{case_id}/change-amount",
            json={"monthly_amount": "860.00", "reason": "member_change"},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["monthly_amount"] == "860.00"

        refused = await walk.town.post(f"/v1/eligibility/cases/{case_id}/terminate", json={"reason": "fraud"})
        assert refused.status_code == 403
        assert refused.json()["reason"] == "scope_missing"
        ended = await walk.county.post(
            f"/v1/eligibility/cases/{case_id}/terminate", json={"reason": "assets_exceed_limits", "note": "新购车辆"}
        )
        assert ended.status_code == 200, ended.text
        assert ended.json()["status"] == "termination_publicizing"

        early = (await walk.county.post("/v1/eligibility/cases/housekeeping")).json()
        assert early["changed"] == 0
        clock.advance(8)
        late = (await walk.county.post("/v1/eligibility/cases/housekeeping")).json()
        assert late["case_ids"] == [case_id]
        final = (await walk.county.get(f"/v1/eligibility/cases/{case_id}")).json()
        assert final["status"] == "terminated"
        assert final["termination_reason"] == "assets_exceed_limits"
        assert [s["action"] for s in final["steps"]] == [
            "open",
            "change-amount",
            "terminate",
            "close-termination-publicity",
        ]
        events = {row["event_type"]: parse_event(bytes(row["payload"])) for row in await tier_h.outbox_rows()}
        changed = events["eligibility.benefit_changed.v1"]
        assert isinstance(changed, BenefitChanged)
        assert changed.data.amounts.monthly_total == Decimal("860.00")
        assert str(changed.data.effective_from) == "2026-12"
        ended = events["eligibility.case_terminated.v1"]
        assert isinstance(ended, CaseTerminated)
        assert ended.data.reason.value == "assets_exceed_limits"
        assert ended.data.last_paid_month is None  # ended in November, before December, its first paid month


async def test_cases_are_region_scoped(h: ServiceHarness) -> None:
    async with procedure_walk(h, Clock(START)) as walk:
        application = await walk.submit(resident("52010219700101012"))
        await walk.approve(application["id"])
        async with h.anonymous_client(kind="staff", subject="x", roles=("county_approver",), region="520103") as other:
            page = (await other.get("/v1/eligibility/cases")).json()
            assert page["total"] == 0
            case_id = (await walk.county.get("/v1/eligibility/cases")).json()["items"][0]["case_id"]
            refused = await other.post(f"/v1/eligibility/cases/{case_id}/open-review", json={"reason": "monitoring"})
            assert refused.status_code == 403
            assert refused.json()["reason"] == "region_not_allowed"


async def test_the_worker_opens_due_reviews_on_schedule(h: ServiceHarness) -> None:
    clock = Clock(START)
    async with procedure_walk(h, clock) as walk:
        application = await walk.submit(resident("52010219700101013"))
        await walk.approve(application["id"])
        (job,) = h.definition.worker_components(h.runtime).jobs
        assert job.name == "case-housekeeping"
        assert await job.run() == 0  # nothing due yet
        clock.advance(400)  # past the first review (12 months after December 2026)
        assert await job.run() == 1
        assert await job.run() == 0  # idempotent: the review is open
        case = (await walk.county.get("/v1/eligibility/cases")).json()["items"][0]
        assert case["status"] == "under_review"
        assert case["review_reason"] == "scheduled"
