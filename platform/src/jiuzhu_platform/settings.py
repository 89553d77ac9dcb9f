"""Typed settings shared by every service; each service subclasses with its own env prefix.

Required values have no defaults: a missing `ELIGIBILITY_DATABASE_URL` stops the process at
start with a clear message instead of silently using localhost. Outside `dev`, placeholder
secrets (`changethis`, `CHANGE_ME`, …) are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiuzhu_platform.bus import KafkaSecurity
from jiuzhu_platform.person_ref import DEV_PERSON_REF_KEY, person_ref_key_from_config
from jiuzhu_platform.pii import KeyRing, PiiConfigError
from jiuzhu_platform.tracing import TracingMode

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


DEV_ONLY_PASSWORD_PREFIX = "dev-only"  # noqa: S105 (the marker of public dev values, refused)
"""Database passwords of the development stacks (docker compose, the k8s `dev` overlay) start
with this, and are refused outside `dev`."""

PUBLIC_DEV_KEY_PURPOSES = ("pii-dev1", "pii-index")


def public_dev_key(owner: str, purpose: str) -> str:
    """The public, deterministic dev-only key of `owner` (a service or `gateway`) for `purpose`
    (`pii-dev1`: its PII key `dev1`; `pii-index`: its blind-index key), as the development stacks
    configure it. Anyone can compute it, so every service refuses it outside `dev`: copying a
    dev stack's settings into production cannot go unnoticed."""
    digest = hashlib.sha256(f"jiuzhu.dev-only.{owner}.{purpose} (public; refused outside env=dev)".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_secret_reason(secret: str, owner: str) -> str | None:
    """Why `secret` must not be used outside `dev` (a placeholder, a dev-only password, a public
    dev key of `owner`), or None."""
    if is_placeholder(secret):
        return "a placeholder"
    if secret.strip().lower().startswith(DEV_ONLY_PASSWORD_PREFIX):
        return "a dev-only value"
    if any(hmac.compare_digest(secret.strip(), public_dev_key(owner, p)) for p in PUBLIC_DEV_KEY_PURPOSES):
        return "a public dev-only key"
    return None


def refuse_public_secrets(settings: PiiKeySettings, *, owner: str, env: str, database_url: SecretStr | None) -> None:
    """Outside `dev`: no placeholder, dev-only password or public dev key in the database URL or
    the PII key ring (a `ValueError` naming what, never the value)."""
    if env == "dev":
        return
    candidates: list[tuple[str, str]] = []
    if database_url is not None:
        password = urlsplit(database_url.get_secret_value()).password
        if password is not None:
            candidates.append(("the database password", password))
    candidates += [(f"PII key {kid!r}", key.get_secret_value()) for kid, key in settings.pii_keys.items()]
    if settings.pii_index_key is not None:
        candidates.append(("the PII blind-index key", settings.pii_index_key.get_secret_value()))
    for what, value in candidates:
        reason = public_secret_reason(value, owner)
        if reason is not None:
            raise ValueError(f"{what} is {reason}; set a real secret (env={env})")


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
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(
        default=None, description="The brokers' CA (PEM file), e.g. Strimzi's cluster CA"
    )
    log_level: str = "INFO"
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_idle_seconds: float = Field(default=0.2, gt=0, le=60)
    consumer_max_attempts: int = Field(default=5, ge=1, le=100)
    consumer_backoff_seconds: float = Field(default=0.2, gt=0, le=60)
    metrics_token: SecretStr | None = Field(default=None, description=METRICS_ACCESS_DOC)
    tracing: TracingMode = Field(
        default="off",
        description="OpenTelemetry traces: `off`, `otlp` (to `otlp_endpoint`) or `console` (jiuzhu_platform.tracing)",
    )
    otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP endpoint of the collector, e.g. http://otel-collector:4318"
    )
    business_metrics_refresh_seconds: float = Field(
        default=30.0, ge=0, le=3600, description="Business metrics on /metrics are recomputed at most this often"
    )
    worker_heartbeat_file: str | None = Field(
        default=None,
        description="File the worker keeps fresh while its relay and consumers turn (the liveness probe "
        "reads it: `python -m jiuzhu_platform.heartbeat FILE`); unset: no heartbeat",
    )

    @model_validator(mode="after")
    def _check(self) -> ServiceSettings:
        if self.bus == "kafka" and not self.kafka_bootstrap_servers:
            raise ValueError("kafka_bootstrap_servers is required when bus=kafka")
        if self.kafka_security_protocol.startswith("SASL") and not (
            self.kafka_sasl_username and self.kafka_sasl_password and self.kafka_sasl_password.get_secret_value()
        ):
            raise ValueError(
                f"kafka_sasl_username and kafka_sasl_password are required with {self.kafka_security_protocol}"
            )
        owner = str(self.model_config.get("env_prefix", "")).rstrip("_").lower()
        refuse_public_secrets(self, owner=owner, env=self.env, database_url=self.database_url)
        if self.env != "dev" and self.person_ref_key is not None:
            key = self.person_ref_key.get_secret_value()
            if not key.strip() or is_placeholder(key):
                raise ValueError(
                    f"{self._env_name('PERSON_REF_KEY')} is empty or a placeholder; "
                    f"set the city-wide person reference key (env={self.env})"
                )
        return self

    def kafka_security(self) -> KafkaSecurity:
        return KafkaSecurity(
            protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None,
            ssl_cafile=self.kafka_ssl_cafile,
        )

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
