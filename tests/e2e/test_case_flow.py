"""One 低保 application through every step of its procedure across real processes, on real
PostgreSQL and Kafka, driven through the gateway over HTTP by the people who drive it: the
town caseworker accepts and investigates with a colleague, the county's 核对报告 arrives as a
`verification.check_completed` event on Kafka (a test publisher stands in for verification,
which is not built yet), the colleague gives the 初审 opinion, an objection during the 公示 is
settled by 民主评议, and the county approver confirms. The approval opens a case and the
eligibility worker publishes `case_approved` on Kafka with the payee as a person reference.

(The 7-day 公示 itself is walked with an injected clock in services/eligibility/tests/procedure;
real processes run on real time, so here the objection path reaches the county instead.)
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from jiuzhu_platform.bus import KafkaBus, OutgoingMessage
from shared.events import CheckCompleted, CheckCompletedData
from shared.events.verification import CheckPurpose, Department
from shared.types import resident_id_check_digit
from tests.conftest import server_setting
from tests.e2e.cluster import FLOW_SECONDS, Cluster, create_staff, until

pytestmark = pytest.mark.e2e

APPLICATIONS = "/v1/eligibility/applications"


async def step(
    client: httpx.AsyncClient, app_id: str, action: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(f"{APPLICATIONS}/{app_id}/{action}", json=body or {})
    assert response.status_code == 200, f"{action}: {response.text}"
    return dict(response.json())


async def publish_check(cluster: Cluster, household_id: str, application_id: str) -> None:
    event = CheckCompleted.create(
        CheckCompletedData(
            check_id=uuid.uuid4(),
            household_id=uuid.UUID(household_id),
            application_id=uuid.UUID(application_id),
            purpose=CheckPurpose.APPLICATION,
            completed_on=date.today(),
            departments_answered=tuple(Department),
            verified_monthly_income=Decimal("600.00"),
            financial_assets=Decimal("2000.00"),
            vehicle_count=0,
            property_count=1,
        ),
        subject=household_id,
        correlation_id=f"e2e-check-{application_id}",
        now=datetime.now(UTC),
    )
    bus = KafkaBus(
        server_setting("JIUZHU_KAFKA_BOOTSTRAP"),
        client_id="e2e-verification-stand-in",
        topic_prefix=cluster.env["ELIGIBILITY_KAFKA_TOPIC_PREFIX"],
    )
    await bus.start()
    try:
        await bus.publish([OutgoingMessage("verification.events", household_id.encode(), event.to_json_bytes())])
    finally:
        await bus.stop()


async def published(cluster: Cluster, event_type: str, household_id: str) -> dict[str, Any]:
    """The first message of `event_type` for the household on eligibility's topic in Kafka."""
    topic = cluster.env["ELIGIBILITY_KAFKA_TOPIC_PREFIX"] + "eligibility.events"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=server_setting("JIUZHU_KAFKA_BOOTSTRAP"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + FLOW_SECONDS
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    body = json.loads(record.value)
                    if body["type"] == event_type and body["data"]["household_id"] == household_id:
                        return dict(body)
        raise AssertionError(f"{event_type} for {household_id} not on {topic} after {FLOW_SECONDS}s")
    finally:
        await consumer.stop()


async def test_a_dibao_application_from_submission_to_an_open_case(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    town = "520102001000"
    li = await create_staff(admin, "flow-li", ["town_caseworker"], town)
    wang = await create_staff(admin, "flow-wang", ["town_caseworker"], town)
    zhao = await create_staff(admin, "flow-zhao", ["county_approver"], "520102")
    body17 = "52010219660606066"
    resident_id = body17 + resident_id_check_digit(body17)
    async with (
        cluster.client(**li) as town_client,
        cluster.client(**wang) as colleague,
        cluster.client(**zhao) as county,
    ):
        created = await town_client.post(
            APPLICATIONS,
            json={
                "assistance_type": "dibao",
                "region_code": "520102",
                "town_code": town,
                "member_count": 2,
                "applicant": {"name": "流程", "resident_id": resident_id},
            },
        )
        assert created.status_code == 201, created.text
        app_id, household_id = created.json()["id"], created.json()["household_id"]

        await step(town_client, app_id, "request-supplement", {"missing_items": ["户口簿", "承诺书"]})
        await step(town_client, app_id, "resubmit")
        assert (await step(town_client, app_id, "accept"))["stage"] == "accepted"
        await step(town_client, app_id, "start-investigation")
        visit = {
            "visited_on": date.today().isoformat(),
            "investigators": ["flow-wang"],
            "family_signed": True,
            "findings": "入户核实",
        }
        await step(town_client, app_id, "record-home-visit", visit)
        assert (await step(town_client, app_id, "request-verification"))["stage"] == "verification_requested"

        await publish_check(cluster, household_id, app_id)

        async def report_received() -> dict[str, Any] | None:
            case = (await town_client.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
            return dict(case) if case["verification_received"] else None

        case = await until(report_received, "the verification report")
        assert case["stage"] == "investigating"

        assert (await step(colleague, app_id, "preliminary-review", {"amount": "640.00", "opinion": "符合条件"}))[
            "stage"
        ] == "publicizing"
        objected = await step(town_client, app_id, "record-publicity-objection", {"summary": "群众反映有经营收入"})
        assert objected["stage"] == "publicity_objected"
        assert objected["extension"] == "publicity_objection"
        revised = {"method": "democratic_review", "recommend": True, "amount": "640.00", "opinion": "民主评议后维持"}
        assert (await step(colleague, app_id, "revise-opinion", revised))["stage"] == "submitted_to_county"

        refused = await colleague.post(f"{APPLICATIONS}/{app_id}/approve", json={"amount": "640.00"})
        assert refused.status_code == 403  # four-eyes: who gave the 初审 opinion never confirms
        assert refused.json()["reason"] == "same_account_prepared"
        approved = await step(county, app_id, "approve", {"amount": "640.00", "note": "同意"})
        assert approved["stage"] == "approved"
        assert [s["action"] for s in approved["steps"]][-1] == "approve"

        cases = (await county.get("/v1/eligibility/cases", params={"status": "active"})).json()["items"]
        assert app_id in {c["application_id"] for c in cases}

    event = await published(cluster, "eligibility.case_approved.v1", household_id)
    assert event["data"]["amounts"]["monthly_total"] == "640.00"
    assert event["data"]["payee"]["ref"].startswith("pr1_")
    assert resident_id not in json.dumps(event)
    check_lines = [r for r in cluster.log("eligibility-worker") if r.get("correlation_id") == f"e2e-check-{app_id}"]
    assert check_lines, "the worker applied the check under its correlation id"
