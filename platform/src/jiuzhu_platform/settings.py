"""Typed settings shared by every service; each service subclasses with its own env prefix.

Required values have no defaults: a missing `ELIGIBILITY_DATABASE_URL` stops the process at
start with a clear message instead of silently using localhost. Outside `dev`, placeholder
secrets (`changethis`, `CHANGE_ME`, …) are refused.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiuzhu_platform.pii import KeyRing

Environment = Literal["dev", "test", "prod"]
BusKind = Literal["kafka", "inprocess"]

PLACEHOLDER_SECRETS = frozenset({"changethis", "change_me", "changeme", "secret", "password", "placeholder"})


def is_placeholder(secret: str) -> bool:
    return secret.strip().lower() in PLACEHOLDER_SECRETS


class PiiKeySettings(BaseModel):
    """Keys for personal data at rest (see `jiuzhu_platform.pii`), from secrets:

    - `pii_keys`: JSON object key id -> base64url AES-256 key, e.g. `{"k2": "…", "k1": "…"}`
    - `pii_active_key`: the id that encrypts new values (the others only decrypt: rotation)
    - `pii_index_key`: base64url HMAC key of the blind indexes

    Generate with `python -m jiuzhu_platform.pii_keys` (prints a fresh set as env lines)."""

    pii_keys: dict[str, SecretStr] = Field(default_factory=dict)
    pii_active_key: str | None = None
    pii_index_key: SecretStr | None = None

    def pii_key_ring(self) -> KeyRing | None:
        """The key ring, or None when no keys are configured (a service holding PII refuses to start)."""
        if not self.pii_keys and self.pii_active_key is None and self.pii_index_key is None:
            return None
        if not self.pii_keys or self.pii_active_key is None or self.pii_index_key is None:
            raise ValueError("pii_keys, pii_active_key and pii_index_key must be set together")
        return KeyRing.from_config(self.pii_keys, self.pii_active_key, self.pii_index_key)


class AuthSettings(BaseModel):
    """How a service verifies bearer tokens (again, behind the gateway: defence in depth).

    The issuer publishes its JWKS at `auth_jwks_url` (the gateway's `/.well-known/jwks.json` in
    embedded and test deployments, an external OIDC provider's `jwks_uri` in production);
    `auth_jwks` holds a JWKS document inline instead (tests, air-gapped setups)."""

    auth_issuer: str = Field(default="jiuzhu-gateway", min_length=1, description="Expected `iss` of tokens")
    auth_audience: str = Field(default="jiuzhu-api", min_length=1, description="Expected `aud` of tokens")
    auth_jwks_url: str | None = Field(default=None, description="JWKS URL of the issuer")
    auth_jwks: str | None = Field(default=None, description="A JWKS document as JSON (instead of the URL)")
    auth_leeway_seconds: float = Field(default=30.0, ge=0, le=300)

    def auth_jwks_document(self) -> dict[str, Any] | None:
        if self.auth_jwks is None:
            return None
        document = json.loads(self.auth_jwks)
        if not isinstance(document, dict):
            raise ValueError("auth_jwks must be a JSON object with a 'keys' list")
        return document


class ServiceSettings(PiiKeySettings, AuthSettings, BaseSettings):
    """Settings every service has. Subclasses set `model_config` with their `env_prefix`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Environment = "prod"
    database_url: SecretStr = Field(description="SQLAlchemy async URL: postgresql+asyncpg://… or sqlite+aiosqlite:///…")
    bus: BusKind = "kafka"
    kafka_bootstrap_servers: str | None = None
    kafka_topic_prefix: str = Field(default="", pattern=r"^[a-zA-Z0-9._-]*$", description="Namespace for topics")
    log_level: str = "INFO"
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_idle_seconds: float = Field(default=0.2, gt=0, le=60)
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_backoff_seconds: float = Field(default=0.2, gt=0, le=60)

    @model_validator(mode="after")
    def _check(self) -> ServiceSettings:
        if self.bus == "kafka" and not self.kafka_bootstrap_servers:
            raise ValueError("kafka_bootstrap_servers is required when bus=kafka")
        if self.env != "dev":
            password = urlsplit(self.database_url.get_secret_value()).password
            if password is not None and is_placeholder(password):
                raise ValueError(f"the database password is a placeholder; set a real secret (env={self.env})")
        return self
