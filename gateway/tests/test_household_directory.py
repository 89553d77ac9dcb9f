"""Real-name binding asks eligibility for the household (`EligibilityHouseholds`): with the
gateway's own short-lived service token, the answer becomes the citizen's household; a refusal
is relayed in the common shape; an unreachable or failing register refuses the binding and
leaves the account unbound (a retry then succeeds).

The household owner here is a small ASGI stand-in answering as eligibility's route does (the
real route is tested in `services/eligibility/tests/households/test_citizen_binding.py`, and
the two together over real HTTP in `tests/e2e/test_identity_flow.py`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.identity.adapters.households import RESOLVE_PATH, EligibilityHouseholds, HouseholdRegisterUnavailable
from gateway.identity.service.tokens import RESOLVE_SCOPE, service_token
from gateway.proxy import AiohttpUpstream
from gateway.testing import Harness, open_harness
from jiuzhu_platform.auth import PrincipalKind
from shared.types import ResidentId, resident_id_check_digit

pytestmark = pytest.mark.timeout(120)

HOUSEHOLD = uuid.UUID("5a1e0000-0000-4000-8000-000000000001")


def resident_id(body17: str = "52010219800101051") -> str:
    return body17 + resident_id_check_digit(body17)


@dataclass
class Register:
    """What eligibility answers next, and what it was sent."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"household_id": str(HOUSEHOLD)})
    calls: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(RESOLVE_PATH)
        async def resolve(request: Request) -> JSONResponse:
            token = request.headers["authorization"].removeprefix("Bearer ")
            self.calls.append((jwt.decode(token, options={"verify_signature": False}), await request.json()))
            return JSONResponse(self.body, status_code=self.status)

        return app


async def unbound(gw: Harness, phone: str) -> dict[str, str]:
    pair = await gw.citizen_tokens(phone)
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def bind(gw: Harness, phone: str | dict[str, str], number: str) -> Any:
    headers = await unbound(gw, phone) if isinstance(phone, str) else phone
    return await gw.client.post("/v1/auth/citizen/bind", json={"name": "张三", "resident_id": number}, headers=headers)


async def test_the_household_comes_from_eligibility_with_a_service_token(database_url: str) -> None:
    register = Register()
    async with open_harness(database_url, upstreams={"eligibility": register.app()}) as gw:
        bound = await bind(gw, "13812340001", resident_id())

        assert bound.status_code == 200, bound.text
        principal = await gw.runtime.token_verifier.verify(bound.json()["access_token"])
        assert principal.household_id == str(HOUSEHOLD)
        [(claims, body)] = register.calls
        assert body == {"name": "张三", "resident_id": resident_id()}
        assert (claims["kind"], claims["sub"], claims["scope"], claims["roles"]) == (
            "service",
            "gateway",
            "eligibility:households:resolve",
            [],
        )
        assert claims["exp"] - claims["iat"] <= 60
        # the services' verifier accepts such a token as a service principal holding only that scope
        context = gw.identity.context
        token = service_token(context.config, await context.keys.signer(), gw.clock(), RESOLVE_SCOPE)
        service = await gw.runtime.token_verifier.verify(token)
        assert (service.kind, service.scopes) == (PrincipalKind.SERVICE, frozenset({RESOLVE_SCOPE}))


async def test_binding_again_does_not_ask_again(database_url: str) -> None:
    register = Register()
    async with open_harness(database_url, upstreams={"eligibility": register.app()}) as gw:
        citizen = await unbound(gw, "13812340002")
        first = await bind(gw, citizen, resident_id())
        again = await bind(gw, citizen, resident_id())

        assert (first.status_code, again.status_code) == (200, 200)
        assert len(register.calls) == 1


async def test_a_refusal_of_the_register_is_relayed_and_nothing_is_bound(database_url: str) -> None:
    register = Register(
        status=400,
        body={
            "error": "RegionUnknown",
            "reason": "region_unknown",
            "detail": "the resident ID's address code is not a current Guiyang county",
            "message_zh": "身份证号码的地址码不是贵阳市现行县级行政区划",
        },
    )
    async with open_harness(database_url, upstreams={"eligibility": register.app()}) as gw:
        refused = await bind(gw, "13812340003", resident_id("11010119800101052"))

        assert refused.status_code == 400, refused.text
        assert refused.json()["reason"] == "region_unknown"
        assert refused.json()["message_zh"]


@pytest.mark.parametrize("status", [500, 503, 403, 200])
async def test_a_failing_register_refuses_the_binding_and_a_retry_succeeds(database_url: str, status: int) -> None:
    """500/503: the register is down; 403: it refused the gateway's own token (configuration);
    200 with a body that is no answer. Each is a 503 to the citizen, and nothing is bound."""
    register = Register(status=status, body={"unexpected": True})
    async with open_harness(database_url, upstreams={"eligibility": register.app()}) as gw:
        citizen = await unbound(gw, "13812340004")
        failed = await bind(gw, citizen, resident_id())
        assert failed.status_code == 503, failed.text
        assert failed.json()["reason"] == "household_register_unavailable"

        register.status, register.body = 200, {"household_id": str(HOUSEHOLD)}
        retried = await bind(gw, citizen, resident_id())

        assert retried.status_code == 200, retried.text
        principal = await gw.runtime.token_verifier.verify(retried.json()["access_token"])
        assert principal.household_id == str(HOUSEHOLD)


async def test_the_directory_itself_refuses_an_unreachable_register(database_url: str) -> None:
    """An upstream that cannot be reached at all (nothing listens on port 9): the adapter's answer."""
    upstream = AiohttpUpstream("eligibility", "http://127.0.0.1:9", timeout_seconds=2, connect_timeout_seconds=2)
    try:
        with pytest.raises(HouseholdRegisterUnavailable):
            await EligibilityHouseholds(upstream).household_of(
                "张三", ResidentId(resident_id()), service_token="x", now=datetime.now(UTC)
            )
    finally:
        await upstream.aclose()
