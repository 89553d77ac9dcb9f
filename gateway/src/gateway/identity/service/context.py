"""What every identity use case shares: the dependencies (`IdentityContext`, built once by
`IdentityService.build`), the configuration, the in-process sign-in throttle, and the rule for
caller-typed text in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gateway.identity.adapters.audit import AuditLog
from gateway.identity.adapters.crypto import SecretHasher
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.keys import SigningKeys
from gateway.identity.revocation import RevocationList
from gateway.limits import TokenBucketLimiter
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import KeyRing

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    issuer: str
    audience: str
    access_ttl_seconds: int = 300
    staff_refresh_ttl_seconds: int = 8 * 3600
    citizen_refresh_ttl_seconds: int = 30 * 86400
    lockout: rules.LockoutPolicy = field(default_factory=rules.LockoutPolicy)
    otp: rules.OtpPolicy = field(default_factory=rules.OtpPolicy)
    login_attempts_per_minute: int = 5
    login_ip_attempts_per_minute: int = 30


class LoginThrottle:
    """In-process token buckets: per account+IP and per IP. One replica's view; with several
    replicas each enforces its own share (the database lockout is the shared, hard limit)."""

    def __init__(self, per_account_ip: int, per_ip: int) -> None:
        self.account_ip = TokenBucketLimiter(rate=per_account_ip / 60, burst=per_account_ip)
        self.ip = TokenBucketLimiter(rate=per_ip / 60, burst=per_ip)

    def check(self, account_key: str, ip: str) -> None:
        self.ip.check(ip)
        self.account_ip.check(f"{account_key}|{ip}")


@dataclass(frozen=True, slots=True)
class IdentityContext:
    """The dependencies of the identity use cases. Each use case is the unit-of-work edge of
    its part (like a worker's `database.transaction()`) and opens its own short transactions."""

    database: Database
    ring: KeyRing
    keys: SigningKeys
    hasher: SecretHasher
    audit: AuditLog
    revocations: RevocationList
    config: IdentityConfig
    clock: Callable[[], datetime]
    throttle: LoginThrottle

    def repository(self, session: AsyncSession) -> IdentityRepository:
        return IdentityRepository(session, self.ring)

    def deny_until(self, now: datetime) -> datetime:
        """How long a deny-list entry must live: until every access token it covers has expired."""
        return now + timedelta(seconds=self.config.access_ttl_seconds + 60)


def audit_text(value: str, limit: int = 200) -> str:
    """Caller-typed text for the audit trail: control characters (NUL included, which the
    trail and the databases refuse) escaped, cut to `limit`."""
    if value.isprintable():
        return value[:limit]
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value)[:limit]
