"""Rate limiting at the gateway: a token bucket per key. Three uses: per IP on every proxied
request, per authenticated caller (`<kind>:<client id or subject>`) after the token is
verified, and the tighter sign-in limits (per account+IP and per IP) of
`gateway.identity.service.context.LoginThrottle`.

State is in-process, which is right for one replica. With N replicas behind a load balancer
each replica enforces the full limit on the share of traffic it sees, so a caller gets up to
N times the limit: configure each replica with limit/N, or move the buckets to a shared store
(Redis, or the ingress's own limiter). The sign-in lockout does not depend on this: it is
kept in the gateway database and holds across replicas and restarts."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from jiuzhu_platform.errors import DomainError


class RateLimited(DomainError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many requests; retry after {retry_after} s",
            message_zh=f"请求过于频繁，请 {retry_after} 秒后重试",
            headers={"Retry-After": str(retry_after)},
        )


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """`rate` tokens per second, bursts up to `burst`; at most `max_keys` buckets are kept
    (least recently used dropped first), so memory stays bounded whatever the traffic."""

    def __init__(
        self, *, rate: float, burst: int, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def check(self, key: str) -> None:
        """Take one token for `key`, or raise `RateLimited` with the seconds until one is free."""
        now = self.clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1:
            raise RateLimited(max(1, math.ceil((1 - bucket.tokens) / self.rate)))
        bucket.tokens -= 1
