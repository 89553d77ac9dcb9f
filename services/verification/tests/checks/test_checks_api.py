"""Checks over HTTP (SQLite and PostgreSQL), against the department simulator in-process (its
real HTTP API through an ASGI transport): a check asks every source for every authorised
member and answers the 核对报告; a member without a valid authorisation is refused by name and
nothing is stored; a department that times out leaves a partial report that a re-query
completes without asking the others again; every run is in the audit chain; an accepted
application opens a check (the consumer) that the checks job runs, ending in
`verification.check_completed`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import select

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY, ServiceHarness
from shared.events import ApplicationAccepted, ApplicationAcceptedData, CheckCompleted, parse_event
from shared.events.eligibility import AssistanceType
from shared.types import ResidentId, resident_id_check_digit
from verification.adapters.orm import audit_log
from verification.checks.adapters.fanout import FanOut, FanOutPolicy
from verification.checks.adapters.sources import RESOURCE
from verification.checks.domain.model import QueryPurpose
from verification.consumers import checks_job
from verification.departments.connectors import build_connectors, simulator_urls
from verification.departments.domain.model import Source
from verification.departments.simulator import create_simulator_app

CONSENTS = "/v1/verification/consents"
CHECKS = "/v1/verification/checks"
COUNTY = "520102"
KEY = person_ref_key_from_config(TEST_PERSON_REF_KEY)


def resident(body17: str) -> str:
    return body17 + resident_id_check_digit(body17)


ADULT = resident("52010219800101301")
SPOUSE = resident("52010219820202302")


@pytest.fixture
def h(tier_h: ServiceHarness) -> ServiceHarness:
    """Every test here on SQLite and on PostgreSQL."""
    return tier_h


@dataclass
class Departments:
    """The simulator behind the runtime's connectors, and a client to change its faults."""

    admin: httpx.AsyncClient

    async def configure(self, **config: Any) -> None:
        response = await self.admin.post("/_admin/config", json=config)
        assert response.status_code == 200, response.text


@pytest.fixture
async def departments(h: ServiceHarness) -> AsyncIterator[Departments]:
    simulator = create_simulator_app(seed=7)
    transport = httpx.ASGITransport(app=simulator)
    client = httpx.AsyncClient(transport=transport)
    policy = FanOutPolicy(timeout_seconds=0.3, attempts=2, backoff_initial_seconds=0.01, backoff_max_seconds=0.02)
    fanout = FanOut(build_connectors(simulator_urls("http://departments.test"), client=client), policy)
    h.runtime.resources[RESOURCE] = fanout
    async with httpx.AsyncClient(transport=transport, base_url="http://departments.test") as admin:
        yield Departments(admin)
    await fanout.aclose()
    await client.aclose()


async def authorise(h: ServiceHarness, household_id: str, *people: str) -> list[str]:
    ids = []
    for number in people:
        response = await h.client.post(
            CONSENTS,
            json={
                "household_id": household_id,
                "region_code": COUNTY,
                "subject_name": "王芳",
                "subject_resident_id": number,
                "purpose": "低保申请核对",
                "signed_on": "2026-11-20",
            },
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def check_body(household_id: str, *members: str, **extra: Any) -> dict[str, Any]:
    return {"household_id": household_id, "region_code": COUNTY, "purpose": "review", "members": list(members), **extra}


async def test_a_check_asks_every_source_for_every_member_and_answers_the_report(
    h: ServiceHarness, departments: Departments
) -> None:
    household_id = str(uuid4())
    consent_ids = await authorise(h, household_id, ADULT, SPOUSE)

    response = await h.client.post(
        CHECKS, json=check_body(household_id, ADULT, SPOUSE, declared={"monthly_income": "0.00", "vehicles": 0})
    )

    assert response.status_code == 201, response.text
    report = response.json()
    assert report["status"] == "complete"
    assert [m["consent_id"] for m in report["members"]] == consent_ids
    assert all(len(m["sources"]) == len(Source) for m in report["members"])
    assert all(s["status"] == "answered" and s["answered_at"] for m in report["members"] for s in m["sources"])
    assert report["summary"]["departments_missing"] == []
    assert ADULT not in response.text
    assert SPOUSE not in response.text
    again = await h.client.get(f"{CHECKS}/{report['check_id']}")
    assert again.json() == report
    html = await h.client.get(f"{CHECKS}/{report['check_id']}/report.html")
    assert html.status_code == 200
    assert "居民家庭经济状况核对报告" in html.text
    assert report["members"][0]["masked_id"] in html.text
    assert ADULT not in html.text
    async with h.runtime.database.read() as session:
        entries = (await session.execute(select(audit_log).where(audit_log.c.kind == "department_query"))).mappings()
        [entry] = list(entries)
    assert (entry["target_id"], entry["purpose"], entry["outcome"]) == (report["check_id"], "review", "complete")


async def test_a_member_without_authorisation_is_named_and_nothing_is_asked(
    h: ServiceHarness, departments: Departments
) -> None:
    household_id = str(uuid4())
    await authorise(h, household_id, ADULT)

    response = await h.client.post(CHECKS, json=check_body(household_id, ADULT, SPOUSE))

    assert response.status_code == 409
    assert response.json()["reason"] == "authorisation_missing"
    assert ResidentId(SPOUSE).masked() in response.json()["detail"]
    assert ResidentId(ADULT).masked() not in response.json()["detail"]
    assert (await h.client.get(CHECKS)).json()["total"] == 0


async def test_a_revoked_authorisation_no_longer_counts(h: ServiceHarness, departments: Departments) -> None:
    household_id = str(uuid4())
    [consent_id] = await authorise(h, household_id, ADULT)
    revoked = await h.client.post(f"{CONSENTS}/{consent_id}/revoke", json={"reason": "withdrawn"})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_reason"] == "withdrawn"
    twice = await h.client.post(f"{CONSENTS}/{consent_id}/revoke", json={"reason": "withdrawn"})
    assert (twice.status_code, twice.json()["reason"]) == (409, "consent_already_revoked")

    response = await h.client.post(CHECKS, json=check_body(household_id, ADULT))

    assert (response.status_code, response.json()["reason"]) == (409, "authorisation_missing")


async def test_a_department_that_times_out_leaves_a_partial_report_a_requery_completes(
    h: ServiceHarness, departments: Departments
) -> None:
    household_id = str(uuid4())
    await authorise(h, household_id, ADULT)
    await departments.configure(hang_sources=["real_estate"], hang_seconds=5)

    partial = await h.client.post(CHECKS, json=check_body(household_id, ADULT))

    assert partial.status_code == 201, partial.text
    report = partial.json()
    assert report["status"] == "partial"
    assert report["summary"]["departments_missing"] == ["natural_resources"]
    by_source = {s["source"]: s for s in report["members"][0]["sources"]}
    assert (by_source["real_estate"]["status"], by_source["real_estate"]["reason"]) == ("unavailable", "timeout")
    answered_before = {k: v["answered_at"] for k, v in by_source.items() if k != "real_estate"}

    await departments.configure(hang_sources=[])
    completed = await h.client.post(f"{CHECKS}/{report['check_id']}/requery")

    assert completed.status_code == 200, completed.text
    after = completed.json()
    assert (after["status"], after["rounds"]) == ("complete", 2)
    by_source = {s["source"]: s for s in after["members"][0]["sources"]}
    assert by_source["real_estate"]["status"] == "answered"
    # the others were not asked again: their answers are the first round's
    assert {k: v["answered_at"] for k, v in by_source.items() if k != "real_estate"} == answered_before
    nothing = await h.client.post(f"{CHECKS}/{report['check_id']}/requery")
    assert (nothing.status_code, nothing.json()["reason"]) == (409, "nothing_to_requery")
    events = [parse_event(r["payload"]) for r in await h.outbox_rows() if "check_completed" in r["event_type"]]
    assert [type(e) for e in events] == [CheckCompleted, CheckCompleted]
    assert [e.data.departments_missing for e in events if isinstance(e, CheckCompleted)] == [
        ("natural_resources",),
        (),
    ]


async def test_checks_are_kept_within_the_callers_area(h: ServiceHarness, departments: Departments) -> None:
    household_id = str(uuid4())
    await authorise(h, household_id, ADULT)
    report = (await h.client.post(CHECKS, json=check_body(household_id, ADULT))).json()
    other = h.issuer.headers(roles=("town_caseworker",), region="520103")

    read = await h.client.get(f"{CHECKS}/{report['check_id']}", headers=other)
    listed = await h.client.get(CHECKS, headers=other)
    ran = await h.client.post(CHECKS, json=check_body(household_id, ADULT), headers=other)

    assert (read.status_code, read.json()["reason"]) == (403, "region_not_allowed")
    assert listed.json()["total"] == 0
    assert (ran.status_code, ran.json()["reason"]) == (403, "region_not_allowed")


def accepted(household_id: UUID, *members: str) -> ApplicationAccepted:
    return ApplicationAccepted.create(
        ApplicationAcceptedData(
            application_id=uuid4(),
            household_id=household_id,
            assistance_type=AssistanceType.DIBAO,
            region_code=COUNTY,
            accepted_on=date(2026, 12, 1),
            members=tuple(person_ref(ResidentId(m), KEY) for m in members),
        ),
        subject=str(household_id),
        correlation_id="accepted-1",
        now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    )


async def deliver(h: ServiceHarness, event: ApplicationAccepted) -> str:
    topic = "eligibility.events"
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    (consumer,) = [c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("checks")]
    return await consumer.process(h.bus.messages(topic)[-1])


async def test_an_accepted_application_is_checked_by_the_worker_once(
    h: ServiceHarness, departments: Departments
) -> None:
    household_id = uuid4()
    await authorise(h, str(household_id), ADULT, SPOUSE)
    event = accepted(household_id, ADULT, SPOUSE)

    await deliver(h, event)
    await deliver(h, event)  # delivered twice: one check
    ran = await checks_job(h.runtime).run()

    assert ran == 1
    listed = (await h.client.get(CHECKS, params={"household_id": str(household_id)})).json()
    assert listed["total"] == 1
    assert listed["items"][0]["application_id"] == str(event.data.application_id)
    assert listed["items"][0]["status"] == "complete"
    [row] = [r for r in await h.outbox_rows() if "check_completed" in r["event_type"]]
    completed = parse_event(row["payload"])
    assert isinstance(completed, CheckCompleted)
    assert completed.data.application_id == event.data.application_id
    assert ADULT.encode() not in row["payload"]
    assert await checks_job(h.runtime).run() == 0  # nothing left to run


async def test_an_accepted_application_without_authorisations_waits_then_starts(
    h: ServiceHarness, departments: Departments
) -> None:
    household_id = uuid4()
    await deliver(h, accepted(household_id, ADULT))
    [item] = (await h.client.get(CHECKS, params={"household_id": str(household_id)})).json()["items"]
    assert item["status"] == "awaiting_authorisation"
    assert await checks_job(h.runtime).run() == 0

    refused = await h.client.post(f"{CHECKS}/{item['check_id']}/requery")
    assert (refused.status_code, refused.json()["reason"]) == (409, "authorisation_missing")
    await authorise(h, str(household_id), ADULT)
    started = await h.client.post(f"{CHECKS}/{item['check_id']}/requery")

    assert started.status_code == 200, started.text
    assert started.json()["status"] == "complete"


async def test_the_checks_job_leaves_a_check_its_request_is_running(
    h: ServiceHarness, departments: Departments
) -> None:
    """A check a request opened is held for that request: the worker's job, polling meanwhile,
    does not take it (it did, and the request answered `running` instead of the report)."""
    from verification.checks import service as checks_service
    from verification.checks.domain import rules as check_rules

    household_id = uuid4()
    await authorise(h, str(household_id), ADULT)
    deps = checks_service.CheckDeps(now=h.runtime.now)
    command = checks_service.OpenCheck(
        household_id=household_id,
        application_id=None,
        purpose=QueryPurpose.REVIEW,
        region_code=COUNTY,
        town_code=None,
        members=[check_rules.Person(person_ref(ResidentId(ADULT), KEY).ref, ResidentId(ADULT).masked())],
    )
    async with h.runtime.database.transaction() as session:
        check = await checks_service.open_check(session, command, deps, hold=True)

    assert await checks_job(h.runtime).run() == 0
    ran = await checks_service.run_check(
        h.runtime.database, h.runtime.resources[RESOURCE], check.check_id, deps, held=True
    )
    assert ran is not None
    assert ran.status.value == "complete"
