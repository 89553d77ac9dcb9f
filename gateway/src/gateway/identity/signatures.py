"""Request signatures of department pushes (see `rules.canonical_request`): the edge that reads
the headers, finds the client's registered Ed25519 key, checks the signature and remembers the
nonce (unique per client in the database, so a replay is refused on every replica)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Request

from gateway.identity.adapters.audit import AuditLog, entry
from gateway.identity.adapters.crypto import load_ed25519_public_key, verify_ed25519
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.domain.errors import SignatureRefused
from jiuzhu_platform.auth import Principal
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import KeyRing

TIMESTAMP_HEADER = "x-jiuzhu-timestamp"
NONCE_HEADER = "x-jiuzhu-nonce"
SIGNATURE_HEADER = "x-jiuzhu-signature"


def raw_target(request: Request) -> str:
    """The path and query exactly as sent (what the signature covers)."""
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    return (raw_path + (b"?" + query if query else b"")).decode("latin-1")


class RequestSignatures:
    def __init__(
        self,
        database: Database,
        ring: KeyRing,
        *,
        audit: AuditLog | None,
        clock: Callable[[], datetime],
        window_seconds: int = 300,
        key_cache_seconds: float = 60.0,
    ) -> None:
        self.database = database
        self.ring = ring
        self.audit = audit
        self.clock = clock
        self.window_seconds = window_seconds
        self.key_cache_seconds = key_cache_seconds
        self._keys: dict[str, tuple[float, Ed25519PublicKey | None]] = {}

    async def _public_key(self, client_id: str) -> Ed25519PublicKey | None:
        cached = self._keys.get(client_id)
        if cached is not None and time.monotonic() - cached[0] < self.key_cache_seconds:
            return cached[1]
        async with self.database.transaction() as session:
            client = await IdentityRepository(session, self.ring).client(client_id)
        key = None
        if client is not None and not client.disabled and client.signing_public_key:
            try:
                key = load_ed25519_public_key(client.signing_public_key)
            except ValueError:
                key = None
        self._keys[client_id] = (time.monotonic(), key)
        return key

    async def verify(self, request: Request, principal: Principal, body: bytes, *, route: str | None) -> None:
        """Raise `SignatureRefused` (401) unless the request is signed by the client's key with
        a fresh timestamp and an unused nonce; refusals are audited."""
        try:
            await self._verify(request, principal, body)
        except SignatureRefused as refused:
            if self.audit is not None:
                await self.audit.record(
                    entry(
                        "authorization_refused",
                        refused.reason,
                        actor=principal.subject,
                        actor_kind=principal.kind.value,
                        role=principal.role_label,
                        region_code=principal.region_code,
                        route=route,
                        method=request.method,
                    )
                )
            raise

    async def _verify(self, request: Request, principal: Principal, body: bytes) -> None:
        now = self.clock()
        headers = rules.parse_signature_headers(
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(NONCE_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            now=now,
            window_seconds=self.window_seconds,
        )
        client_id = principal.client_id or principal.subject
        key = await self._public_key(client_id)
        if key is None:
            raise SignatureRefused("signature_key_unknown")
        message = rules.canonical_request(
            request.headers[TIMESTAMP_HEADER], headers.nonce, request.method, raw_target(request), body
        )
        if not verify_ed25519(key, headers.signature, message):
            raise SignatureRefused("signature_invalid")
        async with self.database.transaction() as session:
            fresh = await IdentityRepository(session, self.ring).remember_nonce(client_id, headers.nonce, now)
        if not fresh:
            raise SignatureRefused("signature_replayed")
