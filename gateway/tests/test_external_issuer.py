"""External issuer (production with an OIDC provider): configuration only. The gateway takes
tokens of the configured issuer, audience and JWKS URL, refuses its own sign-in, and still
enforces the routes' published scopes. Only the JWKS fetch (the network) is replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI

import gateway.main
from gateway.testing import migrated_sqlite, open_gateway, settings_for_tests
from jiuzhu_platform.auth import Principal, TokenVerifier, publish_requirements, requires
from jiuzhu_platform.http_errors import register_exception_handlers
from jiuzhu_platform.testing import TestIssuer

IDP = TestIssuer(issuer="https://idp.example/realms/jiuzhu", audience="jiuzhu-api")
JWKS_URL = "https://idp.example/realms/jiuzhu/protocol/openid-connect/certs"


def upstream() -> FastAPI:
    """A service configured for the same external issuer (it verifies the token again)."""
    app = FastAPI()
    register_exception_handlers(app)
    app.state.token_verifier = TokenVerifier(issuer=IDP.issuer, audience=IDP.audience, keys=IDP.key_source())

    @app.get("/v1/svc/households")
    async def households(principal: Annotated[Principal, requires("monitoring:households:read")]) -> dict[str, str]:
        return {"seen_by": principal.subject}

    publish_requirements(app)
    return app


@pytest.fixture
async def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    fetched: list[str] = []

    async def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return IDP.jwks

    monkeypatch.setattr(gateway.main, "fetch_json", fetch)
    settings = settings_for_tests(
        await migrated_sqlite(tmp_path),
        upstreams={"svc": "http://svc.test"},
        auth_mode="external",
        external_jwks_url=JWKS_URL,
        issuer=IDP.issuer,
        audience=IDP.audience,
    )
    async with open_gateway(settings, transports={"svc": httpx.ASGITransport(app=upstream())}) as (_, http):
        http.fetched = fetched  # type: ignore[attr-defined]
        yield http


async def test_a_token_of_the_external_issuer_reaches_the_service(client: httpx.AsyncClient) -> None:
    token = IDP.token(roles=("county_approver",), region="520102", subject="idp-user-7")

    response = await client.get("/v1/svc/households", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
    assert response.json() == {"seen_by": "idp-user-7"}
    assert set(client.fetched) == {JWKS_URL}  # type: ignore[attr-defined]  # the configured JWKS, nothing else


async def test_scopes_and_issuer_are_still_enforced(client: httpx.AsyncClient) -> None:
    no_scope = IDP.token(roles=("payment_officer",), region="520102")
    other_issuer = TestIssuer(issuer="https://elsewhere.example", audience="jiuzhu-api", kid=IDP.kid)

    refused = await client.get("/v1/svc/households", headers={"Authorization": f"Bearer {no_scope}"})
    foreign = await client.get(
        "/v1/svc/households", headers={"Authorization": f"Bearer {other_issuer.token(roles=('city_admin',))}"}
    )

    assert refused.status_code == 403
    assert refused.json()["reason"] == "scope_missing"
    assert foreign.status_code == 401
    assert foreign.json()["reason"] in ("token_bad_signature", "token_wrong_issuer")


async def test_the_gateway_does_not_sign_anyone_in(client: httpx.AsyncClient) -> None:
    login = await client.post("/v1/auth/login", json={"username": "someone", "password": "Whatever-2026"})

    assert login.status_code == 404, login.text  # the sign-in routes are not mounted at all
