"""The issuer's ES256 signing keys: stored in the gateway database (private part encrypted
under the PII key ring), cached in each replica, published as a JWKS, rotated without downtime.

Rotation: `rotate()` adds a new key, which signs from then on, and retires the previous
active key with `publish_until = now + access-token TTL + margin`, so every token the old key
signed still verifies until it expires; after that the old key leaves the JWKS and its private
part is deleted (housekeeping). Each replica re-reads the keys every `cache_seconds` (and at
once on a token naming an unknown `kid`, at most once a second), so the margin covers the
replicas that keep signing with the old key until they notice; it is `cache_seconds` plus
the verifiers' leeway.

This object is also the verifier's `KeySource` in issuer mode (`get_key`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.identity.adapters.crypto import SIGNING_ALGORITHM, generate_signing_key, load_private_key, sign_token
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.domain.model import SigningKeyRecord
from jiuzhu_platform.auth import AuthenticationUnavailable
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import KeyRing

UNKNOWN_KID_REFRESH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Signer:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    def sign(self, claims: dict[str, Any]) -> str:
        return sign_token(claims, self.private_key, self.kid)


class SigningKeys:
    def __init__(
        self,
        database: Database,
        ring: KeyRing,
        *,
        clock: Callable[[], datetime],
        access_ttl_seconds: int,
        cache_seconds: float = 30.0,
        leeway_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.ring = ring
        self.clock = clock
        self.access_ttl_seconds = access_ttl_seconds
        self.cache_seconds = cache_seconds
        self.margin_seconds = cache_seconds + leeway_seconds
        self._monotonic = monotonic
        self._records: list[SigningKeyRecord] = []
        self._private: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._public: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ loading

    async def _load(self) -> None:
        async with self.database.transaction() as session:
            records = await IdentityRepository(session, self.ring).signing_keys()
        self._records = records
        self._public = {r.kid: jwt.PyJWK(r.public_jwk) for r in records}
        self._private = {
            r.kid: self._private.get(r.kid) or load_private_key(r.private_pem)
            for r in records
            if r.private_pem is not None and r.retired_at is None
        }
        self._loaded_at = self._monotonic()

    async def reload(self) -> None:
        async with self._lock:
            await self._load()

    async def _ensure_fresh(self, *, max_age: float | None = None) -> None:
        age = max_age if max_age is not None else self.cache_seconds
        if self._loaded_at is None or self._monotonic() - self._loaded_at >= age:
            async with self._lock:
                if self._loaded_at is None or self._monotonic() - self._loaded_at >= age:
                    await self._load()

    async def bootstrap(self) -> str:
        """Make a signing key if there is no active one; the active key's id."""
        await self.reload()
        active = rules.active_key(self._records)
        if active is not None:
            return active.kid
        return await self.rotate()  # also retires an active key that cannot be decrypted

    # ------------------------------------------------------------------ signing and publishing

    async def signer(self) -> Signer:
        await self._ensure_fresh()
        active = rules.active_key(self._records)
        if active is None or active.kid not in self._private:
            raise AuthenticationUnavailable("signing_key_missing", "the issuer has no signing key")
        return Signer(active.kid, self._private[active.kid])

    def _published(self) -> list[SigningKeyRecord]:
        return rules.published_keys(self._records, self.clock())

    async def jwks(self) -> dict[str, Any]:
        """The public keys that verify: the active key and replaced ones still published."""
        await self._ensure_fresh()
        return {"keys": [dict(r.public_jwk) for r in self._published()]}

    async def get_key(self, kid: str) -> jwt.PyJWK | None:
        """`KeySource` for the token verifier: a published key by id."""
        await self._ensure_fresh()
        if kid not in self._public:
            await self._ensure_fresh(max_age=UNKNOWN_KID_REFRESH_SECONDS)
        record = next((r for r in self._records if r.kid == kid), None)  # on every request: no sorting
        if record is not None and rules.is_published(record, self.clock()):
            return self._public.get(kid)
        return None

    async def rotate(self) -> str:
        """A new active key; the previous one stays published for the access-token TTL plus
        the margin. Returns the new key's id."""
        new = generate_signing_key()
        now = self.clock()
        async with self.database.transaction() as session:
            repository = IdentityRepository(session, self.ring)
            await repository.add_signing_key(new.kid, SIGNING_ALGORITHM, new.private_pem, new.public_jwk, now)
            await repository.retire_signing_keys(
                new.kid,
                now=now,
                publish_until=rules.publish_until(
                    now, access_ttl_seconds=self.access_ttl_seconds, margin_seconds=self.margin_seconds
                ),
            )
        await self.reload()
        return new.kid

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of the published keys as last loaded (the active one first)."""
        return tuple(r.kid for r in self._published())
