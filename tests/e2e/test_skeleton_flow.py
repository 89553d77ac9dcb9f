"""The walking skeleton across real processes: every service's API and worker in its own
process on real PostgreSQL and Kafka, driven only through the gateway over HTTP.

POST /v1/eligibility/applications → eligibility outbox → relay → Kafka → monitoring's
consumer → register → GET /v1/monitoring/households/{id}, with the caller's request id in
both services' logs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from shared.types import resident_id_check_digit
from tests.e2e.cluster import FLOW_SECONDS, Cluster, create_staff

pytestmark = pytest.mark.e2e


def application(n: int = 7) -> dict[str, Any]:
    body = f"52010219700101{n:03d}"
    return {
        "assistance_type": "dibao",
        "region_code": "520102",
        "member_count": 3,
        "applicant": {"name": "端到端", "resident_id": body + resident_id_check_digit(body)},
    }


async def poll_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + FLOW_SECONDS
    while True:
        response = await client.get(url)
        if response.status_code == 200:
            return dict(response.json())
        assert response.status_code == 404, response.text
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} still 404 after {FLOW_SECONDS}s")
        await asyncio.sleep(0.2)


def correlation_ids(records: list[dict[str, Any]]) -> set[str]:
    return {r["correlation_id"] for r in records if r.get("correlation_id")}


async def test_application_reaches_the_monitoring_register(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    request_id = f"e2e-{uuid.uuid4().hex}"
    caseworker = await create_staff(admin, "skeleton-caseworker", ["town_caseworker"], "520102")
    async with cluster.client(**caseworker) as client:
        created = await client.post(
            "/v1/eligibility/applications", json=application(), headers={"X-Request-ID": request_id}
        )
        assert created.status_code == 201, created.text
        assert created.headers["x-request-id"] == request_id
        household_id = created.json()["household_id"]
        assert created.json()["applicant_masked_id"].count("*") == 10

        entry = await poll_json(client, f"/v1/monitoring/households/{household_id}")
        assert entry["household_id"] == household_id
        assert entry["assistance_types"] == ["dibao"]
        listing = (await client.get("/v1/monitoring/households", params={"region_code": "520102"})).json()
        assert household_id in {item["household_id"] for item in listing["items"]}

    assert request_id in correlation_ids(cluster.log("eligibility-api"))
    assert request_id in correlation_ids(cluster.log("monitoring-worker"))
    worker_lines = [r for r in cluster.log("monitoring-worker") if r.get("correlation_id") == request_id]
    assert any(r.get("service") == "monitoring" for r in worker_lines)
    for name in cluster.processes:  # privacy: the full resident ID never reaches a log
        assert application()["applicant"]["resident_id"] not in (cluster.directory / f"{name}.log").read_text()


async def test_every_service_persists_through_the_gateway(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    caseworker = await create_staff(admin, "persist-caseworker", ["town_caseworker"], "520103")
    payment_officer = await create_staff(admin, "persist-payment", ["payment_officer"], "520103")
    procurement_officer = await create_staff(admin, "persist-procurement", ["procurement_officer"])
    async with cluster.client() as client:
        consent = await client.post(
            "/v1/verification/consents",
            json={
                "household_id": str(uuid.uuid4()),
                "region_code": "520103",
                "subject_name": "端到端",
                "subject_resident_id": application()["applicant"]["resident_id"],
                "purpose": "低保申请核对",
                "signed_on": "2026-01-05",
            },
            headers=caseworker,
        )
        run = await client.post(
            "/v1/payment/payroll-runs", json={"period": "2026-01", "county_code": "520103"}, headers=payment_officer
        )
        provider = await client.post(
            "/v1/procurement/providers",
            json={"credit_code": "91512081MA62K0260E", "name": "示例社工中心"},
            headers=procurement_officer,
        )
        for response, path, who in (
            (consent, "/v1/verification/consents/", caseworker),
            (run, "/v1/payment/payroll-runs/", payment_officer),
            (provider, "/v1/procurement/providers/", procurement_officer),
        ):
            assert response.status_code == 201, response.text
            again = await client.get(path + response.json()["id"], headers=who)
            assert again.status_code == 200
            assert again.json() == response.json()
        bad = await client.post(
            "/v1/payment/payroll-runs", json={"period": "2026-13", "county_code": "520103"}, headers=payment_officer
        )
        assert bad.status_code == 422
        assert bad.json()["error"] == "RequestValidationError"


async def test_gateway_reports_a_dead_service_as_502(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    warm = await admin.get(f"/v1/procurement/providers/{uuid.uuid4()}")  # the gateway has read its routes
    assert warm.status_code == 404, warm.text
    cluster.stop("procurement-api")
    try:
        response = await admin.get(f"/v1/procurement/providers/{uuid.uuid4()}")
        assert response.status_code == 502
        body = response.json()
        assert body["error"] == "UpstreamUnavailable"
        assert body["correlation_id"] == response.headers["x-request-id"]
    finally:
        await cluster.restart("procurement-api", f"{cluster.service_urls['procurement']}/readyz")
