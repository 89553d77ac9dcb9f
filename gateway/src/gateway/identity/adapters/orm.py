"""The gateway's own tables (SQLAlchemy Core), in its own database.

Personal data and key material are stored encrypted (`jiuzhu_platform.pii.encrypt`, text
columns named below) by the repository, and found by blind index (`*_bidx`). Secrets that
are only ever compared (passwords, client secrets, one-time codes, refresh tokens) are
stored as hashes only."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text, Uuid

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.pii import BLIND_INDEX_LENGTH
from jiuzhu_platform.tables import UtcDateTime, make_metadata

metadata = make_metadata()

staff_user = Table(
    "staff_user",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("roles", String(500), nullable=False),  # space-separated
    Column("region", String(12), nullable=True),
    Column("password_hash", String(255), nullable=False),
    Column("totp_secret", Text, nullable=True),  # encrypted: gateway.staff_user.totp_secret
    Column("totp_last_step", Integer, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
)

citizen_identity = Table(
    "citizen_identity",
    metadata,
    Column("citizen_id", Uuid, primary_key=True),
    Column("phone", Text, nullable=False),  # encrypted: gateway.citizen_identity.phone
    Column("phone_bidx", String(BLIND_INDEX_LENGTH), nullable=False, unique=True),
    Column("name", Text, nullable=True),  # encrypted: gateway.citizen_identity.name
    Column("resident_id", Text, nullable=True),  # encrypted: gateway.citizen_identity.resident_id
    # one resident ID, one phone account at a time (NULL while unbound: NULLs never collide)
    Column("resident_id_bidx", String(BLIND_INDEX_LENGTH), nullable=True, unique=True),
    Column("household_id", Uuid, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("bound_at", UtcDateTime(), nullable=True),
    Column("last_login_at", UtcDateTime(), nullable=True),
)

resident_household = Table(
    "resident_household",
    metadata,
    Column("resident_id_bidx", String(BLIND_INDEX_LENGTH), primary_key=True),
    Column("household_id", Uuid, nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
)
"""One household id per resident ID (by blind index): the same person always gets the same one."""

oauth_client = Table(
    "oauth_client",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    Column("scopes", Text, nullable=False),  # space-separated
    Column("region", String(12), nullable=True),
    Column("signing_public_key", Text, nullable=True),  # Ed25519, raw base64url or PEM
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime(), nullable=True),
)

signing_key = Table(
    "signing_key",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("private_key", Text, nullable=True),  # encrypted PEM (gateway.signing_key.private_key); NULL once retired
    Column("public_jwk", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("retired_at", UtcDateTime(), nullable=True),
    Column("publish_until", UtcDateTime(), nullable=True),
)

refresh_token = Table(
    "refresh_token",
    metadata,
    Column("token_id", Uuid, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex of the token
    Column("family_id", Uuid, nullable=False, index=True),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Column("consumed_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

revoked_token = Table(
    "revoked_token",
    metadata,
    Column("jti", String(256), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Column("revoked_at", UtcDateTime(), nullable=False),
)

otp_code = Table(
    "otp_code",
    metadata,
    Column("code_id", Uuid, primary_key=True),
    Column("phone_bidx", String(BLIND_INDEX_LENGTH), nullable=False, index=True),
    Column("code_hash", String(255), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("consumed_at", UtcDateTime(), nullable=True),
)

login_lockout = Table(
    "login_lockout",
    metadata,
    Column("account_key", String(128), primary_key=True),  # staff:<username> | citizen:<phone blind index>
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False, index=True),
)

request_nonce = Table(
    "request_nonce",
    metadata,
    Column("client_id", String(64), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("seen_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("client_id", "nonce"),
    Index("ix_request_nonce_seen_at", "seen_at"),
)

audit_entry = define_audit_table(metadata)
