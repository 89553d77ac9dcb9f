"""Minting tokens: what a token says about its bearer (`staff_subject`, `citizen_subject`), the
signed access token, and an access + refresh pair stored in its sign-in (the refresh family).
Used by every sign-in (staff, citizen) and by the refresh rotation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from gateway.identity.adapters.crypto import new_refresh_token, token_digest
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.domain.model import RefreshRecord, StaffUser, SubjectKind, TokenPair, TokenSubject
from gateway.identity.keys import Signer
from gateway.identity.service.context import IdentityConfig

BIND_SCOPE = "auth:identity:bind"
"""The one capability of a citizen token before real-name binding."""
RESOLVE_SCOPE = "eligibility:households:resolve"
"""The gateway's own service token at real-name binding: find or make the citizen's household."""
SERVICE_TOKEN_SECONDS = 60
"""A service token serves one call: it lives a minute, not an access token's lifetime."""


def staff_subject(user: StaffUser) -> TokenSubject:
    return TokenSubject(subject=user.username, kind="staff", roles=user.roles, region=user.region)


def citizen_subject(citizen_id: uuid.UUID, household_id: uuid.UUID | None) -> TokenSubject:
    if household_id is None:
        return TokenSubject(subject=str(citizen_id), kind="citizen", scopes=frozenset({BIND_SCOPE}))
    return TokenSubject(subject=str(citizen_id), kind="citizen", roles=("citizen",), household_id=str(household_id))


def access_token(
    config: IdentityConfig, signer: Signer, subject: TokenSubject, now: datetime, session_id: uuid.UUID | None = None
) -> str:
    claims = rules.access_claims(
        subject,
        issuer=config.issuer,
        audience=config.audience,
        now=now,
        ttl_seconds=config.access_ttl_seconds,
        jti=uuid.uuid4().hex,
        session_id=None if session_id is None else str(session_id),
    )
    return signer.sign(claims)


def service_token(config: IdentityConfig, signer: Signer, now: datetime, *scopes: str) -> str:
    """A short-lived token of the gateway itself (`kind: service`, subject `gateway`) for one call
    to a service on its own behalf; its scopes are only those named (no role)."""
    claims = rules.access_claims(
        TokenSubject(subject="gateway", kind="service", scopes=frozenset(scopes)),
        issuer=config.issuer,
        audience=config.audience,
        now=now,
        ttl_seconds=min(SERVICE_TOKEN_SECONDS, config.access_ttl_seconds),
        jti=uuid.uuid4().hex,
    )
    return signer.sign(claims)


async def issue_pair(
    config: IdentityConfig,
    repository: IdentityRepository,
    signer: Signer,
    subject: TokenSubject,
    *,
    subject_kind: SubjectKind,
    subject_id: str,
    now: datetime,
    family: RefreshRecord | None = None,
) -> TokenPair:
    """An access token and a refresh token; a rotation stays in `family` and keeps its
    expiry (the sign-in's lifetime is absolute, not extended by refreshing)."""
    ttl = config.staff_refresh_ttl_seconds if subject_kind is SubjectKind.STAFF else config.citizen_refresh_ttl_seconds
    expires_at = family.expires_at if family is not None else now + timedelta(seconds=ttl)
    token = new_refresh_token()
    record = RefreshRecord(
        token_id=uuid.uuid4(),
        family_id=family.family_id if family is not None else uuid.uuid4(),
        subject_kind=subject_kind,
        subject_id=subject_id,
        issued_at=now,
        expires_at=expires_at,
    )
    await repository.add_refresh(record, token_digest(token))
    return TokenPair(
        access_token=access_token(config, signer, subject, now, record.family_id),
        expires_in=config.access_ttl_seconds,
        refresh_token=token,
        refresh_expires_in=max(0, int((expires_at - now).total_seconds())),
    )
