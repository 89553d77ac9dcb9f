"""Identity values: who can sign in, what they hold, and the state the login rules decide on.

Plain dataclasses: no SQLAlchemy, no FastAPI, no I/O. Secrets appear here only as hashes or
as already-decrypted values held in memory for one use case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ClientKind(StrEnum):
    DEPARTMENT = "department"
    THIRD_PARTY = "third_party"


class SubjectKind(StrEnum):
    """Who a refresh token belongs to."""

    STAFF = "staff"
    CITIZEN = "citizen"


@dataclass(frozen=True, slots=True)
class StaffUser:
    user_id: uuid.UUID
    username: str
    display_name: str
    roles: tuple[str, ...]
    region: str | None
    password_hash: str
    totp_secret: str | None = None
    totp_last_step: int | None = None
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class CitizenIdentity:
    citizen_id: uuid.UUID
    household_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class OAuthClient:
    client_id: str
    name: str
    kind: ClientKind
    scopes: frozenset[str]
    region: str | None
    secret_hash: str
    signing_public_key: str | None = None
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class LockoutState:
    """Consecutive failures of one account key, and until when it is locked (if it is)."""

    failures: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class OtpCode:
    code_id: uuid.UUID
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    consumed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    token_id: uuid.UUID
    family_id: uuid.UUID
    subject_kind: SubjectKind
    subject_id: str
    issued_at: datetime
    expires_at: datetime
    consumed_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SigningKeyRecord:
    kid: str
    algorithm: str
    public_jwk: dict[str, object]
    created_at: datetime
    private_pem: str | None = None
    retired_at: datetime | None = None
    publish_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenSubject:
    """What an access token says about its bearer (the claims beyond iss/aud/times/jti)."""

    subject: str
    kind: str
    roles: tuple[str, ...] = ()
    scopes: frozenset[str] = field(default_factory=frozenset)
    region: str | None = None
    household_id: str | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


@dataclass(frozen=True, slots=True)
class ClientToken:
    access_token: str
    expires_in: int
    scope: str


@dataclass(frozen=True, slots=True)
class NewStaffUser:
    username: str
    password: str
    roles: tuple[str, ...]
    display_name: str
    region: str | None = None


@dataclass(frozen=True, slots=True)
class NewClient:
    name: str
    kind: ClientKind
    scopes: tuple[str, ...]
    region: str | None = None
    signing_public_key: str | None = None


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    """The answer to a registration: the secret is shown here once and never again."""

    client_id: str
    client_secret: str
    name: str
    kind: ClientKind
    scopes: tuple[str, ...]
    region: str | None
