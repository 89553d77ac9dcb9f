"""Proactive discovery (主动发现, issue 13), through the API and the consumer on SQLite and
PostgreSQL: a worker's report becomes the town's task; the contact's details are encrypted at
rest and the reported person kept as a reference; when that person's household applies and is
accepted, the task closes as delivered, the household counts as found by monitoring (检出率),
and its chain holds the report; reports are the area's only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import text

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from monitoring.testing import COUNTY, TOWN, person
from shared.events import (
    ApplicationAccepted,
    ApplicationAcceptedData,
    ApplicationSubmitted,
    ApplicationSubmittedData,
    AssistanceType,
    Event,
    parse_event,
)
from shared.topics import ELIGIBILITY_EVENTS
from shared.types import Period, resident_id_check_digit
from shared.types.business_time import business_date

DISCOVERIES = "/v1/monitoring/discoveries"
BODY17 = "52010219700101301"
RESIDENT_ID = BODY17 + resident_id_check_digit(BODY17)
TOWN_WORKER = {"kind": "staff", "roles": ("town_caseworker",), "region": TOWN}
NOW = datetime.now(UTC)


def report(**changes: object) -> dict[str, object]:
    return {
        "region_code": COUNTY,
        "channel": "grassroots",
        "hardships": ["serious_illness", "no_income"],
        "resident_id": RESIDENT_ID,
        "contact_name": "欧阳明珠",
        "contact_phone": "138 1234 5678",
        "description": "网格走访发现：户主重病住院，家中无稳定收入",
        **changes,
    }


async def consume(h: ServiceHarness, event: Event, name: str) -> None:
    await h.bus.publish([OutgoingMessage(ELIGIBILITY_EVENTS, event.subject.encode(), event.to_json_bytes())])
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith(name))
    assert await consumer.process(h.bus.messages(ELIGIBILITY_EVENTS)[-1]) == "applied"


def submitted(household: UUID) -> ApplicationSubmitted:
    data = ApplicationSubmittedData(
        application_id=uuid4(),
        household_id=household,
        assistance_type=AssistanceType.DIBAO,
        region_code=COUNTY,
        town_code=TOWN,
        member_count=1,
        applicant_masked_id="5201**********3010",
    )
    return ApplicationSubmitted.create(data, subject=str(household), correlation_id="d", now=NOW)


def accepted(household: UUID, application_id: UUID) -> ApplicationAccepted:
    data = ApplicationAcceptedData(
        application_id=application_id,
        household_id=household,
        assistance_type=AssistanceType.DIBAO,
        region_code=COUNTY,
        town_code=TOWN,
        accepted_on=NOW.date(),
        members=(person(BODY17),),
    )
    return ApplicationAccepted.create(data, subject=str(household), correlation_id="d", now=NOW)


async def test_a_report_is_a_task_until_the_household_applies(tier_h: ServiceHarness) -> None:
    h = tier_h
    async with h.anonymous_client(**TOWN_WORKER) as worker:
        response = await worker.post(DISCOVERIES, json=report())
        assert response.status_code == 201, response.text
        made = response.json()
        assert made["town_code"] == TOWN  # a town worker's report is their town's
        assert made["masked_id"] == RESIDENT_ID[:4] + "*" * 10 + RESIDENT_ID[-4:]
        assert RESIDENT_ID not in response.text
        assert made["contact_phone"] == "13812345678"
        tasks = (await worker.get("/v1/monitoring/alerts", params={"status": "open"})).json()["items"]
        [task] = [t for t in tasks if t["alert_id"] == made["alert_id"]]
        assert task["rule"] == "discovery.reported"
        assert task["due_on"] == (business_date(NOW) + timedelta(days=7)).isoformat()
    raised = [parse_event(bytes(r["payload"])) for r in await h.outbox_rows()]
    assert [e.type for e in raised] == ["monitoring.alert_raised.v1"]

    async with h.runtime.database.read() as session:
        stored = (await session.execute(text("select contact_name, contact_phone, description from discovery"))).one()
    assert all(value.startswith("v1.") for value in stored)  # encrypted at rest
    assert not any("欧阳" in value or "13812345678" in value for value in stored)

    household = uuid4()
    application = submitted(household)
    await consume(h, application, "register")
    await consume(h, accepted(household, application.data.application_id), "warnings")

    done = (await h.client.get(f"{DISCOVERIES}/{made['discovery_id']}")).json()
    assert done["status"] == "applied"
    assert done["household_id"] == str(household)
    assert done["application_id"] == str(application.data.application_id)
    task = (await h.client.get(f"/v1/monitoring/alerts/{made['alert_id']}")).json()
    assert task["status"] == "closed"
    assert task["disposition"] == "deliver"
    assert task["household_id"] == str(household)
    entry = (await h.client.get(f"/v1/monitoring/households/{household}")).json()
    assert entry["reason"] == "discovered"
    stats = (await h.client.get("/v1/monitoring/statistics", params={"month": str(Period.containing(NOW))})).json()
    assert stats["total"]["discovery_rate"] == 1.0
    chain = (await h.client.get(f"/v1/monitoring/households/{household}/chain")).json()
    assert {s["step"] for s in chain["steps"]} == {"applied", "alert_raised", "alert_disposed"}


async def test_reports_stay_in_their_area_and_bad_input_is_a_4xx(tier_h: ServiceHarness) -> None:
    h = tier_h
    async with h.anonymous_client(**TOWN_WORKER) as worker:
        made = (await worker.post(DISCOVERIES, json=report(resident_id=None))).json()
        assert made["masked_id"] is None
        elsewhere = await worker.post(DISCOVERIES, json=report(town_code=COUNTY + "002000"))
        assert elsewhere.status_code == 403
        bad_phone = await worker.post(DISCOVERIES, json=report(contact_phone="12345"))
        assert bad_phone.status_code == 422
        assert "12345" not in bad_phone.text
        bad_id = await worker.post(DISCOVERIES, json=report(resident_id=BODY17 + "0"))
        assert bad_id.status_code == 422
        assert (await worker.post(DISCOVERIES, json=report(hardships=[]))).status_code == 422
    foreign_town = await h.client.post(DISCOVERIES, json=report(town_code="520103001000"))
    assert foreign_town.status_code == 403  # the town is not in the county
    other_town = {"kind": "staff", "roles": ("town_caseworker",), "region": COUNTY + "002000"}
    async with h.anonymous_client(**other_town) as other:
        assert (await other.get(f"{DISCOVERIES}/{made['discovery_id']}")).status_code == 403
        assert (await other.get(DISCOVERIES)).json()["total"] == 0
    assert (await h.client.get(DISCOVERIES, params={"status": "open"})).json()["total"] == 1
