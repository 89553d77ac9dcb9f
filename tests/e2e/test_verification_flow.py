"""The checking centre across real processes (PostgreSQL, Kafka, the department simulator as its
own process, everything through the gateway over HTTP):

- an application accepted by the town (eligibility publishes `application_accepted` on Kafka)
  is checked by verification's worker against the twelve simulated departments, and the
  `check_completed` it publishes reaches the application's procedure in eligibility;
- a department that hangs yields a partial report; once it is healthy, a re-query completes the
  report without asking the others again;
- a member without an authorisation is refused by name.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest

from gateway.testing import DepartmentKey
from tests.e2e.cluster import Cluster, create_staff, resident, until

pytestmark = pytest.mark.e2e

APPLICATIONS = "/v1/eligibility/applications"
CHECKS = "/v1/verification/checks"


async def consent(client: httpx.AsyncClient, household_id: str, number: str) -> None:
    response = await client.post(
        "/v1/verification/consents",
        json={
            "household_id": household_id,
            "region_code": "520102",
            "subject_name": "核对",
            "subject_resident_id": number,
            "purpose": "低保申请核对",
            "signed_on": date.today().isoformat(),
        },
    )
    assert response.status_code == 201, response.text


async def test_an_accepted_application_is_checked_and_the_report_reaches_eligibility(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    town = "520102001000"
    caseworker = await create_staff(admin, "verify-li", ["town_caseworker"], town)
    applicant = resident("52010219700707077")
    async with cluster.client(**caseworker) as client:
        created = await client.post(
            APPLICATIONS,
            json={
                "assistance_type": "dibao",
                "region_code": "520102",
                "town_code": town,
                "member_count": 1,
                "applicant": {"name": "核对", "resident_id": applicant},
            },
        )
        assert created.status_code == 201, created.text
        app_id, household_id = created.json()["id"], created.json()["household_id"]
        await consent(client, household_id, applicant)
        accepted = await client.post(f"{APPLICATIONS}/{app_id}/accept", json={})
        assert accepted.status_code == 200, accepted.text

        async def report_received() -> dict[str, Any] | None:
            case = (await client.get(f"{APPLICATIONS}/{app_id}/procedure")).json()
            return dict(case) if case["verification_received"] else None

        await until(report_received, "the verification report in eligibility")
        [item] = (await client.get(CHECKS, params={"household_id": household_id})).json()["items"]
        assert (item["application_id"], item["status"]) == (app_id, "complete")
        report = (await client.get(f"{CHECKS}/{item['check_id']}")).json()
        assert len(report["members"][0]["sources"]) == 12
        assert applicant not in str(report)
    for name in ("verification-api", "verification-worker", "departments"):
        assert applicant not in cluster.log_text(name), name


async def test_a_hanging_department_gives_a_partial_report_that_a_requery_completes(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    caseworker = await create_staff(admin, "verify-wang", ["town_caseworker"], "520102001000")
    person = resident("52010219710808088")
    household_id = "5e1f0000-0000-4000-8000-00000000e2e1"
    async with (
        cluster.client(**caseworker) as client,
        httpx.AsyncClient(base_url=cluster.departments_url, timeout=30) as sim,
    ):
        await consent(client, household_id, person)
        # the hang outlasts the cluster's query timeout (VERIFICATION_QUERY_TIMEOUT_SECONDS) by far
        hang = {"hang_sources": ["tax"], "hang_seconds": 15}
        assert (await sim.post("/_admin/config", json=hang)).status_code == 200
        try:
            partial = await client.post(
                CHECKS,
                json={"household_id": household_id, "region_code": "520102", "purpose": "review", "members": [person]},
            )
        finally:
            assert (await sim.post("/_admin/config", json={"hang_sources": []})).status_code == 200
        assert partial.status_code == 201, partial.text
        assert partial.json()["status"] == "partial"
        assert partial.json()["summary"]["departments_missing"] == ["tax"]

        completed = await client.post(f"{CHECKS}/{partial.json()['check_id']}/requery")

        assert completed.status_code == 200, completed.text
        assert (completed.json()["status"], completed.json()["rounds"]) == ("complete", 2)

        stranger = resident("52010219720909099")
        refused = await client.post(
            CHECKS,
            json={"household_id": household_id, "region_code": "520102", "purpose": "review", "members": [stranger]},
        )
        assert (refused.status_code, refused.json()["reason"]) == (409, "authorisation_missing")


async def test_a_signed_death_notice_becomes_an_event_eligibility_consumes(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    key = DepartmentKey()
    created = await admin.post(
        "/v1/auth/clients",
        json={
            "name": "市公安局",
            "kind": "department",
            "scopes": ["verification:notices:push"],
            "signing_public_key": key.public_text,
        },
    )
    assert created.status_code == 201, created.text
    async with cluster.client() as client:
        token = await client.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials"},
            auth=(created.json()["client_id"], created.json()["client_secret"]),
        )
        department = {"Authorization": f"Bearer {token.json()['access_token']}", "Content-Type": "application/json"}
        person = resident("52010219400404044")
        notice = {
            "header": {"message_id": "gaj-2026-000001", "sent_at": "2026-12-04T08:00:00+08:00"},
            "message": {
                "kind": "death",
                "department": "public_security",
                "resident_id": person,
                "name": "逝者",
                "occurred_on": date.today().isoformat(),
                "reference": "SW-520102-000001",
            },
        }
        body = json.dumps(notice, ensure_ascii=False).encode()
        path = "/v1/verification/notices"
        correlation = {"X-Request-ID": "e2e-death-notice"}

        forged = await client.post(
            path, content=body, headers=department | key.sign_headers("POST", path, body.replace(b"death", b"xxxxx"))
        )
        assert forged.status_code == 401, forged.text
        signed = key.sign_headers("POST", path, body)
        accepted = await client.post(path, content=body, headers=department | signed | correlation)
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["status"] == "accepted"
        replayed = await client.post(path, content=body, headers=department | signed)
        assert (replayed.status_code, replayed.json()["reason"]) == (401, "signature_replayed")
        again = await client.post(path, content=body, headers=department | key.sign_headers("POST", path, body))
        assert (again.status_code, again.json()["status"]) == (200, "duplicate")
        assert again.json()["notice_id"] == accepted.json()["notice_id"]

    async def consumed() -> bool:
        return any(line.get("correlation_id") == "e2e-death-notice" for line in cluster.log("eligibility-worker"))

    await until(consumed, "eligibility's worker consuming the death notice")
    for name in ("verification-api", "verification-worker", "eligibility-worker", "gateway"):
        assert person not in cluster.log_text(name), name
