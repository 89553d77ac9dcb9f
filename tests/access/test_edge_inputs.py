"""Hostile input at the services' edge: query parameters out of any sane range (integers past
64 bits, dates with absurd offsets, control characters) are a 4xx in the common error shape,
never a 500; a path with a wrong trailing slash is a 404, never a redirect (a redirect would
name the service's internal host); `/metrics` is served only as the settings allow."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from gateway.main import create_app
from gateway.testing import AnonymousAuthenticator, migrated_sqlite, settings_for_tests
from jiuzhu_platform.testing import ServiceHarness, TestIssuer, service_harness
from tests.access.support import BY_NAME, SERVICE_NAMES, OpenHarness, assert_error_shape, caller

HUGE = str(2**70)
NEGATIVE_HUGE = str(-(2**70))

BAD_AUDIT_QUERIES = [
    pytest.param({"after_seq": HUGE}, id="after_seq-past-64-bits"),
    pytest.param({"limit": HUGE}, id="limit-past-64-bits"),
    pytest.param({"since": "9999-12-31T23:59:59-23:59"}, id="since-extreme-offset"),
    pytest.param({"until": "0001-01-01T00:00:00+23:59"}, id="until-extreme-offset"),
    pytest.param({"since": "1900-01-01T00:00:00Z"}, id="since-before-2000"),
    pytest.param({"until": "2500-01-01T00:00:00Z"}, id="until-after-2100"),
    pytest.param({"actor": "a\x00b"}, id="actor-with-nul"),
    pytest.param({"kind": "x\x1fy"}, id="kind-with-control-character"),
]


def assert_refused(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert_error_shape(response, response.status_code)


@pytest.mark.parametrize("service", SERVICE_NAMES)
@pytest.mark.parametrize("params", BAD_AUDIT_QUERIES)
async def test_bad_audit_queries_are_4xx(
    harnesses: dict[str, ServiceHarness], issuer: TestIssuer, service: str, params: dict[str, str]
) -> None:
    h = harnesses[service]
    response = await h.client.get(f"/v1/{service}/audit", params=params, headers=caller("auditor").headers(issuer))
    assert_refused(response)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("service", "path", "who"),
    [
        ("monitoring", "/v1/monitoring/households", "city_admin"),
        ("payment", "/v1/payment/payroll-runs", "payment_officer"),
        ("verification", "/v1/verification/checks", "county_approver"),
    ],
)
@pytest.mark.parametrize("params", [{"offset": HUGE}, {"offset": NEGATIVE_HUGE}, {"limit": HUGE}])
async def test_huge_paging_numbers_are_4xx(
    harnesses: dict[str, ServiceHarness],
    issuer: TestIssuer,
    service: str,
    path: str,
    who: str,
    params: dict[str, str],
) -> None:
    response = await harnesses[service].client.get(path, params=params, headers=caller(who).headers(issuer))
    assert_refused(response)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("service", "collection"),
    [("eligibility", "/v1/eligibility/applications"), ("verification", "/v1/verification/consents")],
)
@pytest.mark.parametrize("purpose", ["入户\x00核查", "入户核查\n伪造的日志行", "\x7f\x7f\x7f"])
async def test_a_purpose_with_control_characters_is_422(
    harnesses: dict[str, ServiceHarness], issuer: TestIssuer, service: str, collection: str, purpose: str
) -> None:
    response = await harnesses[service].client.get(
        f"{collection}/{uuid.uuid4()}/personal-data",
        params={"purpose": purpose},
        headers=caller("county_approver").headers(issuer),
    )
    body = assert_error_shape(response, 422)
    assert any(error["loc"][-1] == "purpose" for error in body["detail"]), body


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_a_wrong_trailing_slash_is_404_not_a_redirect(
    harnesses: dict[str, ServiceHarness], issuer: TestIssuer, service: str
) -> None:
    h = harnesses[service]
    response = await h.client.get(f"/v1/{service}/audit/", headers=caller("auditor").headers(issuer))
    assert "location" not in response.headers
    assert_error_shape(response, 404, "not_found")
    assert (await h.client.get("/healthz/")).status_code == 404


# --------------------------------------------------------------------------- /metrics


async def test_metrics_are_open_in_test_without_a_token(harnesses: dict[str, ServiceHarness]) -> None:
    h = harnesses["payment"]
    async with h.anonymous_client() as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 200
        assert (await anonymous.get("/readyz")).status_code == 200
        assert (await anonymous.get("/healthz")).status_code == 200


async def test_metrics_need_the_token_when_one_is_set(tmp_path: Path, issuer: TestIssuer) -> None:
    harness = service_harness(BY_NAME["payment"], tmp_path, issuer=issuer, metrics_token="scrape-me-0123")
    async with harness as h, h.anonymous_client() as anonymous:
        missing = await anonymous.get("/metrics")
        wrong = await anonymous.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await anonymous.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123"})
        probes = [(await anonymous.get(path)).status_code for path in ("/healthz", "/readyz")]
    assert_error_shape(missing, 401)
    assert_error_shape(wrong, 401)
    assert right.status_code == 200
    assert "# TYPE" in right.text
    assert probes == [200, 200]


async def test_metrics_are_hidden_in_prod_without_a_token(tmp_path: Path, issuer: TestIssuer) -> None:
    async with (
        service_harness(BY_NAME["payment"], tmp_path, issuer=issuer, env="prod") as h,
        h.anonymous_client() as anonymous,
    ):
        hidden = await anonymous.get("/metrics")
        ready = await anonymous.get("/readyz")
    assert_error_shape(hidden, 404, "not_found")
    assert ready.status_code == 200


async def test_a_wrong_trailing_slash_through_the_gateway_names_no_internal_host(
    open_harness: OpenHarness, issuer: TestIssuer, tmp_path: Path
) -> None:
    h = await open_harness("payment")
    settings = settings_for_tests(await migrated_sqlite(tmp_path), upstreams={"payment": "http://payment.embedded"})
    gateway = create_app(
        settings, transports={"payment": httpx.ASGITransport(app=h.app)}, authenticator=AnonymousAuthenticator()
    )
    async with (
        gateway.router.lifespan_context(gateway),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway.test") as client,
    ):
        headers = {**caller("payment_officer").headers(issuer), "Host": "evil.example"}
        slashed = await client.get("/v1/payment/payroll-runs/", headers=headers)
        unslashed = await client.get("/v1/payment/payroll-runs", headers=headers)
    assert "location" not in slashed.headers
    assert "embedded" not in slashed.text
    assert "evil.example" not in slashed.text
    assert_error_shape(slashed, 404, "not_found")
    assert unslashed.status_code == 200, unslashed.text
