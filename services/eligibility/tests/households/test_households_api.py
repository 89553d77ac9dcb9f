"""Households as records (SQLite and PostgreSQL): the first application creates the record with
the applicant, members join and leave with every change versioned, a person is a current member
of one household only, and the record is read within the caller's area (masked)."""

from __future__ import annotations

from datetime import UTC, datetime

from eligibility.testing import COUNTY, TOWN, Clock, procedure_walk, resident
from jiuzhu_platform.testing import ServiceHarness

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
HOUSEHOLDS = "/v1/eligibility/households"


async def test_a_household_record_from_application_to_member_changes(tier_h: ServiceHarness) -> None:
    async with procedure_walk(tier_h, Clock(START)) as walk:
        applicant = resident("52010219800101301")
        child = resident("52010220140315302")
        application = await walk.submit(applicant, name="王芳")
        household_id = application["household_id"]
        record = (await walk.town.get(f"{HOUSEHOLDS}/{household_id}")).json()
        assert record["region_code"] == COUNTY
        assert record["town_code"] == TOWN
        assert [(m["name"], m["relationship"]) for m in record["members"]] == [("王芳", "self")]
        assert record["members"][0]["birth_date"] == "1980-01-01"
        assert applicant not in str(record)

        joined = await walk.town.post(
            f"{HOUSEHOLDS}/{household_id}/members",
            json={
                "name": "王小",
                "resident_id": child,
                "relationship": "child",
                "in_school": True,
                "expected_version": 1,
            },
        )
        assert joined.status_code == 200, joined.text
        assert joined.json()["version"] == 2
        stale = await walk.town.post(
            f"{HOUSEHOLDS}/{household_id}/members",
            json={
                "name": "赵六",
                "resident_id": resident("52010219900101303"),
                "relationship": "other",
                "expected_version": 1,
            },
        )
        assert stale.status_code == 409
        assert stale.json()["reason"] == "household_changed"

        # the child cannot be the applicant of another household while a current member here
        elsewhere = await walk.town.post(
            "/v1/eligibility/applications",
            json={
                "assistance_type": "temporary",
                "region_code": COUNTY,
                "town_code": TOWN,
                "member_count": 1,
                "applicant": {"name": "王小", "resident_id": child},
            },
        )
        assert elsewhere.status_code == 201  # joins the household they are a member of
        assert elsewhere.json()["household_id"] == household_id

        member_id = next(m["member_id"] for m in joined.json()["members"] if m["relationship"] == "child")
        updated = await walk.town.patch(
            f"{HOUSEHOLDS}/{household_id}/members/{member_id}",
            json={"disability_category": "intellectual", "disability_grade": 2, "hukou_region_code": "520103"},
        )
        assert updated.status_code == 200, updated.text
        child_now = next(m for m in updated.json()["members"] if m["member_id"] == member_id)
        assert child_now["disability_grade"] == 2
        assert child_now["separated_residence"] is True  # 户籍 in 520103, household in 520102
        assert child_now["in_school"] is True  # untouched
        left = await walk.town.post(
            f"{HOUSEHOLDS}/{household_id}/members/{member_id}/leave", json={"reason": "moved_out", "on": "2026-11-20"}
        )
        assert left.status_code == 200, left.text
        assert [m["name"] for m in left.json()["former_members"]] == ["王小"]
        versions = (await walk.town.get(f"{HOUSEHOLDS}/{household_id}/versions")).json()
        assert [v["reason"] for v in versions] == ["created", "member_added", "member_updated", "member_left"]
        assert all(child not in v["summary"] for v in versions)
        assert versions[0]["by"] == "li.na"

        last = next(m["member_id"] for m in left.json()["members"])
        refused = await walk.town.post(
            f"{HOUSEHOLDS}/{household_id}/members/{last}/leave", json={"reason": "other", "on": "2026-11-21"}
        )
        assert refused.status_code == 409
        assert refused.json()["reason"] == "last_member_cannot_leave"


async def test_a_person_is_a_current_member_of_one_household_and_records_are_region_scoped(h: ServiceHarness) -> None:
    async with procedure_walk(h, Clock(START)) as walk:
        first = await walk.submit(resident("52010219800101311"))
        second = await walk.submit(resident("52010219800101312"))
        taken = await walk.town.post(
            f"{HOUSEHOLDS}/{second['household_id']}/members",
            json={"name": "重复", "resident_id": resident("52010219800101311"), "relationship": "spouse"},
        )
        assert taken.status_code == 409
        assert taken.json()["reason"] == "resident_in_other_household"
        assert first["household_id"] in taken.text  # visible to this caller, so named
        async with h.anonymous_client(kind="staff", roles=("county_approver",), region="520103") as other:
            refused = await other.get(f"{HOUSEHOLDS}/{first['household_id']}")
            assert refused.status_code == 403
            assert refused.json()["reason"] == "region_not_allowed"
        async with h.anonymous_client(kind="citizen", roles=("citizen",), household_id=first["household_id"]) as own:
            assert (await own.get(f"{HOUSEHOLDS}/{first['household_id']}")).status_code == 200
            assert (await own.get(f"{HOUSEHOLDS}/{second['household_id']}")).status_code == 403
