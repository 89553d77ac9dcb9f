"""Keep-alive between the gateway and the services' APIs."""

from __future__ import annotations

import inspect

from gateway.proxy import AiohttpUpstream
from jiuzhu_platform.definition import KEEP_ALIVE_SECONDS


def test_the_services_keep_idle_connections_longer_than_the_gateway_reuses_them() -> None:
    """A service that closes an idle connection while the gateway may still reuse it races the
    next request on it (a 502 now and then, seen by the load harness): the gateway's pool
    keep-alive must be shorter than the services' uvicorn keep-alive."""
    gateway_keepalive = inspect.signature(AiohttpUpstream.__init__).parameters["keepalive_seconds"].default
    assert gateway_keepalive < KEEP_ALIVE_SECONDS
