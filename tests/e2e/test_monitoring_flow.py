"""Monitoring across real processes on real PostgreSQL and Kafka (issue 13): an approved case
arrives on eligibility's topic, a death notice about its payee on verification's (a test
publisher stands in for both); the monitoring worker raises the integrity alert and puts
`monitoring.review_requested` on Kafka, where a test consumer (standing in for eligibility)
reads it; the town caseworker sees the task through the gateway and cannot close it without a
disposition. A 边缘 household's hospitalisation and job loss is a hardship task the same way, and
a spot-check draw is redone from its seed."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from jiuzhu_platform.bus import KafkaBus, OutgoingMessage
from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from monitoring.testing import approved, notice
from shared.events import Event
from shared.events.eligibility import CaseCategory
from shared.events.verification import Department, DepartmentNoticeKind
from shared.types import ResidentId, resident_id_check_digit
from tests.conftest import server_setting
from tests.e2e.cluster import Cluster, create_staff, until

pytestmark = pytest.mark.e2e

SECONDS = 60


async def publish(cluster: Cluster, topic: str, event: Event) -> None:
    bus = KafkaBus(
        server_setting("JIUZHU_KAFKA_BOOTSTRAP"),
        client_id="e2e-stand-in",
        topic_prefix=cluster.env["MONITORING_KAFKA_TOPIC_PREFIX"],
    )
    await bus.start()
    try:
        await bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    finally:
        await bus.stop()


async def on_kafka(cluster: Cluster, event_type: str, household_id: str) -> dict[str, Any]:
    topic = cluster.env["MONITORING_KAFKA_TOPIC_PREFIX"] + "monitoring.events"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=server_setting("JIUZHU_KAFKA_BOOTSTRAP"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    body = json.loads(record.value)
                    if body["type"] == event_type and body["data"]["household_id"] == household_id:
                        return dict(body)
        raise AssertionError(f"{event_type} for {household_id} not on {topic} after {SECONDS}s")
    finally:
        await consumer.stop()


async def test_a_recipients_death_reaches_eligibility_as_a_review_request(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    key = person_ref_key_from_config(cluster.env["MONITORING_PERSON_REF_KEY"])
    body17 = "52010219480808008"
    payee = person_ref(ResidentId(body17 + resident_id_check_digit(body17)), key)
    household = uuid.uuid4()
    # its own county: payment also takes this case into its ledger, and other tests pay 520102
    case = approved(household, payee, CaseCategory.DIBAO, region="520115")
    await publish(cluster, "eligibility.events", case)
    caseworker = await create_staff(admin, "warn-town", ["town_caseworker"], "520115001000")

    async with cluster.client(**caseworker) as town:

        async def registered() -> bool:
            # a notice about someone not (yet) in the register is dropped: send a fresh one until
            # the case is in (ordering across the two topics is not guaranteed)
            await publish(
                cluster, "verification.events", notice(payee, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY)
            )
            page = (await town.get("/v1/monitoring/alerts", params={"status": "open"})).json()
            return any(a["household_id"] == str(household) for a in page["items"])

        await until(registered, "the integrity alert in the town's tasks")
        review = await on_kafka(cluster, "monitoring.review_requested.v1", str(household))
        assert review["data"]["case_id"] == str(case.data.case_id)
        assert review["data"]["reason"] == "alert"

        [task] = [
            a for a in (await town.get("/v1/monitoring/alerts")).json()["items"] if a["household_id"] == str(household)
        ]
        bare = await town.post(f"/v1/monitoring/alerts/{task['alert_id']}/disposal", json={})
        assert (bare.status_code, bare.json()["reason"]) == (409, "disposition_required")
        done = await town.post(
            f"/v1/monitoring/alerts/{task['alert_id']}/disposal",
            json={"disposition": "verify_and_terminate", "evidence": "公安死亡注销信息核实无误，已报县级终止"},
        )
        assert done.status_code == 200, done.text


async def test_illness_and_job_loss_of_a_marginal_household_is_a_task_closed_only_with_a_disposition(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    """A 边缘 household whose head is hospitalised and loses their job (two departments' notices on
    Kafka) gets the hardship alert in its town's tasks; a disposal without a disposition is
    refused, one with it closes the task."""
    key = person_ref_key_from_config(cluster.env["MONITORING_PERSON_REF_KEY"])
    body17 = "52012219700707007"
    head = person_ref(ResidentId(body17 + resident_id_check_digit(body17)), key)
    household = uuid.uuid4()
    await publish(cluster, "eligibility.events", approved(household, head, CaseCategory.MARGINAL, region="520122"))
    caseworker = await create_staff(admin, "hardship-town", ["town_caseworker"], "520122001000")

    async with cluster.client(**caseworker) as town:

        async def alerted() -> dict[str, Any] | None:
            for kind, department in (
                (DepartmentNoticeKind.HOSPITALISED, Department.HEALTH),
                (DepartmentNoticeKind.UNEMPLOYED, Department.HUMAN_RESOURCES),
            ):
                await publish(cluster, "verification.events", notice(head, kind, department))
            page = (await town.get("/v1/monitoring/alerts", params={"status": "open"})).json()
            return next((a for a in page["items"] if a["household_id"] == str(household)), None)

        task = await until(alerted, "the hardship alert in the town's tasks")
        assert task["rule"] == "hardship.illness_and_job_loss"
        assert task["level"] == "high"
        url = f"/v1/monitoring/alerts/{task['alert_id']}/disposal"
        bare = await town.post(url, json={"evidence": "已电话联系户主，情况属实"})
        assert (bare.status_code, bare.json()["reason"]) == (409, "disposition_required")
        done = await town.post(url, json={"disposition": "deliver", "evidence": "入户核实后已协助申请临时救助"})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "closed"


async def test_a_spot_check_draw_is_reproducible_from_its_seed(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    """双随机: the county's 特困 cases (from eligibility's topic) drawn twice with the same seed
    give the same cases and inspectors, each draw recorded with its seed."""
    key = person_ref_key_from_config(cluster.env["MONITORING_PERSON_REF_KEY"])
    cases = []
    for n in range(5):
        body17 = f"5201231940010100{n}"
        payee = person_ref(ResidentId(body17 + resident_id_check_digit(body17)), key)
        cases.append(approved(uuid.uuid4(), payee, CaseCategory.TEKUN, region="520123"))
    for case in cases:
        await publish(cluster, "eligibility.events", case)
    approver = await create_staff(admin, "spot-county", ["county_approver"], "520123")
    request = {"region_code": "520123", "category": "tekun", "inspectors": ["检查员甲", "检查员乙"], "seed": 4242}

    async with cluster.client(**approver) as county:

        async def all_cases_in() -> bool:
            draw = await county.post("/v1/monitoring/spot-checks", json={**request, "share_percent": 100})
            return draw.status_code == 201 and draw.json()["population"] == len(cases)

        await until(all_cases_in, "the county's 特困 cases in the register")
        first = await county.post("/v1/monitoring/spot-checks", json=request)
        again = await county.post("/v1/monitoring/spot-checks", json=request)
        assert first.status_code == again.status_code == 201, first.text
        assert first.json()["draw_id"] != again.json()["draw_id"]
        assert first.json()["seed"] == again.json()["seed"] == 4242
        assert first.json()["drawn"] == again.json()["drawn"]
        assert len(first.json()["drawn"]) == 2  # 30% of 5, rounded up
        assert {case_id for case_id, _ in first.json()["drawn"]} <= {str(c.data.case_id) for c in cases}
        recorded = await county.get(f"/v1/monitoring/spot-checks/{first.json()['draw_id']}")
        assert recorded.json()["drawn"] == first.json()["drawn"]
