"""Enforcement on proxied routes: the gateway verifies the bearer token and the route's
requirement published in the service's OpenAPI (`requires(...)` + `publish_requirements`), and
checks department request signatures, before anything reaches the service. The upstream here
is a real FastAPI app built that way, reached through an ASGI transport; it verifies the
forwarded token again with the gateway's verifier (defence in depth)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request

from gateway.proxy import HttpxUpstream
from gateway.testing import DepartmentKey, Harness, migrated_sqlite, open_harness
from jiuzhu_platform.auth import Principal, publish_requirements, requires
from jiuzhu_platform.http_errors import register_exception_handlers

pytestmark = pytest.mark.timeout(120)

ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}


class Seen:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []


def build_upstream(seen: Seen) -> FastAPI:
    """Routes declared on the app itself: `publish_requirements` of the platform does not reach
    routes of included routers with this FastAPI version yet (see the gateway report)."""
    app = FastAPI(title="svc")
    register_exception_handlers(app)
    router = app

    @router.get("/v1/svc/applications/{application_id}")
    async def read_application(
        application_id: str, principal: Annotated[Principal, requires("eligibility:applications:read")]
    ) -> dict[str, str]:
        return {"application_id": application_id, "seen_by": principal.subject}

    @router.post("/v1/svc/applications", dependencies=[requires("eligibility:applications:write")])
    async def write_application(request: Request) -> dict[str, int]:
        body = await request.body()
        seen.requests.append(("POST", request.url.path, body))
        return {"length": len(body)}

    @router.get("/v1/svc/policies", dependencies=[requires(public=True)])
    async def policies() -> dict[str, bool]:
        return {"public": True}

    @router.post("/v1/svc/reports", dependencies=[requires("monitoring:households:read")])
    async def push_report(request: Request) -> dict[str, str]:
        body = await request.body()
        seen.requests.append(("POST", str(request.url.path), body))
        return {"sha256": hashlib.sha256(body).hexdigest()}

    @router.get("/v1/svc/reports", dependencies=[requires("monitoring:households:read")])
    async def list_reports() -> dict[str, list[str]]:
        return {"reports": []}

    publish_requirements(app)
    return app


class DownTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    return await migrated_sqlite(tmp_path)


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
async def gw(database_url: str, seen: Seen) -> AsyncIterator[Harness]:
    upstream = build_upstream(seen)
    async with open_harness(database_url, upstreams={"svc": upstream}) as harness:
        upstream.state.token_verifier = harness.runtime.token_verifier  # the service verifies again
        yield harness


def assert_error(response: httpx.Response, status: int, reason: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["message_zh"]
    if reason is not None:
        assert body["reason"] == reason, body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def forged_token(gw: Harness, **changes: Any) -> str:
    """A token signed by the gateway's real key, with some claims changed."""
    signer = await gw.identity.context.keys.signer()
    now = int(gw.clock.now.timestamp())
    claims = {
        "iss": "jiuzhu-gateway",
        "aud": "jiuzhu-api",
        "sub": "mallory",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "kind": "staff",
        "roles": ["county_approver"],
        "region": "520102",
        "scope": "",
    }
    claims.update(changes)
    return signer.sign(claims)


# --------------------------------------------------------------------------- tokens


async def test_a_valid_token_with_the_scope_is_forwarded_and_verified_again(gw: Harness) -> None:
    headers = await gw.staff_headers("cw", ("town_caseworker",), region="520102001000")
    response = await gw.client.get("/v1/svc/applications/A-1", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"application_id": "A-1", "seen_by": "cw"}


async def test_token_failures_are_401_in_the_common_shape(gw: Harness, seen: Seen) -> None:
    valid = (await gw.staff_headers("cw", ("town_caseworker",), region="520102001000"))["Authorization"].split()[1]
    other_key = ec.generate_private_key(ec.SECP256R1())
    kid = jwt.get_unverified_header(valid)["kid"]
    wrongly_signed = jwt.encode(
        jwt.decode(valid, options={"verify_signature": False}),
        other_key,
        algorithm="ES256",
        headers={"kid": kid, "typ": "at+jwt"},
    )
    unknown_kid = jwt.encode({"sub": "x"}, other_key, algorithm="ES256", headers={"kid": "nope"})
    cases = [
        ({}, "token_missing"),
        (bearer("not-a-jwt"), "token_malformed"),
        ({"Authorization": "Basic abc"}, "token_malformed"),
        (bearer(wrongly_signed), "token_bad_signature"),
        (bearer(unknown_kid), "token_unknown_key"),
        (bearer(await forged_token(gw, iss="someone-else")), "token_wrong_issuer"),
        (bearer(await forged_token(gw, aud="other-api")), "token_wrong_audience"),
        (bearer(await forged_token(gw, kind="robot")), "token_claims_invalid"),
        (bearer(jwt.encode({"sub": "x"}, "s" * 32, algorithm="HS256", headers={"kid": kid})), "token_bad_signature"),
    ]
    for headers, reason in cases:
        response = await gw.client.get("/v1/svc/applications/A-1", headers=headers)
        assert_error(response, 401, reason)
    assert seen.requests == []


async def test_an_expired_token_is_401(gw: Harness) -> None:
    headers = await gw.staff_headers("cw", ("town_caseworker",), region="520102001000")
    gw.clock.advance(seconds=300 + 30)  # TTL plus the verifier's leeway
    assert_error(await gw.client.get("/v1/svc/applications/A-1", headers=headers), 401, "token_expired")


async def test_a_revoked_token_is_401(gw: Harness) -> None:
    await gw.create_staff("cw", ("town_caseworker",), region="520102001000")
    tokens = await gw.staff_tokens("cw")
    headers = bearer(tokens["access_token"])
    assert (await gw.client.get("/v1/svc/applications/A-1", headers=headers)).status_code == 200
    logout = await gw.client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers)
    assert logout.status_code == 204
    assert_error(await gw.client.get("/v1/svc/applications/A-1", headers=headers), 401, "token_revoked")


async def test_a_missing_scope_is_403_and_never_forwarded(gw: Harness, seen: Seen) -> None:
    headers = await gw.staff_headers("buyer", ("procurement_officer",), region="520102")
    body = assert_error(
        await gw.client.post("/v1/svc/applications", json={"x": 1}, headers=headers), 403, "scope_missing"
    )
    assert "eligibility:applications:write" in body["detail"]
    assert seen.requests == []
    # A citizen before binding holds nothing but the binding capability.
    citizen = await gw.citizen_tokens("13812345678")
    assert_error(
        await gw.client.get("/v1/svc/applications/A-1", headers=bearer(citizen["access_token"])),
        403,
        "scope_missing",
    )


async def test_public_routes_need_no_token_but_a_sent_token_must_verify(gw: Harness) -> None:
    assert (await gw.client.get("/v1/svc/policies")).json() == {"public": True}
    assert_error(await gw.client.get("/v1/svc/policies", headers=bearer("garbage")), 401, "token_malformed")


async def test_an_undeclared_path_needs_a_valid_token_and_the_service_answers(gw: Harness) -> None:
    assert_error(await gw.client.get("/v1/svc/nothing/here"), 401, "token_missing")
    headers = await gw.staff_headers("aud", ("auditor",))
    assert (await gw.client.get("/v1/svc/nothing/here", headers=headers)).status_code == 404
    assert (await gw.client.delete("/v1/svc/policies", headers=headers)).status_code == 405


async def test_unreadable_requirements_are_503(database_url: str) -> None:
    async with open_harness(database_url) as gw:
        gw.runtime.proxy.upstreams["svc"] = HttpxUpstream("svc", "http://svc.test", DownTransport())
        response = await gw.client.get("/v1/svc/policies")
        assert_error(response, 503, "requirements_unavailable")


async def test_auth_paths_are_never_proxied(gw: Harness) -> None:
    assert_error(await gw.client.get("/v1/auth/anything"), 404)
    wrong_method = await gw.client.get("/v1/auth/login")  # the gateway's own route: 405, not proxied
    assert_error(wrong_method, 405)
    assert wrong_method.headers["allow"] == "POST"


async def test_refusals_are_audited_with_the_route_template(gw: Harness) -> None:
    headers = await gw.staff_headers("buyer", ("procurement_officer",), region="520102")
    await gw.client.get("/v1/svc/applications/SECRET-ID-42", headers=headers)
    await gw.client.get("/v1/svc/applications/SECRET-ID-43")
    refused = await gw.audit.page(limit=100, kind="authorization_refused")
    assert [(e.outcome, e.route, e.actor) for e in refused] == [
        ("scope_missing", "/v1/svc/applications/{application_id}", "buyer"),
        ("token_missing", "/v1/svc/applications/{application_id}", None),
    ]
    assert all("SECRET-ID" not in (e.details or "") for e in refused)


async def test_per_client_rate_limit(database_url: str, seen: Seen) -> None:
    upstream = build_upstream(seen)
    async with open_harness(
        database_url, upstreams={"svc": upstream}, client_rate_limit_per_second=0.01, client_rate_limit_burst=2
    ) as gw:
        upstream.state.token_verifier = gw.runtime.token_verifier
        headers = await gw.staff_headers("cw", ("town_caseworker",), region="520102001000")
        statuses = [(await gw.client.get("/v1/svc/applications/A", headers=headers)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        other = await gw.staff_headers("cw2", ("town_caseworker",), region="520102001000")
        assert (await gw.client.get("/v1/svc/applications/A", headers=other)).status_code == 200


# --------------------------------------------------------------------------- department pushes


@pytest.fixture
async def department(gw: Harness) -> tuple[DepartmentKey, dict[str, str]]:
    key = DepartmentKey()
    client = await gw.register_client("department", ("monitoring:households:read",), public_key=key.public_pem)
    return key, bearer(await gw.client_token(client))


async def test_a_signed_push_is_forwarded_with_its_body(
    gw: Harness, seen: Seen, department: tuple[DepartmentKey, dict[str, str]]
) -> None:
    key, headers = department
    body = json.dumps({"household": "H-1", "alert": "大病"}, ensure_ascii=False).encode()
    target = "/v1/svc/reports?batch=7"
    signed = key.sign_headers("POST", target, body)
    response = await gw.client.post(
        target, content=body, headers={**headers, **signed, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"sha256": hashlib.sha256(body).hexdigest()}
    assert seen.requests == [("POST", "/v1/svc/reports", body)]
    # Reads need no signature.
    assert (await gw.client.get("/v1/svc/reports", headers=headers)).status_code == 200


async def test_forged_replayed_stale_or_unsigned_pushes_are_401(
    gw: Harness, seen: Seen, department: tuple[DepartmentKey, dict[str, str]]
) -> None:
    key, headers = department
    body = b'{"household": "H-1"}'
    target = "/v1/svc/reports"

    async def push(extra: dict[str, str], content: bytes = body, path: str = target) -> httpx.Response:
        return await gw.client.post(path, content=content, headers={**headers, **extra})

    assert_error(await push({}), 401, "signature_missing")
    forged = DepartmentKey().sign_headers("POST", target, body)
    assert_error(await push(forged), 401, "signature_invalid")
    tampered = key.sign_headers("POST", target, body)
    assert_error(await push(tampered, content=b'{"household": "H-2"}'), 401, "signature_invalid")
    other_path = key.sign_headers("POST", "/v1/svc/reports?x=1", body)
    assert_error(await push(other_path), 401, "signature_invalid")
    stale = key.sign_headers("POST", target, body, timestamp=int(time.time()) - 301)
    assert_error(await push(stale), 401, "signature_expired")
    good = key.sign_headers("POST", target, body)
    assert (await push(good)).status_code == 200
    assert_error(await push(good), 401, "signature_replayed")
    assert seen.requests == [("POST", "/v1/svc/reports", body)]
    reasons = [e.outcome for e in await gw.audit.page(limit=100, kind="authorization_refused")]
    assert reasons == [
        "signature_missing",
        "signature_invalid",
        "signature_invalid",
        "signature_invalid",
        "signature_expired",
        "signature_replayed",
    ]


async def test_a_department_without_the_scope_is_refused_before_the_signature(gw: Harness, seen: Seen) -> None:
    key = DepartmentKey()
    client = await gw.register_client("department", ("eligibility:policies:read",), public_key=key.public_text)
    headers = bearer(await gw.client_token(client))
    signed = key.sign_headers("POST", "/v1/svc/reports", b"{}")
    assert_error(
        await gw.client.post("/v1/svc/reports", content=b"{}", headers={**headers, **signed}), 403, "scope_missing"
    )
    assert seen.requests == []


async def test_a_signed_push_over_the_body_limit_is_413(database_url: str, seen: Seen) -> None:
    upstream = build_upstream(seen)
    async with open_harness(database_url, upstreams={"svc": upstream}, max_body_bytes=100) as gw:
        upstream.state.token_verifier = gw.runtime.token_verifier
        key = DepartmentKey()
        client = await gw.register_client("department", ("monitoring:households:read",), public_key=key.public_text)
        headers = bearer(await gw.client_token(client))
        body = b"x" * 101
        signed = key.sign_headers("POST", "/v1/svc/reports", body)
        assert_error(await gw.client.post("/v1/svc/reports", content=body, headers={**headers, **signed}), 413)
        assert seen.requests == []


async def test_the_app_key_source_serves_the_gateways_keys(gw: Harness) -> None:
    from gateway.main import AppKeySource
    from jiuzhu_platform.auth import TokenVerifier

    headers = await gw.staff_headers("cw", ("town_caseworker",), region="520102001000")
    verifier = TokenVerifier(issuer="jiuzhu-gateway", audience="jiuzhu-api", keys=AppKeySource(gw.app))
    principal = await verifier.verify(headers["Authorization"].split()[1])
    assert principal.subject == "cw"


async def test_anonymous_refusals_are_counted_and_sampled_not_each_written(gw: Harness) -> None:
    """Issue 15 #11: every anonymous refusal was one append to the audit hash chain (serialised),
    so 20 anonymous clients slowed everyone. Now they are counted (a metric) and sampled: one
    entry per client address and reason per minute, saying how many it stands for."""
    for _ in range(25):
        assert_error(await gw.client.get("/v1/svc/applications/A-1"), 401, "token_missing")

    refused = await gw.audit.page(limit=100, kind="authorization_refused")
    assert [(e.outcome, e.actor_kind) for e in refused] == [("token_missing", "anonymous")]
    metrics = (await gw.client.get("/metrics")).text
    assert 'gateway_anonymous_refusals_total{reason="token_missing"} 25.0' in metrics
