"""The deny-list of revoked access tokens (by `jti`, until the token would expire anyway), of
ended sign-ins (by `session_key`), of disabled accounts and clients (by `subject_key`, for one
access-token lifetime after they were disabled: no new token is issued to them, and the ones
they hold are refused), and of accounts whose tokens issued before a moment are refused (by
`issued_before_key`, e.g. after a password change: the tokens of a sign-in made after it are
accepted).

Each replica keeps the list in memory and re-reads it from the database every
`refresh_seconds` (the table only holds tokens revoked within one access-token lifetime, so
it stays small); a revocation made on this replica applies at once, one made on another
replica within `refresh_seconds`. If the list cannot be re-read for `stale_after_seconds`,
`is_revoked` raises, which the verifier turns into a 503 (fail closed)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from gateway.identity.adapters.repository import IdentityRepository
from jiuzhu_platform.auth import Principal
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import KeyRing

logger = logging.getLogger(__name__)


class RevocationUnavailable(RuntimeError):
    pass


BEFORE_PREFIX = "before:"


def session_key(session_id: object) -> str:
    """The deny-list key of a sign-in (the `sid` claim: the refresh-token family)."""
    return f"session:{session_id}"


def account_deny_key(kind: str, account: str) -> str:
    """The deny-list key of an account: `kind` is `client` for OAuth2 clients, else the token's
    `kind` (it shares the `jti` column: the prefix keeps them apart)."""
    return f"subject:{kind}:{account}"


def issued_before_key(kind: str, account: str) -> str:
    """The deny-list key of an account's tokens issued before a cutoff (its `revoked_at`)."""
    return f"{BEFORE_PREFIX}{kind}:{account}"


def subject_key(principal: Principal) -> str:
    """The deny-list key of the account a token belongs to."""
    if principal.client_id is not None:
        return account_deny_key("client", principal.client_id)
    return account_deny_key(principal.kind.value, principal.subject)


class RevocationList:
    def __init__(
        self,
        database: Database,
        ring: KeyRing,
        *,
        clock: Callable[[], datetime],
        refresh_seconds: float = 5.0,
        stale_after_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.ring = ring
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.stale_after_seconds = max(stale_after_seconds, refresh_seconds)
        self._monotonic = monotonic
        self._revoked: dict[str, datetime] = {}
        self._before: dict[str, tuple[datetime, datetime]] = {}  # key -> (cutoff, expires_at)
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def _load(self) -> None:
        now = self.clock()
        self._attempted_at = self._monotonic()
        try:
            async with self.database.transaction() as session:
                entries = await IdentityRepository(session, self.ring).revoked_entries(now)
        except Exception as exc:
            logger.warning("deny-list refresh failed: %s", type(exc).__name__)
            return
        local = {jti: exp for jti, exp in self._revoked.items() if exp > now}
        jtis = [key for key in entries if not key.startswith(BEFORE_PREFIX)]
        self._revoked = {**dict.fromkeys(jtis, now), **local}
        before = {key: (cutoff, now) for key, cutoff in entries.items() if key.startswith(BEFORE_PREFIX)}
        for key, (cutoff, expires_at) in self._before.items():  # made here, maybe not read back yet
            if expires_at > now and (key not in before or before[key][0] < cutoff):
                before[key] = (cutoff, expires_at)
        self._before = before
        self._loaded_at = self._monotonic()

    async def is_revoked(self, principal: Principal) -> bool:
        """The verifier's revocation callback: the token's `jti`, or its subject, is denied."""
        if self._due() or self._stale():
            # A stale list waits for the reload in flight (the lock) rather than failing: after
            # a quiet minute, the requests that race the first one's reload must not get 503s.
            async with self._lock:
                if self._due():
                    await self._load()
        if self._stale():
            raise RevocationUnavailable("the deny-list could not be read")
        keys = [principal.token_id, subject_key(principal)]
        if principal.session_id is not None:
            keys.append(session_key(principal.session_id))
        return any(key in self._revoked for key in keys) or self._issued_before_cutoff(principal)

    def _due(self) -> bool:
        """Time to re-read the list (the last attempt, failed or not, is `refresh_seconds` old)."""
        return self._attempted_at is None or self._monotonic() - self._attempted_at >= self.refresh_seconds

    def _stale(self) -> bool:
        """The list in memory is too old to judge a token by (fail closed)."""
        return self._loaded_at is None or self._monotonic() - self._loaded_at > self.stale_after_seconds

    def _issued_before_cutoff(self, principal: Principal) -> bool:
        """The token was issued before its account's cutoff. `iat` has whole seconds: a token of
        the cutoff's own second counts as after it (the sign-ins the cutoff ends are cut by
        their `session_key` too)."""
        if principal.client_id is not None:
            return False
        entry = self._before.get(issued_before_key(principal.kind.value, principal.subject))
        if entry is None:
            return False
        return principal.issued_at is None or principal.issued_at < int(entry[0].timestamp())

    def add(self, jti: str, expires_at: datetime) -> None:
        """A revocation made here: effective on this replica at once."""
        self._revoked[jti] = expires_at

    def add_issued_before(self, key: str, cutoff: datetime, expires_at: datetime) -> None:
        """An "issued before" revocation made here: effective on this replica at once."""
        current = self._before.get(key)
        if current is None or current[0] < cutoff:
            self._before[key] = (cutoff, expires_at)
