"""POSTing signed callbacks to departments (`on-search`, `on-notify`): one httpx client per
runtime, built on first use and closed with the runtime (`sender_of`). A test may put its own
`CallbackSender` in `runtime.resources[RESOURCE]` first (an ASGI receiver)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, cast

import httpx

from jiuzhu_platform.runtime import Runtime

RESOURCE = "verification.exchange.callbacks"
TIMEOUT_SECONDS = 10.0


class CallbackSender(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> str | None:
        """None when the receiver took it (2xx); otherwise why not (a short code)."""


class HttpCallbackSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> str | None:
        try:
            response = await self.client.post(url, content=body, headers=dict(headers))
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError as error:  # connection refused, bad host, protocol error …
            return type(error).__name__
        except (httpx.InvalidURL, ValueError):  # a host httpx cannot encode (IDNA) …
            return "invalid_url"
        if 200 <= response.status_code < 300:
            return None
        return f"http_{response.status_code}"


def sender_of(runtime: Runtime) -> CallbackSender:
    existing = runtime.resources.get(RESOURCE)
    if existing is None:
        # no redirects (a callback answers where it was registered), no proxies from the environment
        client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)
        existing = runtime.resources[RESOURCE] = HttpCallbackSender(client)
        runtime.close_with(client.aclose)
    return cast(CallbackSender, existing)
