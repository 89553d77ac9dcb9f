"""Typed settings shared by every service; each service subclasses with its own env prefix.

Required values have no defaults: a missing `ELIGIBILITY_DATABASE_URL` stops the process at
start with a clear message instead of silently using localhost. Outside `dev`, placeholder
secrets (`changethis`, `CHANGE_ME`, …) are refused.
"""

from __future__ import annotations

import hmac
import json
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiuzhu_platform.person_ref import DEV_PERSON_REF_KEY, person_ref_key_from_config
from jiuzhu_platform.pii import KeyRing, PiiConfigError

Environment = Literal["dev", "test", "prod"]
BusKind = Literal["kafka", "inprocess"]

PLACEHOLDER_SECRETS = frozenset({"changethis", "change_me", "changeme", "secret", "password", "placeholder"})


METRICS_ACCESS_DOC = (
    "Bearer token Prometheus sends to scrape `/metrics` (`Authorization: Bearer <token>`, e.g. "
    "`bearer_token_file` from a Secret). Set: `/metrics` needs it (401 otherwise). Unset: `/metrics` "
    "answers 404 in `prod` and is open in `dev`/`test`. `/healthz` and `/readyz` stay open for probes."
)


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


class PersonRefKeySettings(BaseModel):
    """The city-wide pseudonymisation key of person references (`jiuzhu_platform.person_ref`):

    - `person_ref_key` (`<SVC>_PERSON_REF_KEY`): base64url of 32 random bytes, the **same value
      in every service** that computes references (a reference only matches one computed under
      the same key), and **different from** the service's `pii_index_key` and `pii_keys`.

    Optional at start-up: only services that compute references need it, and they ask for it
    with `ServiceSettings.person_ref_secret()`, which refuses a missing key outside `dev` (in
    `dev` it falls back to the deterministic, public `DEV_PERSON_REF_KEY`, so an embedded setup
    matches people across services and restarts). A placeholder or empty value is refused
    outside `dev` when the settings load. Generate one with
    `python -c "from jiuzhu_platform.pii import generate_key; print(generate_key())"`, once for the city."""

    person_ref_key: SecretStr | None = Field(default=None, description="City-wide person reference key (base64url)")


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


class AuditAnchorSettings(BaseModel):
    """Anchoring of the audit hash chain (`jiuzhu_platform.audit_anchor`), off unless both paths
    are set:

    - `audit_anchor_key_file` (`<SVC>_AUDIT_ANCHOR_KEY_FILE`): the Ed25519 private key (PEM), a
      mounted secret outside the database (`python -m jiuzhu_platform.audit_anchor keygen PATH`);
    - `audit_anchor_file` (`<SVC>_AUDIT_ANCHOR_FILE`): the append-only file of signed chain heads
      operations keep (created 0600; ship it off the host);
    - `audit_anchor_interval_seconds`: how often the worker signs the head (the window in which
      the newest entries are protected by the chain alone)."""

    audit_anchor_key_file: Path | None = Field(default=None, description="Ed25519 private key (PEM) of audit anchors")
    audit_anchor_file: Path | None = Field(default=None, description="Append-only file of signed audit chain heads")
    audit_anchor_interval_seconds: float = Field(default=300.0, ge=1, le=86_400)

    @model_validator(mode="after")
    def _both_or_neither(self) -> AuditAnchorSettings:
        if (self.audit_anchor_key_file is None) != (self.audit_anchor_file is None):
            raise ValueError("audit_anchor_key_file and audit_anchor_file must be set together")
        return self

    @property
    def audit_anchoring(self) -> bool:
        return self.audit_anchor_key_file is not None and self.audit_anchor_file is not None


class ServiceSettings(PiiKeySettings, PersonRefKeySettings, AuthSettings, AuditAnchorSettings, BaseSettings):
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
    metrics_token: SecretStr | None = Field(default=None, description=METRICS_ACCESS_DOC)

    @model_validator(mode="after")
    def _check(self) -> ServiceSettings:
        if self.bus == "kafka" and not self.kafka_bootstrap_servers:
            raise ValueError("kafka_bootstrap_servers is required when bus=kafka")
        if self.env != "dev":
            password = urlsplit(self.database_url.get_secret_value()).password
            if password is not None and is_placeholder(password):
                raise ValueError(f"the database password is a placeholder; set a real secret (env={self.env})")
            if self.person_ref_key is not None:
                key = self.person_ref_key.get_secret_value()
                if not key.strip() or is_placeholder(key):
                    raise ValueError(
                        f"{self._env_name('PERSON_REF_KEY')} is empty or a placeholder; "
                        f"set the city-wide person reference key (env={self.env})"
                    )
        return self

    def _env_name(self, setting: str) -> str:
        return f"{self.model_config.get('env_prefix', '')}{setting}"

    def person_ref_secret(self) -> bytes:
        """The city-wide person reference key (`jiuzhu_platform.person_ref.person_ref`'s `key`).

        Configured: decoded and checked (32 bytes; not this service's blind-index key nor one of
        its encryption keys; not the public dev key outside `dev`). Not configured: the
        deterministic `DEV_PERSON_REF_KEY` in `dev`, a `ValueError` naming the setting elsewhere.
        """
        name = self._env_name("PERSON_REF_KEY")
        raw = self.person_ref_key.get_secret_value() if self.person_ref_key is not None else ""
        if not raw.strip():
            if self.env == "dev":
                return DEV_PERSON_REF_KEY
            raise ValueError(
                f"{name} is required to compute person references (env={self.env}): the city-wide key, "
                "the same in every service"
            )
        try:
            key = person_ref_key_from_config(raw)
        except PiiConfigError as exc:
            raise ValueError(f"{name}: {exc}") from None
        if self.env != "dev" and hmac.compare_digest(key, DEV_PERSON_REF_KEY):
            raise ValueError(f"{name} is the public dev key; set the city-wide key (env={self.env})")
        ring = self.pii_key_ring()
        if ring is not None and ring.uses_key(key):
            raise ValueError(f"{name} must differ from the service's PII encryption and blind-index keys")
        return key
