"""The four kinds of caller against the distributed deployment (real processes, PostgreSQL,
Kafka), only through the gateway's HTTP API: each authenticates its own way and reaches only
what it should; the services refuse the same requests again when the gateway is bypassed.

- staff: username + password, region-scoped (a county caseworker, two county approvers, an
  auditor), full-value reads with a purpose, audited;
- citizens: phone + one-time code (from the test outbox), real-name binding, own household only;
- departments: OAuth2 client credentials, agreement scopes, signed pushes (forged and replayed
  signatures refused);
- third parties: client credentials with a narrow scope.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from gateway.testing import DepartmentKey
from jiuzhu_platform.pii import mask_phone
from shared.types import resident_id_check_digit
from tests.e2e.cluster import FLOW_SECONDS, Cluster, create_staff, operator_created_staff

pytestmark = pytest.mark.e2e

APPLICATIONS = "/v1/eligibility/applications"


def resident_id(body17: str) -> str:
    return body17 + resident_id_check_digit(body17)


def application(county: str, body17: str, **extra: Any) -> dict[str, Any]:
    return {
        "assistance_type": "dibao",
        "region_code": county,
        "member_count": 2,
        "applicant": {"name": "测试申请人", "resident_id": resident_id(body17)},
        **extra,
    }


async def until_registered(client: httpx.AsyncClient, household_id: str, seconds: float = FLOW_SECONDS) -> None:
    """Wait until the monitoring consumer has put the household in the register (via Kafka)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (response := await client.get(f"/v1/monitoring/households/{household_id}")).status_code == 404:
        assert asyncio.get_running_loop().time() < deadline, f"{household_id} not registered after {seconds}s"
        await asyncio.sleep(0.2)
    assert response.status_code == 200, response.text


def reason(response: httpx.Response) -> str:
    return str(response.json()["reason"])


async def client_token(cluster: Cluster, client_id: str, secret: str, scope: str | None = None) -> dict[str, str]:
    form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    async with cluster.client() as client:
        response = await client.post("/v1/auth/token", data=form, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def register_client(admin: httpx.AsyncClient, **body: Any) -> tuple[str, str]:
    response = await admin.post("/v1/auth/clients", json=body)
    assert response.status_code == 201, response.text
    return response.json()["client_id"], response.json()["client_secret"]


async def test_staff_reach_only_their_region_and_full_reads_are_audited(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    caseworker = await create_staff(admin, "cw-520102", ["town_caseworker"], "520102")
    approver = await create_staff(admin, "approver-520102", ["county_approver"], "520102")
    other_approver = await create_staff(admin, "approver-520103", ["county_approver"], "520103")
    auditor = await operator_created_staff(cluster, admin, "auditor-1", ["auditor"])
    refused = await admin.post(
        "/v1/auth/users",
        json={"username": "auditor-2", "password": "Auditor-Two-2026", "roles": ["auditor"], "display_name": "审计"},
    )
    assert (refused.status_code, reason(refused)) == (403, "role_not_grantable")  # 三员分立
    number = resident_id("52010219800101001")
    async with cluster.client() as client:
        created = await client.post(APPLICATIONS, json=application("520102", "52010219800101001"), headers=caseworker)
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        assert number not in created.text  # masked in the response

        elsewhere = await client.post(APPLICATIONS, json=application("520103", "52010319800101001"), headers=caseworker)
        assert (elsewhere.status_code, reason(elsewhere)) == (403, "region_not_allowed")

        assert (await client.get(f"{APPLICATIONS}/{app_id}", headers=approver)).status_code == 200
        foreign = await client.get(f"{APPLICATIONS}/{app_id}", headers=other_approver)
        assert (foreign.status_code, reason(foreign)) == (403, "region_not_allowed")

        full_path = f"{APPLICATIONS}/{app_id}/personal-data"
        no_scope = await client.get(full_path, params={"purpose": "home_visit"}, headers=caseworker)
        assert (no_scope.status_code, reason(no_scope)) == (403, "scope_missing")  # refused at the gateway
        full = await client.get(full_path, params={"purpose": "home_visit"}, headers=approver)
        assert full.status_code == 200, full.text
        assert full.json()["applicant_resident_id"] == number

        trail = await client.get("/v1/eligibility/audit", params={"kind": "pii_read"}, headers=auditor)
        assert trail.status_code == 200, trail.text
        reads = [e for e in trail.json()["items"] if e["target_id"] == app_id]
        assert [(e["actor"], e["purpose"], e["region_code"]) for e in reads] == [
            ("approver-520102", "home_visit", "520102")
        ]
        assert (await client.get("/v1/eligibility/audit/verify", headers=auditor)).json()["ok"] is True
        assert (await client.get("/v1/eligibility/audit", headers=approver)).status_code == 403
        gateway_trail = await client.get("/v1/auth/audit", headers=auditor)
        assert gateway_trail.status_code == 200
        assert any(e["actor"] == "cw-520102" and e["kind"] == "authentication" for e in gateway_trail.json()["items"])

    for name in cluster.processes:  # the full number never reaches a log
        assert number not in cluster.log_text(name), name


async def test_a_citizen_signs_in_by_phone_binds_and_sees_only_their_household(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    phone = "13912345678"
    number = resident_id("52011119900202002")
    caseworker = await create_staff(admin, "cw-520111", ["town_caseworker"], "520111")
    async with cluster.client() as client:
        staff_made = await client.post(
            APPLICATIONS, json=application("520111", "52011119700303003"), headers=caseworker
        )
        assert staff_made.status_code == 201

        assert (await client.post("/v1/auth/citizen/code", json={"phone": phone})).status_code == 202
        code = cluster.code_sent_to(mask_phone(phone))
        login = await client.post("/v1/auth/citizen/login", json={"phone": phone, "code": code})
        assert login.status_code == 200, login.text
        unbound = {"Authorization": f"Bearer {login.json()['access_token']}"}
        before = await client.post(APPLICATIONS, json=application("520111", "52011119900202002"), headers=unbound)
        assert (before.status_code, reason(before)) == (403, "scope_missing")  # bind first

        bound = await client.post(
            "/v1/auth/citizen/bind", json={"name": "王小明", "resident_id": number}, headers=unbound
        )
        assert bound.status_code == 200, bound.text
        citizen = {"Authorization": f"Bearer {bound.json()['access_token']}"}

        own = await client.post(APPLICATIONS, json=application("520111", "52011119900202002"), headers=citizen)
        assert own.status_code == 201, own.text
        assert (await client.get(f"{APPLICATIONS}/{own.json()['id']}", headers=citizen)).status_code == 200
        other = await client.get(f"{APPLICATIONS}/{staff_made.json()['id']}", headers=citizen)
        assert (other.status_code, reason(other)) == (403, "region_not_allowed")
        for_other = await client.post(
            APPLICATIONS,
            json=application("520111", "52011119900202002", household_id=staff_made.json()["household_id"]),
            headers=citizen,
        )
        assert (for_other.status_code, reason(for_other)) == (403, "region_not_allowed")
        register = await client.get("/v1/monitoring/households", headers=citizen)
        assert (register.status_code, reason(register)) == (403, "scope_missing")

    for name in cluster.processes:
        log = cluster.log_text(name)
        assert phone not in log, name
        assert number not in log, name


async def test_a_citizen_bound_by_phone_sees_the_household_the_caseworker_made(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    """The binding resolves through eligibility (the gateway's service token over real HTTP): the
    citizen's household is the one the caseworker's application created, not a new id."""
    phone = "13912345679"
    body17 = "52011119660606005"
    caseworker = await create_staff(admin, "cw-520111-b", ["town_caseworker"], "520111")
    async with cluster.client() as client:
        made = await client.post(APPLICATIONS, json=application("520111", body17), headers=caseworker)
        assert made.status_code == 201, made.text
        assert (await client.post("/v1/auth/citizen/code", json={"phone": phone})).status_code == 202
        login = await client.post(
            "/v1/auth/citizen/login", json={"phone": phone, "code": cluster.code_sent_to(mask_phone(phone))}
        )
        unbound = {"Authorization": f"Bearer {login.json()['access_token']}"}

        bound = await client.post(
            "/v1/auth/citizen/bind", json={"name": "测试申请人", "resident_id": resident_id(body17)}, headers=unbound
        )
        assert bound.status_code == 200, bound.text
        citizen = {"Authorization": f"Bearer {bound.json()['access_token']}"}

        seen = await client.get(f"{APPLICATIONS}/{made.json()['id']}", headers=citizen)
        assert seen.status_code == 200, seen.text
        household = await client.get(f"/v1/eligibility/households/{made.json()['household_id']}", headers=citizen)
        assert household.status_code == 200, household.text
        # the gateway's service token is its own: a citizen cannot call the binding route itself
        direct = await client.post(
            "/v1/eligibility/households/citizen-binding",
            json={"name": "测试申请人", "resident_id": resident_id(body17)},
            headers=citizen,
        )
        assert (direct.status_code, reason(direct)) == (403, "scope_missing")


async def test_a_department_uses_client_credentials_and_signed_pushes(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    key = DepartmentKey()
    client_id, secret = await register_client(
        admin,
        name="市税务局",
        kind="department",
        scopes=["monitoring:households:read", "verification:notices:push"],
        region="520102",
        signing_public_key=key.public_text,
    )
    department = await client_token(cluster, client_id, secret)
    inside = await create_staff(admin, "cw-dept-520102", ["town_caseworker"], "520102")
    outside = await create_staff(admin, "cw-dept-520113", ["town_caseworker"], "520113")
    async with cluster.client() as client:
        households = []
        for headers, county, body in (
            (inside, "520102", "52010219750505005"),
            (outside, "520113", "52011319750505005"),
        ):
            created = await client.post(APPLICATIONS, json=application(county, body), headers=headers)
            assert created.status_code == 201, created.text
            households.append(created.json()["household_id"])
        for household in households:  # both reach the register (the admin sees the whole city)
            await until_registered(admin, household)

        listing = await client.get("/v1/monitoring/households", params={"limit": 500}, headers=department)
        assert listing.status_code == 200, listing.text
        seen = {item["household_id"]: item["region_code"] for item in listing.json()["items"]}
        assert households[0] in seen  # its agreement's region
        assert households[1] not in seen  # not another county's
        assert set(seen.values()) == {"520102"}
        no_scope = await client.get(APPLICATIONS + f"/{uuid.uuid4()}", headers=department)
        assert (no_scope.status_code, reason(no_scope)) == (403, "scope_missing")

        body = json.dumps({"household_id": str(uuid.uuid4())}).encode()
        path = "/v1/verification/notices"  # the push its data-sharing agreement allows
        json_type = {"Content-Type": "application/json"}
        unsigned = await client.post(path, content=body, headers=department | json_type)
        assert (unsigned.status_code, reason(unsigned)) == (401, "signature_missing")
        forged = key.sign_headers("POST", path, b'{"household_id": "forged"}')
        refused = await client.post(path, content=body, headers=department | json_type | forged)
        assert (refused.status_code, reason(refused)) == (401, "signature_invalid")
        signed = key.sign_headers("POST", path, body)
        passed = await client.post(path, content=body, headers=department | json_type | signed)
        # through the gateway's token, scope and signature checks: the service judges the body
        assert passed.status_code == 422, passed.text
        replayed = await client.post(path, content=body, headers=department | json_type | signed)
        assert (replayed.status_code, reason(replayed)) == (401, "signature_replayed")

        wrong_secret = await client.post(
            "/v1/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "not-the-secret")
        )
        assert wrong_secret.status_code == 401


async def test_a_third_party_reaches_only_its_narrow_scope(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    client_id, secret = await register_client(
        admin, name="某银行", kind="third_party", scopes=["eligibility:policies:read"]
    )
    bank = await client_token(cluster, client_id, secret)
    async with cluster.client() as client:
        assert (await client.get("/v1/eligibility/policies", headers=bank)).status_code == 200
        register = await client.get("/v1/monitoring/households", headers=bank)
        assert (register.status_code, reason(register)) == (403, "scope_missing")
        privileged = await register_client_refused(admin)
        assert privileged.status_code == 422


async def register_client_refused(admin: httpx.AsyncClient) -> httpx.Response:
    """A client may never be granted a privileged scope (audit, full PII, administration)."""
    return await admin.post(
        "/v1/auth/clients", json={"name": "越权", "kind": "third_party", "scopes": ["pii:read_full"]}
    )


async def test_bypassing_the_gateway_does_not_bypass_authorisation(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    """Defence in depth: a caller on the internal network who reaches a service directly still
    needs a valid token with the scope, and its refusal is audited by the service."""
    service = cluster.service_urls["eligibility"]
    caseworker = await create_staff(admin, "cw-direct", ["town_caseworker"], "520102")
    async with httpx.AsyncClient(base_url=service, timeout=10, trust_env=False) as direct:
        anonymous = await direct.get("/v1/eligibility/policies")
        assert (anonymous.status_code, reason(anonymous)) == (401, "token_missing")
        forged = await direct.get("/v1/eligibility/policies", headers={"Authorization": "Bearer abc.def.ghi"})
        assert (forged.status_code, reason(forged)) == (401, "token_malformed")
        audit = await direct.get("/v1/eligibility/audit", headers=caseworker)
        assert (audit.status_code, reason(audit)) == (403, "scope_missing")
        assert (await direct.get("/v1/eligibility/policies", headers=caseworker)).status_code == 200


async def test_logout_revokes_and_a_key_rotation_keeps_everyone_signed_in(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    password = "Rotation-Test-2026"
    created = await admin.post(
        "/v1/auth/users",
        json={
            "username": "rotating",
            "password": password,
            "roles": ["county_approver"],
            "region": "520102",
            "display_name": "轮换",
        },
    )
    assert created.status_code == 201
    async with cluster.client() as client:
        before = (await client.post("/v1/auth/login", json={"username": "rotating", "password": password})).json()
        old = {"Authorization": f"Bearer {before['access_token']}"}
        assert (await client.get("/v1/eligibility/policies", headers=old)).status_code == 200

        rotated = await client.post("/v1/auth/keys/rotate", headers=dict(admin.headers))
        assert rotated.status_code == 200, rotated.text
        assert len(rotated.json()["published"]) == 2  # new key and the previous one, during the overlap
        jwks = (await client.get("/.well-known/jwks.json")).json()
        assert {k["kid"] for k in jwks["keys"]} == set(rotated.json()["published"])

        after = (await client.post("/v1/auth/login", json={"username": "rotating", "password": password})).json()
        new = {"Authorization": f"Bearer {after['access_token']}"}
        await asyncio.sleep(1.1)  # services re-read the JWKS for an unknown key id at most once a second
        for headers in (old, new):  # both keys verify, at the gateway and in the service
            assert (await client.get("/v1/eligibility/policies", headers=headers)).status_code == 200

        out = await client.post("/v1/auth/logout", json={"refresh_token": after["refresh_token"]}, headers=new)
        assert out.status_code == 204
        revoked = await client.get("/v1/eligibility/policies", headers=new)
        assert (revoked.status_code, reason(revoked)) == (401, "token_revoked")
        again = await client.post("/v1/auth/refresh", json={"refresh_token": after["refresh_token"]})
        assert again.status_code == 401, again.text
