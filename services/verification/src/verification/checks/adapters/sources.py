"""The department connectors of a runtime, built once from the settings and shared by the API,
the consumer and the checks job (`fanout_of(runtime)`), closed with the runtime.

- `VERIFICATION_SOURCE_URLS` (per source) and `VERIFICATION_DEPARTMENTS_URL` (one base for all:
  the department simulator) point the connectors at departments over HTTP;
- neither in `dev`: the simulator runs in-process (`make run` needs no other process);
- neither outside `dev`: no source is configured, every query ends `not_configured` (the
  report says so) — production configures real URLs.
A test may put its own `FanOut` in `runtime.resources[RESOURCE]` first.

Over the network the connectors' httpx client sends through aiohttp (`httpx-aiohttp`, by an httpx
maintainer): httpcore's pool scans every pooled connection on every request, which at hundreds
of concurrent department queries cost more CPU than the queries themselves (see
services/verification/bench/bench_checks.py)."""

from __future__ import annotations

from typing import cast

import httpx
from httpx_aiohttp import AiohttpTransport

from jiuzhu_platform.runtime import Runtime
from verification.checks.adapters.fanout import FanOut, FanOutPolicy
from verification.departments.connectors import build_connectors, simulator_urls
from verification.departments.domain.model import Source
from verification.settings import Settings

RESOURCE = "verification.fanout"


def policy_of(settings: Settings) -> FanOutPolicy:
    return FanOutPolicy(
        timeout_seconds=settings.query_timeout_seconds,
        attempts=settings.query_attempts,
        breaker_failures=settings.breaker_failures,
        breaker_reset_seconds=settings.breaker_reset_seconds,
        max_concurrency=settings.max_concurrent_queries,
    )


def build_fanout(settings: Settings) -> FanOut:
    urls: dict[Source, str] = {}
    transport: httpx.AsyncBaseTransport | None = None
    if settings.departments_url is not None:
        urls = simulator_urls(str(settings.departments_url))
    elif settings.env == "dev" and not settings.source_urls:
        from verification.departments.simulator import create_simulator_app

        transport = httpx.ASGITransport(app=create_simulator_app(seed=settings.simulator_seed))
        urls = simulator_urls("http://departments.embedded")
    urls.update({Source(name): str(url) for name, url in settings.source_urls.items()})
    limits = httpx.Limits(max_connections=settings.max_concurrent_queries, max_keepalive_connections=64)
    if transport is None:
        transport = AiohttpTransport(limits=limits, trust_env=False)
    client = httpx.AsyncClient(transport=transport, timeout=settings.query_timeout_seconds + 1, trust_env=False)
    fanout = FanOut(build_connectors(urls, client=client), policy_of(settings))
    fanout.closers.append(client.aclose)
    return fanout


def fanout_of(runtime: Runtime) -> FanOut:
    existing = runtime.resources.get(RESOURCE)
    if existing is None:
        existing = runtime.resources[RESOURCE] = build_fanout(cast(Settings, runtime.settings))
        runtime.close_with(existing.aclose)
    return cast(FanOut, existing)
