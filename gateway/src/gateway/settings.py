"""Gateway settings (env prefix `GATEWAY_`).

Two ways to run authentication (`auth_mode`):

- `issuer` (default): the gateway is the token issuer. It holds the identity database
  (`database_url`, required), signs ES256 access tokens with keys stored encrypted under the
  PII key ring (`GATEWAY_PII_KEYS` / `GATEWAY_PII_ACTIVE_KEY` / `GATEWAY_PII_INDEX_KEY`, which
  also encrypt citizens' phones and resident IDs), and verifies its own tokens.
- `external`: an external OIDC provider issues the tokens; the gateway only verifies them
  against `external_jwks_url` with the configured `issuer` and `audience` (configuration only).
  A database is then optional: with one, the gateway keeps its deny-list, audit trail and the
  registered department keys for request signatures.

Outside `env=dev`, placeholder secrets are refused and the PII key ring is required in issuer
mode. In `dev` without keys the ring comes from `pii_dev_key_file` (made on first use) or, when
that is unset too, is generated per process (encrypted rows then do not survive a restart).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiuzhu_platform.pii import KeyRing
from jiuzhu_platform.pii_keys import dev_key_settings
from jiuzhu_platform.settings import METRICS_ACCESS_DOC, Environment, PiiKeySettings, refuse_public_secrets
from jiuzhu_platform.tracing import TracingMode

logger = logging.getLogger(__name__)

AuthMode = Literal["issuer", "external"]


def is_issuer_url(issuer: str) -> bool:
    """An OpenID Connect issuer identifier: https, a host, no query or fragment."""
    parts = urlsplit(issuer)
    return parts.scheme == "https" and bool(parts.hostname) and not parts.query and not parts.fragment


RESERVED_SERVICE_NAMES = frozenset({"auth"})
"""Path segments under `/v1/` that belong to the gateway itself and are never proxied."""


class Settings(PiiKeySettings, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    env: Environment = "prod"
    upstreams: dict[str, AnyHttpUrl] = Field(
        description='JSON object: service name -> base URL, e.g. {"eligibility": "http://eligibility:8000"}'
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1, description="Largest request body accepted (413 above)")
    metrics_token: SecretStr | None = Field(default=None, description=METRICS_ACCESS_DOC)
    tracing: TracingMode = Field(default="off", description="OpenTelemetry traces: `off`, `otlp` or `console`")
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint, e.g. http://otel-collector:4318")
    connect_timeout_seconds: float = Field(default=3.0, gt=0)
    upstream_timeout_seconds: float = Field(default=30.0, gt=0, description="Read/write timeout per upstream call")
    log_level: str = "INFO"
    rate_limit_per_second: float = Field(default=50.0, gt=0, description="Sustained requests per second per IP")
    rate_limit_burst: int = Field(default=200, ge=1, description="Requests an IP may make at once")
    client_rate_limit_per_second: float = Field(
        default=20.0, gt=0, description="Sustained requests per second per authenticated caller (subject/client id)"
    )
    client_rate_limit_burst: int = Field(default=100, ge=1, description="Requests an authenticated caller may burst")
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses/networks of the load balancers in front (e.g. the ingress "
        "controller's addresses): only their X-Forwarded-For is believed, so per-IP limits and "
        "lock-outs see the real caller. Empty (the default): nobody's, not even loopback's (a local "
        "process could otherwise claim any address and sidestep the per-IP limits). `*` trusts everyone "
        "(never on a public port)",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description='Web console origins allowed by CORS, e.g. ["https://console.example"]'
    )

    # --- identity and tokens
    database_url: SecretStr | None = Field(
        default=None, description="Gateway database (SQLAlchemy async URL); required in issuer mode"
    )
    auth_mode: AuthMode = "issuer"
    issuer: str = Field(default="jiuzhu-gateway", min_length=1, description="`iss` of the tokens issued or accepted")
    audience: str = Field(default="jiuzhu-api", min_length=1, description="`aud` of the tokens issued or accepted")
    external_jwks_url: str | None = Field(default=None, description="JWKS of the external issuer (external mode)")
    public_base_url: AnyHttpUrl | None = Field(
        default=None, description="Public URL of the gateway for the discovery document (else the request's)"
    )
    access_token_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    staff_refresh_token_ttl_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 86400)
    citizen_refresh_token_ttl_seconds: int = Field(default=30 * 86400, ge=60, le=90 * 86400)
    token_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    signing_key_cache_seconds: float = Field(
        default=30.0, ge=0, le=600, description="How long a replica keeps the active signing key before re-reading it"
    )
    revocation_refresh_seconds: float = Field(
        default=5.0, ge=0, le=300, description="How often a replica re-reads the deny-list of revoked token ids"
    )
    pii_dev_key_file: Path | None = Field(
        default=None, description="dev only: a JSON file holding a generated key ring (made on first use)"
    )
    code_outbox_file: Path | None = Field(
        default=None,
        description="dev/test only: append citizen sign-in codes (with the masked phone) to this file as JSON lines",
    )

    # --- login protection
    login_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Failures per account and client address before the progressive delays start",
    )
    login_first_delay_seconds: int = Field(
        default=30, ge=1, le=3600, description="The first delay; it doubles with every further failure"
    )
    login_lockout_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="The longest delay, and the account lock at its ceiling"
    )
    login_account_max_failures: int = Field(
        default=50,
        ge=1,
        le=10_000,
        description="Failures per account from all addresses together before the account locks "
        "(a staff member with TOTP still signs in with password and code, which lifts it)",
    )
    login_attempts_per_minute: int = Field(default=5, ge=1, description="Login attempts per account and IP")
    login_ip_attempts_per_minute: int = Field(default=30, ge=1, description="Login attempts per IP, all accounts")
    otp_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    otp_max_attempts: int = Field(default=5, ge=1, le=20)
    otp_resend_seconds: int = Field(default=60, ge=0, le=3600, description="Least time between two codes to a phone")
    signature_window_seconds: int = Field(default=300, ge=10, le=3600)

    # --- password hashing (argon2id); defaults are argon2-cffi's
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    docs: bool | None = Field(
        default=None,
        description="Serve `/docs` (Swagger UI) and the merged `/openapi.json`; unset: on in dev and test, off in "
        "prod (an operator turns it on where the API documentation may be public)",
    )
    argon2_max_concurrent: int = Field(
        default=2,
        ge=1,
        le=64,
        description="argon2id hashes running at once (each holds argon2_memory_cost_kib): bounds the memory a "
        "burst of sign-ins takes; size the pod's memory limit to base + this × memory cost",
    )

    # --- published route requirements
    openapi_refresh_seconds: float = Field(
        default=30.0, ge=0, description="Least time between two fetches of a service's OpenAPI after a miss or failure"
    )
    openapi_max_age_seconds: float = Field(
        default=300.0, gt=0, description="A service's route requirements are re-read after this long"
    )
    purge_interval_seconds: float = Field(default=600.0, gt=0, description="How often expired rows are purged")

    @field_validator("upstreams")
    @classmethod
    def _no_reserved_upstream(cls, value: dict[str, AnyHttpUrl]) -> dict[str, AnyHttpUrl]:
        reserved = sorted(RESERVED_SERVICE_NAMES & set(value))
        if reserved:
            raise ValueError(f"upstream name(s) {', '.join(reserved)} are reserved for the gateway's own routes")
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.auth_mode == "issuer" and self.database_url is None:
            raise ValueError("database_url is required in issuer mode (GATEWAY_DATABASE_URL)")
        if self.auth_mode == "external" and not self.external_jwks_url:
            raise ValueError("external_jwks_url is required in external mode (GATEWAY_EXTERNAL_JWKS_URL)")
        refuse_public_secrets(self, owner="gateway", env=self.env, database_url=self.database_url)
        if self.env != "dev":
            if self.auth_mode == "issuer" and not self.pii_keys:
                raise ValueError(
                    "the PII key ring (GATEWAY_PII_KEYS, GATEWAY_PII_ACTIVE_KEY, GATEWAY_PII_INDEX_KEY) is required "
                    f"in issuer mode (env={self.env}); generate one with `python -m jiuzhu_platform.pii_keys`"
                )
            if self.pii_dev_key_file is not None:
                raise ValueError("pii_dev_key_file is for env=dev only")
        if self.env == "prod" and self.code_outbox_file is not None:
            raise ValueError("code_outbox_file is for env=dev and env=test only")
        if self.env == "prod" and self.auth_mode == "issuer" and not is_issuer_url(self.issuer):
            raise ValueError(
                "in prod the issuer must be the gateway's public https URL (GATEWAY_ISSUER, e.g. "
                "https://jiuzhu.example.org): OpenID discovery and token verifiers identify the issuer by it"
            )
        return self

    @property
    def docs_enabled(self) -> bool:
        return self.docs if self.docs is not None else self.env != "prod"

    def key_ring(self) -> KeyRing:
        """The PII key ring (see the module docstring for the dev fallbacks)."""
        ring = self.pii_key_ring()
        if ring is not None:
            return ring
        if self.env != "dev":
            raise ValueError("no PII key ring configured")
        if self.pii_dev_key_file is not None:
            return _dev_key_ring(self.pii_dev_key_file)
        logger.warning("dev: no PII keys configured; using a per-process key ring (data will not survive a restart)")
        return KeyRing.generate("dev")


def _dev_key_ring(path: Path) -> KeyRing:
    """A key ring kept in a local file (dev only), made with fresh random keys on first use."""
    values = dev_key_settings(path)
    return KeyRing.from_config(values["pii_keys"], values["pii_active_key"], values["pii_index_key"])
