"""The authentication seam. Every proxied request passes through an `Authenticator` before it
is forwarded; the identity & access issue replaces `AnonymousAuthenticator` with JWT and
OAuth2 client-credential checks without touching the proxy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from fastapi import Request


@dataclass(frozen=True)
class Principal:
    subject: str
    kind: str  # staff | citizen | department | third_party | anonymous
    scopes: frozenset[str] = field(default_factory=frozenset)


class Authenticator(Protocol):
    async def authenticate(self, request: Request, service: str) -> Principal:
        """Return the caller, or raise a `jiuzhu_platform.errors.DomainError` (401/403)."""
        ...


class AnonymousAuthenticator:
    """Lets every request through as `anonymous` (until authentication lands)."""

    async def authenticate(self, request: Request, service: str) -> Principal:
        return Principal(subject="anonymous", kind="anonymous")
