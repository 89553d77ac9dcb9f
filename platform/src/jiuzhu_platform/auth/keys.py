"""The issuer's public keys: JWKS documents, a fixed set, and a remote set cached by `kid`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import jwt

logger = logging.getLogger(__name__)


ASYMMETRIC_ALGORITHMS: frozenset[str] = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
DEFAULT_ALGORITHMS: tuple[str, ...] = ("ES256", "RS256", "EdDSA")

_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def load_jwks(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The usable verification keys of a JWKS document, by `kid`.

    Skipped: entries without a `kid`, symmetric (`oct`) keys, keys not for signatures
    (`use` other than `sig`), keys of non-asymmetric algorithms and keys PyJWT cannot load.
    Private members are dropped. The first key of a duplicated `kid` wins."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("a JWKS document needs a 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or kid in keys:
            continue
        if entry.get("kty") == "oct" or entry.get("use", "sig") != "sig":
            continue
        public = {name: value for name, value in entry.items() if name not in _PRIVATE_JWK_MEMBERS}
        try:
            key = jwt.PyJWK(public)
        except (jwt.PyJWTError, ValueError, TypeError):
            logger.warning("JWKS key %s skipped: it cannot be loaded", kid)
            continue
        if key.algorithm_name not in ASYMMETRIC_ALGORITHMS:
            continue
        keys[kid] = key
    return keys


class KeySource(Protocol):
    """Where a verifier finds the public key a token's `kid` names."""

    async def get_key(self, kid: str) -> jwt.PyJWK | None: ...


class StaticKeySet:
    """A fixed JWKS (embedded and test modes). Two keys in it = a rotation in progress."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = load_jwks(jwks)
        if not self._keys:
            raise ValueError("the JWKS holds no usable signature key")

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    async def get_key(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get(kid)


class RemoteJwks:
    """The issuer's published JWKS, fetched with `http_get(url)` and cached by `kid`.

    - A cached key is served while the set is younger than `ttl_seconds`.
    - An unknown `kid`, or an expired set, triggers a refresh, but at most one attempt per
      `min_refresh_interval` seconds (successful or not): a flood of bogus kids costs the
      issuer one request per interval. Concurrent callers share one refresh.
    - A failed or empty fetch keeps the previous keys (stale keys beat an outage); a
      successful one replaces them (a key removed by the issuer stops verifying).

    `clock` is monotonic seconds (injectable for tests). Use one instance per event loop."""

    def __init__(
        self,
        url: str,
        http_get: Callable[[str], Awaitable[Mapping[str, Any]]],
        *,
        ttl_seconds: float = 300.0,
        min_refresh_interval: float = 30.0,
        fetch_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0 or min_refresh_interval < 0 or fetch_timeout <= 0:
            raise ValueError("ttl_seconds and fetch_timeout must be positive, min_refresh_interval not negative")
        self.url = url
        self._http_get = http_get
        self._ttl = ttl_seconds
        self._min_interval = min_refresh_interval
        self._fetch_timeout = fetch_timeout
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self._ttl

    def _may_refresh(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_interval

    async def get_key(self, kid: str) -> jwt.PyJWK | None:
        if kid in self._keys and self._fresh(self._clock()):
            return self._keys[kid]
        # Join a refresh in flight (a cold start under load must not 401 everyone but the
        # first caller); otherwise start one if the interval allows.
        if self._lock.locked() or self._may_refresh(self._clock()):
            async with self._lock:
                now = self._clock()  # re-check: another task may have refreshed meanwhile
                if not (kid in self._keys and self._fresh(now)) and self._may_refresh(now):
                    await self._refresh(now)
        return self._keys.get(kid)

    async def refresh(self) -> None:
        """Fetch the key set now (for example at startup), regardless of the interval."""
        async with self._lock:
            await self._refresh(self._clock())

    async def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            document = await asyncio.wait_for(self._http_get(self.url), timeout=self._fetch_timeout)
            keys = load_jwks(document)
        except Exception as exc:  # the issuer being down must not become a 500
            logger.warning("JWKS refresh from %s failed: %s", self.url, type(exc).__name__)
            return
        if not keys:
            logger.warning("JWKS from %s holds no usable key; keeping the previous keys", self.url)
            return
        self._keys = keys
        self._fetched_at = now
