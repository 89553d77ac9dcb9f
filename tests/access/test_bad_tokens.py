"""Tokens a service must refuse when called directly (bypassing the gateway): each is a 401 in
the common error shape with a stable reason, never a 500, and each refusal is on the service's
audit trail, whose chain still verifies."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from jiuzhu_platform.testing import ServiceHarness, TestIssuer
from tests.access.support import SERVICE_NAMES, Operation, assert_error_shape, audit_rows, concrete_path, operations


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims(issuer: TestIssuer, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": "staff-bad-token",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "kind": "staff",
        "roles": ["auditor"],
        "scope": "",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def signed(issuer: TestIssuer, payload: dict[str, Any], **header: Any) -> str:
    """`payload` signed with the issuer's own key (valid signature, whatever the claims say)."""
    headers = {"kid": issuer.kid, "typ": "at+jwt", **header}
    return jwt.encode(payload, issuer._key, algorithm="ES256", headers={k: v for k, v in headers.items() if v})


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        (b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature) if signature else "")
    )


def hs256_with_the_public_key(issuer: TestIssuer) -> str:
    """Algorithm confusion: an HMAC "signed" with the public key the issuer publishes."""
    header = {"alg": "HS256", "kid": issuer.kid, "typ": "JWT"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims(issuer)).encode())}"
    public_key = json.dumps(issuer.jwks["keys"][0]).encode()
    signature = hmac.new(public_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def tampered(issuer: TestIssuer) -> str:
    """A valid token whose payload was edited afterwards (a citizen promoting themself)."""
    header, _, signature = issuer.token(kind="citizen", roles=["citizen"]).split(".")
    payload = b64(json.dumps(claims(issuer, roles=["auditor", "county_approver"])).encode())
    return f"{header}.{payload}.{signature}"


NOW = int(time.time())

AuthHeader = Callable[[TestIssuer], str | None]
"""The Authorization header to send (None: send none)."""

CASES: list[tuple[str, AuthHeader, str]] = [
    ("no-header", lambda i: None, "token_missing"),
    ("empty-bearer", lambda i: "Bearer ", "token_missing"),
    ("basic-scheme", lambda i: "Basic dXNlcjpwYXNzd29yZA==", "token_malformed"),
    ("not-a-jwt", lambda i: "Bearer not-a-jwt", "token_malformed"),
    ("three-garbage-parts", lambda i: "Bearer aaa.bbb.ccc", "token_malformed"),
    ("oversized", lambda i: "Bearer " + "a" * 9000, "token_malformed"),
    ("expired", lambda i: "Bearer " + i.token(iat=NOW - 7200, nbf=NOW - 7200, exp=NOW - 3600), "token_expired"),
    ("not-yet-valid", lambda i: "Bearer " + i.token(nbf=NOW + 3600, exp=NOW + 7200), "token_not_yet_valid"),
    ("issued-in-the-future", lambda i: "Bearer " + i.token(iat=NOW + 3600, exp=NOW + 7200), "token_not_yet_valid"),
    (
        "other-key-same-kid",
        lambda i: "Bearer " + TestIssuer(kid=i.kid).token(roles=["auditor"]),
        "token_bad_signature",
    ),
    ("tampered-payload", lambda i: "Bearer " + tampered(i), "token_bad_signature"),
    ("unknown-kid", lambda i: "Bearer " + TestIssuer().token(roles=["auditor"]), "token_unknown_key"),
    ("no-kid", lambda i: "Bearer " + signed(i, claims(i), kid=None), "token_unknown_key"),
    (
        "wrong-issuer",
        lambda i: "Bearer " + dataclasses.replace(i, issuer="https://evil.example").token(roles=["auditor"]),
        "token_wrong_issuer",
    ),
    (
        "wrong-audience",
        lambda i: "Bearer " + dataclasses.replace(i, audience="another-api").token(roles=["auditor"]),
        "token_wrong_audience",
    ),
    (
        "alg-none",
        lambda i: "Bearer " + unsigned({"alg": "none", "kid": i.kid, "typ": "JWT"}, claims(i)),
        "token_bad_signature",
    ),
    ("hs256-public-key", lambda i: "Bearer " + hs256_with_the_public_key(i), "token_bad_signature"),
    ("missing-kind", lambda i: "Bearer " + signed(i, claims(i, kind=None)), "token_claims_invalid"),
    ("unknown-kind", lambda i: "Bearer " + signed(i, claims(i, kind="root")), "token_claims_invalid"),
    ("missing-sub", lambda i: "Bearer " + signed(i, claims(i, sub=None)), "token_claims_invalid"),
    ("missing-exp", lambda i: "Bearer " + signed(i, claims(i, exp=None)), "token_claims_invalid"),
    ("scope-not-a-string", lambda i: "Bearer " + signed(i, claims(i, scope=["audit:read"])), "token_claims_invalid"),
    ("region-outside-guiyang", lambda i: "Bearer " + signed(i, claims(i, region="110105")), "token_claims_invalid"),
]


def protected_operation(h: ServiceHarness) -> Operation:
    """A business operation of the service (not the audit routes)."""
    return next(o for o in operations(h.app) if "/audit" not in o.path and o.requirement.scopes)


async def send(h: ServiceHarness, operation: Operation, authorization: str | None, request_id: str) -> httpx.Response:
    headers = {"X-Request-ID": request_id}
    if authorization is not None:
        headers["Authorization"] = authorization
    body: dict[str, Any] | None = {} if operation.method == "POST" else None
    async with h.anonymous_client() as client:
        return await client.request(operation.method, concrete_path(operation.path), headers=headers, json=body)


@pytest.mark.parametrize("service", SERVICE_NAMES)
@pytest.mark.parametrize(("case", "authorization", "reason"), CASES, ids=[c[0] for c in CASES])
async def test_bad_token_is_a_401_with_its_reason_and_is_audited(
    service: str,
    case: str,
    authorization: AuthHeader,
    reason: str,
    harnesses: dict[str, ServiceHarness],
    issuer: TestIssuer,
) -> None:
    h = harnesses[service]
    operation = protected_operation(h)
    request_id = f"bad-{case}-{uuid.uuid4().hex[:8]}"

    response = await send(h, operation, authorization(issuer), request_id)

    body = assert_error_shape(response, 401, reason)
    assert body["error"] == "Unauthorized"
    assert body["correlation_id"] == request_id
    (entry,) = await audit_rows(h, correlation_id=request_id)
    assert entry["kind"] == "authorization_refused"
    assert entry["outcome"] == "unauthenticated"
    assert entry["actor_kind"] == "anonymous"
    assert entry["actor"] is None  # nothing from an unverified token is believed
    assert entry["details"] == {"reason": reason}
    assert entry["route"] == operation.path  # the template, not the concrete path
    assert entry["method"] == operation.method


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_valid_token_without_the_scope_is_a_403_and_is_audited(
    service: str, harnesses: dict[str, ServiceHarness], issuer: TestIssuer
) -> None:
    h = harnesses[service]
    operation = protected_operation(h)
    request_id = f"no-scope-{uuid.uuid4().hex[:8]}"

    response = await send(h, operation, "Bearer " + issuer.token(roles=["staff_without_a_known_role"]), request_id)

    body = assert_error_shape(response, 403, "scope_missing")
    assert body["error"] == "ScopeMissing"
    for scope in operation.requirement.scopes:
        assert scope in body["detail"]
    (entry,) = await audit_rows(h, correlation_id=request_id)
    assert entry["kind"] == "authorization_refused"
    assert entry["outcome"] == "forbidden"
    assert entry["details"] == {"reason": "scope_missing"}
    assert entry["route"] == operation.path


@pytest.mark.parametrize("service", ["eligibility", "payment"])
async def test_a_scope_refusal_names_the_authenticated_actor(
    service: str, harnesses: dict[str, ServiceHarness], issuer: TestIssuer
) -> None:
    h = harnesses[service]
    operation = protected_operation(h)
    request_id = f"who-{uuid.uuid4().hex[:8]}"
    token = issuer.token(subject="staff-4711", roles=["procurement_officer"], region="520102")

    response = await send(h, operation, f"Bearer {token}", request_id)

    assert response.status_code == 403
    (entry,) = await audit_rows(h, correlation_id=request_id)
    assert (entry["actor"], entry["actor_kind"], entry["role"], entry["region_code"]) == (
        "staff-4711",
        "staff",
        "procurement_officer",
        "520102",
    )


async def test_a_region_refusal_names_the_authenticated_actor(
    harnesses: dict[str, ServiceHarness], issuer: TestIssuer
) -> None:
    """The contrast: a refusal after the principal is known does record who it was."""
    h = harnesses["payment"]
    request_id = f"region-{uuid.uuid4().hex[:8]}"
    token = issuer.token(subject="staff-0815", roles=["payment_officer"], region="520103")

    async with h.anonymous_client() as client:
        response = await client.post(
            "/v1/payment/payroll-runs",
            json={"period": "2026-03", "county_code": "520102"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
        )

    assert_error_shape(response, 403, "region_not_allowed")
    (entry,) = await audit_rows(h, correlation_id=request_id)
    assert (entry["actor"], entry["actor_kind"], entry["role"], entry["region_code"]) == (
        "staff-0815",
        "staff",
        "payment_officer",
        "520103",
    )
    assert entry["details"] == {"reason": "region_not_allowed"}
    assert entry["route"] == "/v1/payment/payroll-runs"


async def test_a_401_names_the_bearer_scheme(harnesses: dict[str, ServiceHarness], issuer: TestIssuer) -> None:
    h = harnesses["eligibility"]

    response = await send(h, protected_operation(h), None, "www-auth")

    assert response.status_code == 401
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_the_chain_verifies_after_all_the_refusals(service: str, harnesses: dict[str, ServiceHarness]) -> None:
    h = harnesses[service]
    refusals = await audit_rows(h, kind="authorization_refused")

    response = await h.client.get(f"/v1/{service}/audit/verify")

    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is True, result
    assert result["first_broken_seq"] is None
    assert len(refusals) >= len(CASES)  # the refusals of this module are on the trail
    assert result["count"] >= len(refusals)
