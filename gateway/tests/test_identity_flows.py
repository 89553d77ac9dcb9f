"""The gateway as token issuer, through its HTTP API: staff, citizen and client sign-in, token
rotation and revocation, administration, key rotation, the audit trail, and personal data kept
out of logs and out of the database in clear.

Every test runs on SQLite and, when `JIUZHU_PG_ADMIN_URL` is set (deploy/local/postgres.sh),
on a throwaway PostgreSQL database too (marked `integration`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from sqlalchemy import MetaData, select

from gateway.db import verify_audit
from gateway.identity.adapters.orm import audit_entry
from gateway.identity.service.admin import Actor
from gateway.main import create_app
from gateway.settings import Settings
from gateway.testing import STRONG_PASSWORD, Harness, MovableClock, migrated_sqlite, open_harness, settings_for_tests
from jiuzhu_platform.auth import AuthFailure, StaticKeySet, TokenVerifier, Unauthorized
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import generate_key
from shared.types import resident_id_check_digit

pytestmark = pytest.mark.timeout(120)

ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}
PHONE = "13812345678"
OTHER_PHONE = "13987654321"


def resident_id(serial: str = "001") -> str:
    body = f"52010219800101{serial}"
    return body + resident_id_check_digit(body)


def with_bad_check_digit(value: str) -> str:
    last = value[-1]
    return value[:-1] + ("0" if last != "0" else "1")


def assert_error(response: httpx.Response, status: int, reason: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["message_zh"]
    if reason is not None:
        assert isinstance(body["detail"], str), body
        assert body["reason"] == reason, body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


@pytest.fixture
async def gw(database_url: str) -> AsyncIterator[Harness]:
    async with open_harness(database_url) as harness:
        yield harness


async def admin_headers(gw: Harness) -> dict[str, str]:
    return await gw.staff_headers("admin", ("city_admin",))


# --------------------------------------------------------------------------- discovery


async def test_jwks_and_discovery(gw: Harness) -> None:
    jwks = (await gw.client.get("/.well-known/jwks.json")).json()
    assert len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["kty"] == "EC"
    assert key["alg"] == "ES256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert "d" not in key  # never the private part
    config = (await gw.client.get("/.well-known/openid-configuration")).json()
    assert config["issuer"] == "jiuzhu-gateway"
    assert config["jwks_uri"].endswith("/.well-known/jwks.json")
    assert config["token_endpoint"].endswith("/v1/auth/token")
    assert "client_credentials" in config["grant_types_supported"]


# --------------------------------------------------------------------------- staff sign-in


async def test_staff_login_issues_a_token_the_platform_verifier_accepts(gw: Harness) -> None:
    await gw.create_staff("wang.li", ("town_caseworker",), region="520102001000")
    tokens = await gw.staff_tokens("Wang.Li")  # usernames are case-insensitive
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 300
    assert tokens["refresh_expires_in"] == 8 * 3600
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
    assert header["kid"]
    jwks = (await gw.client.get("/.well-known/jwks.json")).json()
    verifier = TokenVerifier(issuer="jiuzhu-gateway", audience="jiuzhu-api", keys=StaticKeySet(jwks))
    principal = await verifier.verify(tokens["access_token"])
    assert principal.subject == "wang.li"
    assert principal.kind.value == "staff"
    assert principal.roles == {"town_caseworker"}
    assert principal.region_code == "520102001000"
    assert "eligibility:applications:write" in principal.scopes
    claims = claims_of(tokens["access_token"])
    assert {"iss", "aud", "sub", "exp", "iat", "nbf", "jti", "kind", "scope", "roles", "region"} <= set(claims)


async def test_wrong_password_and_unknown_user_look_the_same(gw: Harness) -> None:
    await gw.create_staff("zhao", ("auditor",))
    wrong = await gw.client.post("/v1/auth/login", json={"username": "zhao", "password": "Not-The-Password-1"})
    unknown = await gw.client.post("/v1/auth/login", json={"username": "nobody", "password": "Not-The-Password-1"})
    assert assert_error(wrong, 401, "invalid_credentials") | {"correlation_id": ""} == assert_error(
        unknown, 401, "invalid_credentials"
    ) | {"correlation_id": ""}
    assert_error(await gw.client.post("/v1/auth/login", json={"username": "zhao"}), 422)
    assert_error(await gw.client.post("/v1/auth/login", content=b"not json"), 422)


async def test_lockout_after_consecutive_failures_survives_a_restart(database_url: str) -> None:
    clock = MovableClock()
    ring = {"pii_keys": {"t1": generate_key()}, "pii_active_key": "t1", "pii_index_key": generate_key()}
    async with open_harness(database_url, clock=clock, login_attempts_per_minute=100, **ring) as gw:
        await gw.create_staff("liu", ("auditor",))
        for _ in range(4):
            assert_error(
                await gw.client.post("/v1/auth/login", json={"username": "liu", "password": "wrong-Password-1"}),
                401,
                "invalid_credentials",
            )
        locked = await gw.client.post("/v1/auth/login", json={"username": "liu", "password": "wrong-Password-1"})
        assert_error(locked, 401, "invalid_credentials")  # the fifth failure locks
        refused = await gw.client.post("/v1/auth/login", json={"username": "liu", "password": STRONG_PASSWORD})
        assert_error(refused, 423, "account_locked")
        assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    # A new process (or another replica) on the same database sees the lock.
    async with open_harness(database_url, clock=clock, **ring) as gw:
        still = await gw.client.post("/v1/auth/login", json={"username": "liu", "password": STRONG_PASSWORD})
        assert_error(still, 423, "account_locked")
        clock.advance(minutes=15)
        await gw.staff_tokens("liu")
        entries = await gw.audit.page(limit=100, kind="lockout")
        assert [e.outcome for e in entries] == ["locked"]


async def test_login_attempts_are_throttled_per_account_and_ip(gw: Harness) -> None:
    await gw.create_staff("qian", ("auditor",))
    statuses = [
        (await gw.client.post("/v1/auth/login", json={"username": "qian", "password": STRONG_PASSWORD})).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    throttled = await gw.client.post("/v1/auth/login", json={"username": "qian", "password": STRONG_PASSWORD})
    assert_error(throttled, 429)
    assert int(throttled.headers["retry-after"]) >= 1


async def test_totp_is_enforced_once_enrolled_and_codes_are_single_use(gw: Harness) -> None:
    admin = await admin_headers(gw)
    await gw.create_staff("sun", ("county_approver",), region="520102")
    enrolled = await gw.client.post("/v1/auth/users/sun/totp", headers=admin)
    assert enrolled.status_code == 201, enrolled.text
    uri = enrolled.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/")
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    login = {"username": "sun", "password": STRONG_PASSWORD}
    assert_error(await gw.client.post("/v1/auth/login", json=login), 401, "totp_required")
    assert_error(await gw.client.post("/v1/auth/login", json={**login, "totp": "000000"}), 401, "totp_invalid")
    code = totp.at(gw.clock.now)
    assert (await gw.client.post("/v1/auth/login", json={**login, "totp": code})).status_code == 200
    replay = await gw.client.post("/v1/auth/login", json={**login, "totp": code})
    assert_error(replay, 401, "totp_invalid")
    assert_error(await gw.client.post("/v1/auth/users/nobody/totp", headers=admin), 404)


# --------------------------------------------------------------------------- refresh and logout


async def test_refresh_rotates_and_reuse_revokes_the_family(gw: Harness) -> None:
    await gw.create_staff("zhou", ("payment_officer",), region="520102")
    first = await gw.staff_tokens("zhou")
    second = (await gw.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert claims_of(second["access_token"])["jti"] != claims_of(first["access_token"])["jti"]
    assert second["refresh_expires_in"] <= first["refresh_expires_in"]  # the sign-in's lifetime is absolute
    reused = await gw.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(reused, 401, "refresh_token_reused")
    # The thief's copy and the legitimate new token are both dead now.
    after = await gw.client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_error(after, 401, "refresh_token_invalid")
    assert_error(await gw.client.post("/v1/auth/refresh", json={"refresh_token": "made-up"}), 401)
    outcomes = [e.outcome for e in await gw.audit.page(limit=100, kind="token_refresh")]
    assert outcomes == ["success", "reuse_detected"]


async def test_refresh_tokens_expire(gw: Harness) -> None:
    await gw.create_staff("wu", ("auditor",))
    tokens = await gw.staff_tokens("wu")
    gw.clock.advance(hours=8, seconds=1)
    expired = await gw.client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_error(expired, 401, "refresh_token_invalid")


async def test_logout_revokes_the_refresh_token_and_the_access_token(gw: Harness) -> None:
    admin = await admin_headers(gw)
    await gw.create_staff("zheng", ("city_admin",))
    tokens = await gw.staff_tokens("zheng")
    headers = bearer(tokens["access_token"])
    user = {"username": "new.user", "password": STRONG_PASSWORD, "roles": ["procurement_officer"], "display_name": "N"}
    assert (await gw.client.post("/v1/auth/users", json=user, headers=headers)).status_code == 201
    out = await gw.client.post("/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=headers)
    assert out.status_code == 204
    refused = await gw.client.post("/v1/auth/users", json={**user, "username": "other.user"}, headers=headers)
    assert_error(refused, 401, "token_revoked")
    assert_error(await gw.client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    # Logging out twice, or with an unknown token, is fine; other sessions are untouched.
    assert (await gw.client.post("/v1/auth/logout", json={"refresh_token": "unknown"})).status_code == 204
    assert (
        await gw.client.post("/v1/auth/users", json={**user, "username": "third.user"}, headers=admin)
    ).status_code == 201


# --------------------------------------------------------------------------- citizens


async def test_citizen_code_flow(gw: Harness) -> None:
    unknown = await gw.client.post("/v1/auth/citizen/code", json={"phone": PHONE})
    assert unknown.status_code == 202  # whether or not the phone is known
    code = gw.outbox.latest_code(PHONE)
    assert code is not None
    assert len(code) == 6
    assert code.isdigit()
    wrong = "000000" if code != "000000" else "111111"
    assert_error(
        await gw.client.post("/v1/auth/citizen/login", json={"phone": PHONE, "code": wrong}), 401, "code_invalid"
    )
    tokens = (await gw.client.post("/v1/auth/citizen/login", json={"phone": PHONE, "code": code})).json()
    claims = claims_of(tokens["access_token"])
    assert claims["kind"] == "citizen"
    assert claims["roles"] == []
    assert claims["scope"] == "auth:identity:bind"
    assert "household_id" not in claims
    assert tokens["refresh_expires_in"] == 30 * 86400
    # Single use.
    again = await gw.client.post("/v1/auth/citizen/login", json={"phone": PHONE, "code": code})
    assert_error(again, 401, "code_expired")
    assert_error(await gw.client.post("/v1/auth/citizen/code", json={"phone": "12345"}), 422)


async def test_citizen_codes_expire_after_five_minutes(gw: Harness) -> None:
    assert (await gw.client.post("/v1/auth/citizen/code", json={"phone": PHONE})).status_code == 202
    code = gw.outbox.latest_code(PHONE)
    gw.clock.advance(minutes=5)
    expired = await gw.client.post("/v1/auth/citizen/login", json={"phone": PHONE, "code": code})
    assert_error(expired, 401, "code_expired")


async def test_a_code_dies_after_five_wrong_tries_and_resends_are_spaced(database_url: str) -> None:
    async with open_harness(database_url, login_attempts_per_minute=100, login_max_failures=50) as gw:
        assert (await gw.client.post("/v1/auth/citizen/code", json={"phone": PHONE})).status_code == 202
        code = gw.outbox.latest_code(PHONE)
        assert code is not None
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            response = await gw.client.post("/v1/auth/citizen/login", json={"phone": PHONE, "code": wrong})
            assert_error(response, 401, "code_invalid")
        right = await gw.client.post("/v1/auth/citizen/login", json={"phone": PHONE, "code": code})
        assert_error(right, 401, "code_expired")
        # A second request within the resend interval is accepted (202) but sends nothing.
        assert (await gw.client.post("/v1/auth/citizen/code", json={"phone": PHONE})).status_code == 202
        assert len(gw.outbox.sent) == 1
        gw.clock.advance(seconds=60)
        assert (await gw.client.post("/v1/auth/citizen/code", json={"phone": PHONE})).status_code == 202
        assert len(gw.outbox.sent) == 2


async def test_binding_gives_the_same_household_to_the_same_resident(gw: Harness) -> None:
    first = await gw.citizen_tokens(PHONE)
    bad = await gw.client.post(
        "/v1/auth/citizen/bind",
        json={"name": "张三", "resident_id": with_bad_check_digit(resident_id())},
        headers=bearer(first["access_token"]),
    )
    body = assert_error(bad, 422)
    assert body["detail"][0]["type"] == "resident_id_check_digit"
    assert resident_id()[:10] not in bad.text  # the value is not echoed
    bound = await gw.client.post(
        "/v1/auth/citizen/bind",
        json={"name": "张三", "resident_id": resident_id()},
        headers=bearer(first["access_token"]),
    )
    assert bound.status_code == 200, bound.text
    claims = claims_of(bound.json()["access_token"])
    assert claims["roles"] == ["citizen"]
    assert claims["scope"] == ""
    household = claims["household_id"]
    # The same person through another phone: refused, one resident ID binds one account at a time.
    second = await gw.citizen_tokens(OTHER_PHONE)
    rebound = await gw.client.post(
        "/v1/auth/citizen/bind",
        json={"name": "张三", "resident_id": resident_id()},
        headers=bearer(second["access_token"]),
    )
    assert_error(rebound, 409, "resident_already_bound")
    # A bound token cannot bind again; the old unbound token can repeat the same binding only.
    assert_error(
        await gw.client.post(
            "/v1/auth/citizen/bind",
            json={"name": "张三", "resident_id": resident_id()},
            headers=bearer(bound.json()["access_token"]),
        ),
        403,
        "scope_missing",
    )
    other = await gw.client.post(
        "/v1/auth/citizen/bind",
        json={"name": "李四", "resident_id": resident_id("002")},
        headers=bearer(first["access_token"]),
    )
    assert_error(other, 409, "already_bound")
    # A refresh after binding carries the household.
    refreshed = await gw.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert claims_of(refreshed.json()["access_token"])["household_id"] == household
    # Another resident: another household.
    third = await gw.citizen_tokens("13700000000")
    separate = await gw.client.post(
        "/v1/auth/citizen/bind",
        json={"name": "李四", "resident_id": resident_id("002")},
        headers=bearer(third["access_token"]),
    )
    assert claims_of(separate.json()["access_token"])["household_id"] != household
    assert_error(await gw.client.post("/v1/auth/citizen/bind", json={"name": "x", "resident_id": resident_id()}), 401)


async def test_real_name_rejection_is_422(gw: Harness) -> None:
    gw.runtime.real_name_verifier.rejected.add(resident_id("009"))
    tokens = await gw.citizen_tokens(PHONE)
    refused = await gw.client.post(
        "/v1/auth/citizen/bind",
        json={"name": "王五", "resident_id": resident_id("009")},
        headers=bearer(tokens["access_token"]),
    )
    assert_error(refused, 422, "real_name_rejected")


async def test_phones_and_resident_ids_never_reach_logs_or_the_database_in_clear(
    gw: Harness, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = await gw.citizen_tokens(PHONE)
    code = gw.outbox.latest_code(PHONE)
    bound = await gw.client.post(
        "/v1/auth/citizen/bind",
        json={"name": "张三丰", "resident_id": resident_id()},
        headers=bearer(tokens["access_token"]),
    )
    assert bound.status_code == 200, bound.text  # the values below were really stored and logged about
    assert claims_of(bound.json()["access_token"])["household_id"]
    await gw.client.post("/v1/auth/citizen/login", json={"phone": PHONE, "code": "123456"})
    assert "code sent to 138****5678" in caplog.text
    for secret in (PHONE, resident_id(), "张三丰"):
        assert secret not in caplog.text
    assert code is not None
    assert f"code {code}" not in caplog.text
    # Every text cell of every gateway table.
    database = Database.from_url(database_url)
    try:
        metadata = MetaData()
        async with database.engine.connect() as connection:
            await connection.run_sync(metadata.reflect)
            cells = []
            for table in metadata.sorted_tables:
                for row in (await connection.execute(select(table))).all():
                    cells.extend(str(value) for value in row)
    finally:
        await database.dispose()
    dump = "\n".join(cells)
    assert "138****5678" in dump  # the audit trail names the citizen by masked phone
    for secret in (PHONE, resident_id(), "张三丰"):
        assert secret not in dump


# --------------------------------------------------------------------------- clients


async def test_client_credentials(gw: Harness) -> None:
    admin = await admin_headers(gw)
    registered = await gw.client.post(
        "/v1/auth/clients",
        json={
            "name": "市卫健委",
            "kind": "third_party",
            "scopes": ["monitoring:households:read", "eligibility:policies:read"],
            "region": "520102",
        },
        headers=admin,
    )
    assert registered.status_code == 201, registered.text
    client = registered.json()
    client_id, secret = client["client_id"], client["client_secret"]
    # HTTP Basic, all granted scopes.
    token = await gw.client.post("/v1/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "eligibility:policies:read monitoring:households:read"
    assert token.headers["cache-control"] == "no-store"
    claims = claims_of(body["access_token"])
    assert claims["kind"] == "third_party"
    assert claims["client_id"] == client_id
    assert claims["sub"] == client_id
    assert claims["roles"] == ["third_party"]
    assert claims["region"] == "520102"
    # Form credentials, a subset of the scopes.
    subset = await gw.client.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "monitoring:households:read",
        },
    )
    assert subset.json()["scope"] == "monitoring:households:read"
    # Refusals, RFC 6749 §5.2 codes in the common error shape.
    too_much = await gw.client.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "scope": "payment:payroll:read"},
        auth=(client_id, secret),
    )
    assert too_much.status_code == 400
    assert too_much.json()["error"] == "invalid_scope"
    bad_secret = await gw.client.post(
        "/v1/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "wrong")
    )
    assert bad_secret.status_code == 401
    assert bad_secret.json()["error"] == "invalid_client"
    assert bad_secret.headers["www-authenticate"].startswith("Basic")
    assert set(bad_secret.json()) == ERROR_KEYS
    grant = await gw.client.post("/v1/auth/token", data={"grant_type": "password"}, auth=(client_id, secret))
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    not_form = await gw.client.post("/v1/auth/token", json={"grant_type": "client_credentials"})
    assert not_form.status_code == 400
    assert not_form.json()["error"] == "invalid_request"
    anonymous = await gw.client.post("/v1/auth/token", data={"grant_type": "client_credentials"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"


async def test_client_registration_rules(gw: Harness) -> None:
    admin = await admin_headers(gw)
    base = {"name": "民政局", "kind": "department", "scopes": ["monitoring:households:read"]}
    assert_error(await gw.client.post("/v1/auth/clients", json=base, headers=admin), 422, "signing_key_required")
    bad_key = {**base, "signing_public_key": "not a key"}
    assert_error(await gw.client.post("/v1/auth/clients", json=bad_key, headers=admin), 422, "signing_key_invalid")
    privileged = {**base, "kind": "third_party", "scopes": ["audit:read"]}
    assert_error(await gw.client.post("/v1/auth/clients", json=privileged, headers=admin), 422, "scopes_invalid")
    auditor = await gw.staff_headers("auditor.one", ("auditor",))
    assert_error(await gw.client.post("/v1/auth/clients", json=base, headers=auditor), 403, "scope_missing")
    assert_error(await gw.client.post("/v1/auth/clients", json=base), 401, "token_missing")


# --------------------------------------------------------------------------- users


async def test_user_creation_rules(gw: Harness) -> None:
    admin = await admin_headers(gw)
    user = {
        "username": "chen",
        "password": STRONG_PASSWORD,
        "roles": ["town_caseworker"],
        "region": "520102001000",
        "display_name": "陈",
    }
    created = await gw.client.post("/v1/auth/users", json=user, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["town_caseworker"]
    assert "password" not in created.text
    assert_error(await gw.client.post("/v1/auth/users", json=user, headers=admin), 409)
    cases = [
        ({"password": "short"}, "password_length"),
        ({"roles": ["citizen"]}, "roles_invalid"),
        ({"region": None}, "region_required"),
        ({"region": "110101"}, "region_invalid"),
    ]
    for change, reason in cases:
        response = await gw.client.post("/v1/auth/users", json={**user, "username": "chen2", **change}, headers=admin)
        assert_error(response, 422, reason)
    caseworker = {"Authorization": f"Bearer {(await gw.staff_tokens('chen'))['access_token']}"}
    assert_error(
        await gw.client.post("/v1/auth/users", json={**user, "username": "chen3"}, headers=caseworker),
        403,
        "scope_missing",
    )


# --------------------------------------------------------------------------- keys


async def test_key_rotation_keeps_old_tokens_valid_until_they_expire(gw: Harness) -> None:
    admin = await admin_headers(gw)
    old_kid = jwt.get_unverified_header(admin["Authorization"].split()[1])["kid"]
    rotated = await gw.client.post("/v1/auth/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid
    assert rotated.json()["published"] == [new_kid, old_kid]
    jwks = (await gw.client.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]
    # New tokens carry the new key; the old token still works.
    fresh = await gw.staff_tokens("admin")
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == new_kid
    user = {
        "username": "after.rotation",
        "password": STRONG_PASSWORD,
        "roles": ["procurement_officer"],
        "display_name": "A",
    }
    assert (await gw.client.post("/v1/auth/users", json=user, headers=admin)).status_code == 201
    # Once every token of the old key has expired, the old key leaves the JWKS.
    gw.clock.advance(seconds=300 + 60 + 1)
    jwks = (await gw.client.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid]


# --------------------------------------------------------------------------- audit


async def test_audit_trail_records_and_verifies(gw: Harness, database_url: str) -> None:
    admin = await admin_headers(gw)
    await gw.client.post("/v1/auth/login", json={"username": "admin", "password": "Wrong-Password-1"})
    await gw.client.post("/v1/auth/keys/rotate", headers=admin)
    await gw.citizen_tokens(PHONE)
    auditor = await gw.staff_headers("shen.ji", ("auditor",))
    assert_error(await gw.client.get("/v1/auth/audit", headers=admin), 403, "scope_missing")
    page = await gw.client.get("/v1/auth/audit", params={"limit": 1000}, headers=auditor)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    seen = {(item["kind"], item["outcome"]) for item in items}
    assert {
        ("state_change", "user_created"),
        ("authentication", "success"),
        ("authentication", "invalid_credentials"),
        ("state_change", "signing_key_rotated"),
        ("authentication", "code_sent"),
    } <= seen
    actors = {item["actor"] for item in items}
    assert "138****5678" in actors
    assert PHONE not in actors
    first = await gw.client.get("/v1/auth/audit", params={"limit": 2}, headers=auditor)
    assert first.json()["next_after_seq"] == 2
    result = await verify_audit(database_url)
    assert result.ok
    assert result.count >= len(items)
    # Append-only in the database itself.
    database = Database.from_url(database_url)
    try:
        with pytest.raises(Exception, match="append-only"):
            async with database.transaction() as session:
                await session.execute(audit_entry.delete())
    finally:
        await database.dispose()


def test_an_upstream_named_auth_is_refused() -> None:
    with pytest.raises(ValueError, match="reserved"):
        Settings(env="dev", upstreams={"auth": "http://x"}, database_url="sqlite+aiosqlite:///x.db")


def test_in_prod_the_issuer_is_an_https_url_and_discovery_lives_under_it() -> None:
    """Issue 16: OpenID discovery identifies the issuer by its URL; `jiuzhu-gateway` is refused in prod."""
    ring = {"pii_keys": {"k": generate_key()}, "pii_active_key": "k", "pii_index_key": generate_key()}
    url = "postgresql+asyncpg://gateway:S3cure-pw@db/jiuzhu_gateway"
    for issuer in ("jiuzhu-gateway", "http://jiuzhu.example.org", "https://jiuzhu.example.org/?x=1"):
        with pytest.raises(ValueError, match="public https URL"):
            Settings(env="prod", upstreams={}, database_url=url, issuer=issuer, **ring)
    assert Settings(env="prod", upstreams={}, database_url=url, issuer="https://jiuzhu.example.org", **ring)
    assert Settings(env="test", upstreams={}, database_url=url, issuer="jiuzhu-gateway", **ring)


async def test_discovery_names_its_endpoints_under_the_issuer_url(tmp_path: Path) -> None:
    settings = settings_for_tests(await migrated_sqlite(tmp_path), issuer="https://jiuzhu.example.org")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://internal.svc:8000") as client:
            document = (await client.get("/.well-known/openid-configuration")).json()
    assert document["issuer"] == "https://jiuzhu.example.org"
    assert document["jwks_uri"] == "https://jiuzhu.example.org/.well-known/jwks.json"
    assert document["token_endpoint"] == "https://jiuzhu.example.org/v1/auth/token"


def test_issuer_mode_outside_dev_needs_the_key_ring_and_a_database() -> None:
    with pytest.raises(ValueError, match="PII key ring"):
        Settings(env="prod", upstreams={}, database_url="postgresql+asyncpg://u:p@h/db")
    with pytest.raises(ValueError, match="database_url"):
        Settings(env="dev", upstreams={})
    with pytest.raises(ValueError, match="placeholder"):
        Settings(
            env="prod",
            upstreams={},
            database_url="postgresql+asyncpg://u:changeme@h/db",
            pii_keys={"k": "x"},
            pii_active_key="k",
            pii_index_key="y",
        )


@pytest.mark.parametrize("role", ["city_admin", "auditor"])
async def test_administrators_and_auditors_are_made_by_the_operator_not_through_the_api(gw: Harness, role: str) -> None:
    admin = await admin_headers(gw)
    user = {"username": f"new.{role}", "password": STRONG_PASSWORD, "roles": [role], "display_name": "X"}

    refused = await gw.client.post("/v1/auth/users", json=user, headers=admin)

    assert_error(refused, 403, "role_not_grantable")
    await gw.create_staff(f"cli.{role.replace('_', '.')}", (role,))  # the operator's command line may


async def test_a_number_typed_as_a_username_is_masked_in_the_audit_trail(gw: Harness) -> None:
    response = await gw.client.post("/v1/auth/login", json={"username": "13812345678", "password": "wrong"})

    assert response.status_code == 401
    actors = [e.actor for e in await gw.audit.page(limit=100, kind="authentication")]
    assert "138****5678" in actors
    assert not any("13812345678" in (actor or "") for actor in actors)


# --------------------------------------------------------------------------- disabling


async def test_a_disabled_user_is_signed_out_everywhere_at_once(gw: Harness) -> None:
    await gw.create_staff("deputy", ("city_admin",))
    tokens = await gw.staff_tokens("deputy")
    headers = bearer(tokens["access_token"])
    user = {"username": "made.by.deputy", "password": STRONG_PASSWORD, "roles": ["procurement_officer"]}
    assert (
        await gw.client.post("/v1/auth/users", json={**user, "display_name": "D"}, headers=headers)
    ).status_code == 201

    await gw.identity.admin.disable_user("deputy", actor=Actor.cli())  # administrators: the operator's command line

    again = await gw.client.post(
        "/v1/auth/users", json={**user, "username": "second", "display_name": "D"}, headers=headers
    )
    assert_error(again, 401, "token_revoked")
    assert_error(await gw.client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    login = await gw.client.post("/v1/auth/login", json={"username": "deputy", "password": STRONG_PASSWORD})
    assert_error(login, 401, "invalid_credentials")


async def test_administrators_disable_staff_but_not_other_administrators(gw: Harness) -> None:
    admin = await admin_headers(gw)
    await gw.create_staff("worker", ("town_caseworker",), region="520102")
    await gw.create_staff("watcher", ("auditor",))

    assert (await gw.client.post("/v1/auth/users/worker/disable", headers=admin)).status_code == 204
    assert (await gw.client.post("/v1/auth/users/worker/disable", headers=admin)).status_code == 204  # idempotent
    assert_error(await gw.client.post("/v1/auth/users/watcher/disable", headers=admin), 403, "role_not_grantable")
    assert_error(await gw.client.post("/v1/auth/users/nobody/disable", headers=admin), 404, "user_not_found")
    entries = await gw.audit.page(limit=100, kind="state_change")
    assert [e.target_id for e in entries if e.outcome == "user_disabled"] == ["worker"]


async def test_a_disabled_client_gets_no_token_and_its_tokens_are_refused(gw: Harness) -> None:
    admin = await admin_headers(gw)
    client = await gw.register_client("third_party", ("eligibility:policies:read",))
    token = await gw.client_token(client)
    verifier: TokenVerifier = gw.runtime.token_verifier
    assert (await verifier.verify(token)).client_id == client.client_id

    disabled = await gw.client.post(f"/v1/auth/clients/{client.client_id}/disable", headers=admin)

    assert disabled.status_code == 204
    with pytest.raises(Unauthorized) as refused:
        await verifier.verify(token)
    assert refused.value.reason is AuthFailure.REVOKED
    form = {"grant_type": "client_credentials"}
    assert_error(await gw.client.post("/v1/auth/token", data=form, auth=(client.client_id, client.client_secret)), 401)
    assert_error(await gw.client.post("/v1/auth/clients/unknown/disable", headers=admin), 404, "client_not_found")


async def test_logout_and_refresh_reuse_cut_every_access_token_of_the_sign_in(gw: Harness) -> None:
    await gw.create_staff("sun.wu", ("procurement_officer",))
    first = await gw.staff_tokens("sun.wu")
    rotated = (await gw.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    other_sign_in = await gw.staff_tokens("sun.wu")
    verifier: TokenVerifier = gw.runtime.token_verifier
    assert claims_of(first["access_token"])["sid"] == claims_of(rotated["access_token"])["sid"]
    assert claims_of(other_sign_in["access_token"])["sid"] != claims_of(first["access_token"])["sid"]

    # a stolen refresh token used again: the whole sign-in ends, both of its access tokens too
    reused = await gw.client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert reused.status_code == 401
    for token in (first["access_token"], rotated["access_token"]):
        with pytest.raises(Unauthorized) as refused:
            await verifier.verify(token)
        assert refused.value.reason is AuthFailure.REVOKED
    assert (await verifier.verify(other_sign_in["access_token"])).subject == "sun.wu"  # other sign-ins go on

    out = await gw.client.post("/v1/auth/logout", json={"refresh_token": other_sign_in["refresh_token"]})
    assert out.status_code == 204
    with pytest.raises(Unauthorized):
        await verifier.verify(other_sign_in["access_token"])  # logout without the bearer still cuts it


async def test_a_user_changes_their_password_and_every_sign_in_ends(gw: Harness) -> None:
    await gw.create_staff("li.na", ("town_caseworker",), region="520102")
    one, two = await gw.staff_tokens("li.na"), await gw.staff_tokens("li.na")
    headers = bearer(one["access_token"])
    new_password = "Another-Strong-2027"

    weak = await gw.client.post(
        "/v1/auth/password", json={"current_password": STRONG_PASSWORD, "new_password": "short"}, headers=headers
    )
    changed = await gw.client.post(
        "/v1/auth/password", json={"current_password": STRONG_PASSWORD, "new_password": new_password}, headers=headers
    )

    assert weak.status_code == 422
    assert changed.status_code == 204
    verifier: TokenVerifier = gw.runtime.token_verifier
    for tokens in (one, two):
        with pytest.raises(Unauthorized):
            await verifier.verify(tokens["access_token"])
        assert_error(await gw.client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    old = await gw.client.post("/v1/auth/login", json={"username": "li.na", "password": STRONG_PASSWORD})
    assert_error(old, 401, "invalid_credentials")
    assert (await gw.staff_tokens("li.na", new_password))["access_token"]


async def test_a_wrong_current_password_changes_nothing(gw: Harness) -> None:
    await gw.create_staff("zhou.yi", ("town_caseworker",), region="520102")
    tokens = await gw.staff_tokens("zhou.yi")

    wrong = await gw.client.post(
        "/v1/auth/password",
        json={"current_password": "not-the-password", "new_password": "Another-Strong-2027"},
        headers=bearer(tokens["access_token"]),
    )

    assert_error(wrong, 401, "invalid_credentials")
    assert (await gw.runtime.token_verifier.verify(tokens["access_token"])).subject == "zhou.yi"
    assert (await gw.staff_tokens("zhou.yi"))["access_token"]


async def test_only_staff_change_passwords_here(gw: Harness) -> None:
    client = await gw.register_client("third_party", ("eligibility:policies:read",))
    token = await gw.client_token(client)

    refused = await gw.client.post(
        "/v1/auth/password", json={"current_password": "x", "new_password": "Whatever-Strong-1"}, headers=bearer(token)
    )

    assert_error(refused, 403, "scope_missing")
