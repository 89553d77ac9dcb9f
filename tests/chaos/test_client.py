"""The chaos harness's staff client (unit, an in-memory transport): an expired access token is
renewed by signing in again and the request sent once more; a second refusal is the caller's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.chaos.harness import Client, Figures, HttpRefusal


class FakeCluster:
    """What `Client` needs of a cluster: an HTTP client to the gateway."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url="http://gateway", transport=httpx.MockTransport(self.handler))


def gateway(tokens: list[str], *, expire_every_token: bool = False) -> Any:
    """Signs in with a fresh token each time; an API call with the first (or any) token is refused
    as expired."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/login":
            tokens.append(f"t{len(tokens)}")
            return httpx.Response(200, json={"access_token": tokens[-1]})
        bearer = request.headers.get("Authorization", "")
        if bearer == "Bearer t0" or expire_every_token:
            return httpx.Response(401, json={"reason": "token_expired", "message": "expired"})
        return httpx.Response(200, json={"seen_with": bearer})

    return handle


async def test_an_expired_token_is_renewed_and_the_request_sent_again() -> None:
    tokens: list[str] = []
    figures = Figures()
    client = Client(FakeCluster(gateway(tokens)), "chaos-li", "pw", figures)
    await client.sign_in()
    assert await client.call("GET", "/v1/eligibility/applications") == {"seen_with": "Bearer t1"}
    assert (tokens, figures.signed_in_again, figures.requests) == (["t0", "t1"], 1, 2)
    await client.http.aclose()


async def test_a_second_refusal_is_not_retried_again() -> None:
    tokens: list[str] = []
    client = Client(FakeCluster(gateway(tokens, expire_every_token=True)), "chaos-li", "pw", Figures())
    await client.sign_in()
    with pytest.raises(HttpRefusal) as refused:
        await client.call("GET", "/v1/eligibility/applications")
    assert (refused.value.status, refused.value.reason, len(tokens)) == (401, "token_expired", 2)
    await client.http.aclose()
