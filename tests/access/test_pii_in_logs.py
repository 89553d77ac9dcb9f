"""Resident IDs and phone numbers sent to a service — in bodies, query strings, headers and paths,
in valid requests, invalid ones and ones that fail — never reach the logs (configured the way the
services configure them) nor an error response in full. Masked forms may appear."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from eligibility.applications import service as eligibility_service
from jiuzhu_platform.logging import configure_logging
from jiuzhu_platform.testing import ServiceHarness, TestIssuer
from shared.types import ResidentId
from tests.access.support import (
    BAD_CHECK_DIGIT_ID,
    COUNTY,
    PHONE,
    PHONE_MASKED,
    RESIDENT_ID,
    RESIDENT_ID_MASKED,
    OpenHarness,
    caller,
    cell_text,
    every_cell,
)

SECRETS = (RESIDENT_ID, RESIDENT_ID.lower(), RESIDENT_ID[:17], BAD_CHECK_DIGIT_ID, PHONE)
"""The full values (and the 17-digit body of the ID) that must never appear."""

NOISY_HEADERS = {
    "User-Agent": f"caseworker-app/1.0 ({RESIDENT_ID})",
    "X-Contact-Phone": PHONE,
    "Referer": f"/x?rid={RESIDENT_ID}",
}
NOISY_QUERY = {"rid": RESIDENT_ID, "phone": PHONE, "note": f"call {PHONE}"}


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@dataclass
class Sent:
    label: str
    response: httpx.Response


@pytest.fixture
def log_stream(restore_logging: None) -> io.StringIO:
    """The root logger as the services configure it (JSON lines, redaction filter), at DEBUG so
    every record any library emits is seen, writing into a StringIO."""
    stream = io.StringIO()
    configure_logging("access-test", "DEBUG", stream=stream)
    return stream


@pytest.fixture
async def services(open_harness: OpenHarness) -> dict[str, ServiceHarness]:
    return {name: await open_harness(name) for name in ("eligibility", "verification", "payment", "monitoring")}


def application(resident_id: str = RESIDENT_ID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assistance_type": "dibao",
        "region_code": COUNTY,
        "member_count": 2,
        "applicant": {"name": "张三", "resident_id": resident_id},
    }
    body.update(overrides)
    return body


def consent(resident_id: str = RESIDENT_ID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "household_id": str(uuid.uuid4()),
        "region_code": COUNTY,
        "subject_name": "李四",
        "subject_resident_id": resident_id,
        "purpose": "低保申请核对",
        "signed_on": "2026-01-05",
    }
    body.update(overrides)
    return body


async def send_everything(services: dict[str, ServiceHarness], issuer: TestIssuer) -> list[Sent]:
    """Requests carrying the values everywhere a caller can put them."""
    e, v, p, m = (services[n] for n in ("eligibility", "verification", "payment", "monitoring"))
    approver = caller("county_approver").headers(issuer)
    sent: list[Sent] = []

    async def go(label: str, h: ServiceHarness, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**NOISY_HEADERS, **kwargs.pop("headers", {})}
        response = await h.client.request(
            method, path, params=kwargs.pop("params", NOISY_QUERY), headers=headers, **kwargs
        )
        sent.append(Sent(label, response))
        return response

    # valid requests
    created = await go("valid application", e, "POST", "/v1/eligibility/applications", json=application())
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    await go("valid search", e, "POST", "/v1/eligibility/applications/search", json={"resident_id": RESIDENT_ID})
    full = await go(
        "full-value read",
        e,
        "GET",
        f"/v1/eligibility/applications/{application_id}/personal-data",
        params={**NOISY_QUERY, "purpose": "home_visit"},
        headers=approver,
    )
    assert full.status_code == 200, full.text
    refused_note = await go(
        "purpose note with a phone",
        e,
        "GET",
        f"/v1/eligibility/applications/{application_id}/personal-data",
        params={**NOISY_QUERY, "purpose": "home_visit", "purpose_note": f"入户核查 {PHONE}"},
        headers=approver,
    )
    assert refused_note.status_code == 422, refused_note.text
    consent_created = await go("valid consent", v, "POST", "/v1/verification/consents", json=consent())
    assert consent_created.status_code == 201, consent_created.text
    await go("valid read", v, "GET", f"/v1/verification/consents/{consent_created.json()['id']}")
    await go("valid list", m, "GET", "/v1/monitoring/households")

    # invalid requests (422)
    await go("bad check digit", e, "POST", "/v1/eligibility/applications", json=application(BAD_CHECK_DIGIT_ID))
    await go("phone as resident id", e, "POST", "/v1/eligibility/applications", json=application(PHONE))
    await go("extra phone field", e, "POST", "/v1/eligibility/applications", json={**application(), "phone": PHONE})
    await go("phone as member count", e, "POST", "/v1/eligibility/applications", json=application(member_count=PHONE))
    await go("id as region", e, "POST", "/v1/eligibility/applications", json=application(region_code=RESIDENT_ID))
    await go("id as town", e, "POST", "/v1/eligibility/applications", json=application(town_code=RESIDENT_ID))
    await go(
        "search bad digit", e, "POST", "/v1/eligibility/applications/search", json={"resident_id": BAD_CHECK_DIGIT_ID}
    )
    await go("search phone", e, "POST", "/v1/eligibility/applications/search", json={"resident_id": PHONE})
    await go(
        "not json",
        e,
        "POST",
        "/v1/eligibility/applications",
        content=f"rid={RESIDENT_ID}&phone={PHONE}".encode(),
        headers={"Content-Type": "application/json"},
    )
    await go("consent bad digit", v, "POST", "/v1/verification/consents", json=consent(BAD_CHECK_DIGIT_ID))
    await go("consent id as household", v, "POST", "/v1/verification/consents", json=consent(household_id=RESIDENT_ID))
    await go("id in a uuid path", e, "GET", f"/v1/eligibility/applications/{RESIDENT_ID}")
    await go("phone in a uuid path", v, "GET", f"/v1/verification/consents/{PHONE}")
    await go("id as deadline start", e, "GET", "/v1/eligibility/deadlines", params={"step": "x", "start": RESIDENT_ID})
    await go("id as period", p, "POST", "/v1/payment/payroll-runs", json={"period": RESIDENT_ID, "county_code": COUNTY})
    await go("phone as region filter", m, "GET", "/v1/monitoring/households", params={"region_code": PHONE})
    await go(
        "purpose missing", e, "GET", f"/v1/eligibility/applications/{application_id}/personal-data", headers=approver
    )

    # paths no route matches, refusals
    await go("unmatched path", e, "GET", f"/v1/eligibility/people/{RESIDENT_ID}/phone/{PHONE}")
    await go("wrong method", e, "DELETE", f"/v1/eligibility/applications/{application_id}")
    async with e.anonymous_client() as anonymous:
        response = await anonymous.post(
            "/v1/eligibility/applications/search",
            json={"resident_id": RESIDENT_ID},
            params=NOISY_QUERY,
            headers=NOISY_HEADERS,
        )
        sent.append(Sent("no token", response))
        response = await anonymous.get(
            "/v1/eligibility/policies", params=NOISY_QUERY, headers={"Authorization": f"Bearer {RESIDENT_ID}.{PHONE}.x"}
        )
        sent.append(Sent("garbage token", response))
    response = await e.client.post(
        "/v1/eligibility/applications/search",
        json={"resident_id": RESIDENT_ID},
        headers=caller("payment_officer").headers(issuer),
    )
    sent.append(Sent("scope refusal", response))
    return sent


class TestNoFullValuesInLogsOrErrors:
    async def test_requests_of_every_kind(
        self, services: dict[str, ServiceHarness], issuer: TestIssuer, log_stream: io.StringIO
    ) -> None:
        sent = await send_everything(services, issuer)

        output = log_stream.getvalue()
        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        access_lines = [line for line in lines if line.get("logger") == "jiuzhu.access"]
        assert len(access_lines) >= len(sent)  # the capture works: one access line per request
        assert leaks(output) == []
        statuses = {s.label: s.response.status_code for s in sent}
        assert statuses["bad check digit"] == statuses["id in a uuid path"] == 422
        assert statuses["no token"] == 401
        assert statuses["scope refusal"] == 403
        assert statuses["unmatched path"] == 404
        error_leaks = {s.label: leaks(s.response.text) for s in sent if s.response.status_code >= 400}
        assert {label: found for label, found in error_leaks.items() if found} == {}
        assert len(error_leaks) >= 20

    async def test_an_unexpected_error_carrying_the_values_is_logged_masked(
        self,
        services: dict[str, ServiceHarness],
        issuer: TestIssuer,
        log_stream: io.StringIO,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        async def failing_lookup(_session: Any, _scope: Any, resident_id: ResidentId) -> Any:
            raise RuntimeError(f"lookup failed for {resident_id.value}, call {PHONE}")

        monkeypatch.setattr(eligibility_service, "applications_of_applicant", failing_lookup)
        h = services["eligibility"]

        response = await h.client.post(
            "/v1/eligibility/applications/search",
            json={"resident_id": RESIDENT_ID},
            params=NOISY_QUERY,
            headers={**NOISY_HEADERS, "X-Request-ID": "boom-1"},
        )

        assert response.status_code == 500
        assert response.json() == {
            "error": "InternalError",
            "reason": "internal_error",
            "detail": "internal error",
            "message_zh": "系统内部错误",
            "correlation_id": "boom-1",
        }
        output = log_stream.getvalue()
        assert leaks(output) == []
        records = [json.loads(line) for line in output.splitlines() if "boom-1" in line]
        error = next(r for r in records if r.get("level") == "ERROR")
        assert "RuntimeError" in json.dumps(error, ensure_ascii=False)
        # the traceback is there, masked
        assert RESIDENT_ID_MASKED in json.dumps(error, ensure_ascii=False)
        assert PHONE_MASKED in json.dumps(error, ensure_ascii=False)


async def test_an_unknown_policy_version_is_not_echoed(
    services: dict[str, ServiceHarness], log_stream: io.StringIO
) -> None:
    response = await services["eligibility"].client.get(f"/v1/eligibility/policies/{RESIDENT_ID}-{PHONE}")

    assert response.status_code == 422  # not a version name: refused without echoing it
    assert leaks(log_stream.getvalue()) == []
    assert leaks(response.text) == []


async def test_a_resident_id_as_request_id_is_not_kept(
    services: dict[str, ServiceHarness], issuer: TestIssuer, log_stream: io.StringIO
) -> None:
    h = services["eligibility"]

    created = await h.client.post(
        "/v1/eligibility/applications", json=application(), headers={"X-Request-ID": RESIDENT_ID}
    )
    refused = await h.client.get(
        "/v1/eligibility/policies", headers={**caller("payment_officer").headers(issuer), "X-Request-ID": RESIDENT_ID}
    )

    assert created.status_code == 201
    assert refused.status_code == 403
    assert "jiuzhu.access" in log_stream.getvalue()  # the capture did record the requests
    assert leaks(log_stream.getvalue()) == []
    for response in (created, refused):
        assert leaks(response.text) == []
        assert RESIDENT_ID not in response.headers["x-request-id"]  # a fresh id was made instead
    stored = [f"{table}.{column}" for table, column, value in every_cell(h) if leaks(cell_text(value))]
    assert stored == []
