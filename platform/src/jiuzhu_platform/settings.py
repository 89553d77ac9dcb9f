"""Typed settings shared by every service; each service subclasses with its own env prefix.

Required values have no defaults: a missing `ELIGIBILITY_DATABASE_URL` stops the process at
start with a clear message instead of silently using localhost. Outside `dev`, placeholder
secrets (`changethis`, `CHANGE_ME`, …) are refused.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["dev", "test", "prod"]
BusKind = Literal["kafka", "inprocess"]

PLACEHOLDER_SECRETS = frozenset({"changethis", "change_me", "changeme", "secret", "password", "placeholder"})


def is_placeholder(secret: str) -> bool:
    return secret.strip().lower() in PLACEHOLDER_SECRETS


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set `model_config` with their `env_prefix`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    env: Environment = "prod"
    database_url: SecretStr = Field(description="SQLAlchemy async URL: postgresql+asyncpg://… or sqlite+aiosqlite:///…")
    bus: BusKind = "kafka"
    kafka_bootstrap_servers: str | None = None
    kafka_topic_prefix: str = Field(default="", pattern=r"^[a-zA-Z0-9._-]*$", description="Namespace for topics")
    log_level: str = "INFO"
    relay_batch_size: int = Field(default=200, ge=1, le=10_000)
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
