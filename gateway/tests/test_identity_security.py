"""Regression tests of a security review of the identity service: the accounts of 三员分立
(administrators, auditors) cannot be changed by another administrator through the API, a
logout with the access token alone ends the sign-in for good, and a password change cuts the
tokens issued before it, not the sign-ins made after it.

Runs on SQLite and, with `JIUZHU_PG_ADMIN_URL`, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pyotp
import pytest

from gateway.testing import STRONG_PASSWORD, Harness, open_harness
from jiuzhu_platform.auth import AuthFailure, TokenVerifier, Unauthorized

pytestmark = pytest.mark.timeout(120)

NEW_PASSWORD = "Another-Strong-2027"


@pytest.fixture
async def gw(database_url: str) -> AsyncIterator[Harness]:
    async with open_harness(database_url) as harness:
        yield harness


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["reason"] == reason, body
    assert body["detail"]
    assert body["message_zh"]
    return body


# --------------------------------------------------------------------------- TOTP of operator-only accounts


@pytest.mark.parametrize("role", ["city_admin", "auditor"])
async def test_an_administrator_cannot_replace_the_totp_of_an_operator_only_account(gw: Harness, role: str) -> None:
    """An administrator could enrol (replace) the TOTP of another administrator or an auditor
    and saw the secret: the other officer was locked out, and the administrator held their
    second factor (三员分立 bypassed)."""
    admin = await gw.staff_headers("admin", ("city_admin",))
    await gw.create_staff("other", (role,))

    refused = await gw.client.post("/v1/auth/users/other/totp", headers=admin)

    body = assert_error(refused, 403, "account_operator_only")
    assert "otpauth" not in refused.text
    assert "secret" not in body
    assert (await gw.staff_tokens("other"))["access_token"]  # still signs in without a TOTP code
    entries = await gw.audit.page(limit=100, kind="state_change")
    outcomes = [e.outcome for e in entries if e.target_id == "other" and e.outcome.startswith("totp")]
    assert outcomes == ["totp_enrolment_refused"]


async def test_an_administrator_enrols_their_own_totp_and_staff_totp(gw: Harness) -> None:
    admin = await gw.staff_headers("admin", ("city_admin",))
    await gw.create_staff("worker", ("town_caseworker",), region="520102")

    own = await gw.client.post("/v1/auth/users/admin/totp", headers=admin)
    staff = await gw.client.post("/v1/auth/users/worker/totp", headers=admin)

    assert own.status_code == 201, own.text
    assert staff.status_code == 201, staff.text
    totp = pyotp.parse_uri(own.json()["otpauth_uri"])
    assert isinstance(totp, pyotp.TOTP)
    assert (await gw.staff_tokens("admin", totp=totp.at(gw.clock.now)))["access_token"]


# --------------------------------------------------------------------------- logout with the access token only


async def test_logout_with_only_the_access_token_ends_the_sign_in_for_good(gw: Harness) -> None:
    """The refresh token of a sign-in logged out with the bearer alone used to work again once
    the deny-list entry of the sign-in expired (one access-token lifetime later)."""
    await gw.create_staff("sun.wu", ("procurement_officer",))
    tokens = await gw.staff_tokens("sun.wu")

    out = await gw.client.post("/v1/auth/logout", json={}, headers=bearer(tokens["access_token"]))

    assert out.status_code == 204
    gw.clock.advance(seconds=300 + 60 + 1)  # past the deny-list entry of the sign-in
    refresh = await gw.client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_error(refresh, 401, "refresh_token_invalid")


# --------------------------------------------------------------------------- password change


async def test_a_sign_in_right_after_a_password_change_is_accepted(gw: Harness) -> None:
    """A password change denied the whole subject for one access-token lifetime, so the tokens
    of a new sign-in with the new password were refused for about six minutes."""
    await gw.create_staff("liu.yi", ("auditor",))
    before = await gw.staff_tokens("liu.yi")
    changed = await gw.client.post(
        "/v1/auth/password",
        json={"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(before["access_token"]),
    )
    assert changed.status_code == 204

    after = await gw.staff_tokens("liu.yi", NEW_PASSWORD)

    page = await gw.client.get("/v1/auth/audit", headers=bearer(after["access_token"]))
    assert page.status_code == 200, page.text
    verifier: TokenVerifier = gw.runtime.token_verifier
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify(before["access_token"])
    assert refused.value.reason is AuthFailure.REVOKED


async def test_a_password_change_cuts_tokens_issued_before_it_later_in_the_same_lifetime(gw: Harness) -> None:
    await gw.create_staff("he.yi", ("auditor",))
    first, second = await gw.staff_tokens("he.yi"), await gw.staff_tokens("he.yi")
    gw.clock.advance(seconds=2)
    changed = await gw.client.post(
        "/v1/auth/password",
        json={"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 204
    gw.clock.advance(seconds=2)
    after = await gw.staff_tokens("he.yi", NEW_PASSWORD)

    verifier: TokenVerifier = gw.runtime.token_verifier
    for tokens in (first, second):
        with pytest.raises(Unauthorized):
            await verifier.verify(tokens["access_token"])
    assert (await verifier.verify(after["access_token"])).subject == "he.yi"
    gw.clock.advance(seconds=200)  # still within the old tokens' lifetime
    for tokens in (first, second):
        with pytest.raises(Unauthorized):
            await verifier.verify(tokens["access_token"])
    assert (await verifier.verify(after["access_token"])).subject == "he.yi"


async def test_a_burst_of_sign_ins_runs_at_most_max_concurrent_hashes_at_once() -> None:
    """Issue 16: each argon2id hash holds its memory cost while it runs; the hasher's semaphore
    keeps a burst to `max_concurrent` of them (the rest wait), so memory stays bounded."""
    import threading
    import time

    from gateway.identity.adapters.crypto import SecretHasher

    hasher = SecretHasher(time_cost=1, memory_cost_kib=8192, parallelism=1, max_concurrent=2)
    hashed = await hasher.hash("a-Correct-Horse-Battery")
    real = hasher._hasher
    running = 0
    most = 0
    lock = threading.Lock()

    class Counting:
        """The real argon2 hasher, counting how many verifications run at once."""

        def verify(self, stored: str, secret: str) -> bool:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            try:
                time.sleep(0.02)  # long enough for the others to pile up if nothing held them back
                return bool(real.verify(stored, secret))
            finally:
                with lock:
                    running -= 1

    hasher._hasher = Counting()  # type: ignore[assignment]
    results = await asyncio.gather(*(hasher.verify(hashed, f"wrong-{i}") for i in range(12)))

    assert results == [False] * 12
    assert most == 2


# --------------------------------------------------------------------------- refusals on the gateway's own routes


async def test_refusals_on_the_gateways_own_routes_are_audited(gw: Harness) -> None:
    """Issue 15 #9: a caseworker creating a user (scope missing), a bad token on the admin API
    and no token at all are in the audit trail like refusals of proxied routes, with the route
    template and the actor; a wrong password keeps its own entry and is not recorded twice."""
    caseworker = await gw.staff_headers("zhou-yan", ("town_caseworker",), region="520102001000")

    refused = await gw.client.post("/v1/auth/users", json={"username": "x"}, headers=caseworker)
    assert_error(refused, 403, "scope_missing")
    assert_error(
        await gw.client.post("/v1/auth/users/zhou-yan/disable", headers=bearer("not-a-token")), 401, "token_malformed"
    )
    assert_error(await gw.client.post("/v1/auth/users/zhou-yan/disable"), 401, "token_missing")
    assert (
        await gw.client.post("/v1/auth/login", json={"username": "zhou-yan", "password": "wrong"})
    ).status_code == 401

    entries = await gw.audit.page(limit=100, kind="authorization_refused")
    assert [(e.outcome, e.route, e.method, e.actor, e.actor_kind) for e in entries] == [
        ("scope_missing", "/v1/auth/users", "POST", "zhou-yan", "staff"),
        ("token_malformed", "/v1/auth/users/{username}/disable", "POST", None, "anonymous"),
        ("token_missing", "/v1/auth/users/{username}/disable", "POST", None, "anonymous"),
    ]
    failed = await gw.audit.page(limit=100, kind="authentication")
    assert [e.outcome for e in failed if e.actor == "zhou-yan"].count("invalid_credentials") == 1


# --------------------------------------------------------------------------- trusted proxies


async def test_nobodys_forwarded_for_is_believed_unless_proxies_are_configured() -> None:
    """Issue 15 #10: uvicorn believed X-Forwarded-For from loopback by default, so a local caller
    could claim any address and sidestep the per-IP sign-in throttle. With no trusted proxies the
    client address is the connection's; a configured proxy's header is believed."""
    import uvicorn
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from gateway.__main__ import proxy_options
    from gateway.settings import Settings

    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    def served(settings: Settings) -> Any:
        config = uvicorn.Config(app, **proxy_options(settings))
        config.load()
        return config.loaded_app

    scope = {
        "type": "http",
        "client": ("127.0.0.1", 5000),
        "headers": [(b"x-forwarded-for", b"203.0.113.9")],
    }
    default = Settings(env="dev", upstreams={}, auth_mode="external", external_jwks_url="http://idp.test/jwks")
    assert default.trusted_proxies == ""
    await served(default)(dict(scope), None, None)
    behind = default.model_copy(update={"trusted_proxies": "127.0.0.1/32"})
    wrapped = served(behind)
    await wrapped(dict(scope), None, None)

    assert seen == ["127.0.0.1", "203.0.113.9"]
    assert not isinstance(served(default), ProxyHeadersMiddleware)


# --------------------------------------------------------------------------- anonymous refusals


def test_the_sample_tells_how_many_refusals_an_entry_stands_for() -> None:
    from gateway.auth import AnonymousRefusals

    now = [0.0]
    sampler = AnonymousRefusals(window_seconds=60, clock=lambda: now[0])
    assert sampler.sample("10.0.0.1", "token_missing") == 1
    assert [sampler.sample("10.0.0.1", "token_missing") for _ in range(23)] == [None] * 23
    assert sampler.sample("10.0.0.2", "token_missing") == 1, "another caller has its own window"
    assert sampler.sample("10.0.0.1", "token_expired") == 1, "another reason too"
    now[0] = 61
    assert sampler.sample("10.0.0.1", "token_missing") == 24  # the 23 counted meanwhile and this one


# --------------------------------------------------------------------------- separation of duties


async def test_an_account_with_conflicting_roles_is_refused_through_the_api(gw: Harness) -> None:
    """Issue 15 #4: a town caseworker who is also the county approver confirms their own cases;
    the administrator cannot create such an account (and nothing is stored)."""
    admin = await gw.staff_headers("admin", ("city_admin",))
    body = {
        "username": "both-hats",
        "password": STRONG_PASSWORD,
        "roles": ["town_caseworker", "county_approver"],
        "region": "520102",
        "display_name": "两顶帽子",
    }
    refused = await gw.client.post("/v1/auth/users", json=body, headers=admin)
    assert refused.status_code in (400, 422), refused.text
    assert refused.json()["reason"] == "roles_conflict"
    assert (
        await gw.client.post("/v1/auth/login", json={"username": "both-hats", "password": STRONG_PASSWORD})
    ).status_code == 401


async def test_a_third_party_client_cannot_be_given_payment_or_eligibility_writes(gw: Harness) -> None:
    """A bank is given its result-file upload (回盘) and reading its runs' files, nothing else of
    payment that writes: not the payroll, not the accounts."""
    admin = await gw.staff_headers("admin", ("city_admin",))
    body = {"name": "某银行", "kind": "third_party", "scopes": ["payment:payroll:write"], "region": "520102"}
    refused = await gw.client.post("/v1/auth/clients", json=body, headers=admin)
    assert refused.status_code in (400, 422), refused.text
    assert refused.json()["reason"] == "scopes_invalid"
    assert "payment:payroll:write" in refused.json()["detail"]
    bank = {**body, "scopes": ["payment:bankfiles:read", "payment:bankfiles:write"]}
    created = await gw.client.post("/v1/auth/clients", json=bank, headers=admin)
    assert created.status_code == 201, created.text
