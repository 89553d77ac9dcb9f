"""One trace from the gateway to a consumer in another service, across real processes: a
caseworker's request arrives at the gateway with a W3C `traceparent`; the gateway's span, the
eligibility API's span, and the monitoring worker's span applying the `application_submitted`
event that came through the outbox and Kafka all carry its trace id (exported with OTLP by each
process to the e2e tier's receiver)."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.e2e.cluster import Cluster, create_staff, resident, until
from tests.e2e.otlp import OtlpReceiver

pytestmark = pytest.mark.e2e

SERVER, CONSUMER = 2, 5


async def test_one_trace_id_from_the_gateway_request_to_the_consumer_in_another_service(
    cluster: Cluster, admin: httpx.AsyncClient, traces: OtlpReceiver
) -> None:
    town = "520102002000"
    caseworker = await create_staff(admin, "trace-chen", ["town_caseworker"], town)
    trace_id = secrets.token_hex(16)
    async with cluster.client(**caseworker) as client:
        created = await client.post(
            "/v1/eligibility/applications",
            json={
                "assistance_type": "dibao",
                "region_code": "520102",
                "town_code": town,
                "member_count": 1,
                "applicant": {"name": "追踪", "resident_id": resident("52010219750505055")},
            },
            headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"},
        )
    assert created.status_code == 201, created.text

    async def consumed() -> list[object] | None:
        spans = traces.trace(trace_id)
        return spans if any(s.service == "monitoring" and s.kind == CONSUMER for s in spans) else None

    await until(consumed, "the monitoring worker's span in the request's trace")
    spans = traces.trace(trace_id)
    servers = {span.service for span in spans if span.kind == SERVER}
    assert {"gateway", "eligibility"} <= servers
    (consumer,) = [s for s in spans if s.service == "monitoring" and s.kind == CONSUMER]
    assert "eligibility.application_submitted" in consumer.name
    by_id = {span.span_id: span for span in spans}
    # the consumer's parent is a span of eligibility's request (the one that staged the event)
    assert by_id[consumer.parent_span_id].service == "eligibility"
