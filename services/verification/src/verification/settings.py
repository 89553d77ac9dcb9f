"""Verification service settings (env prefix `VERIFICATION_`)."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field
from pydantic_settings import SettingsConfigDict

from jiuzhu_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VERIFICATION_", env_file=".env", extra="ignore")

    departments_url: AnyHttpUrl | None = Field(
        default=None,
        description=(
            "One base URL serving every data source (the department simulator in dev, tests and demos); "
            "unset in dev: the simulator runs in-process"
        ),
    )
    source_urls: dict[str, AnyHttpUrl] = Field(
        default_factory=dict,
        description='Per-source base URLs (JSON: {"tax": "https://…"}), overriding departments_url',
    )
    simulator_seed: int = Field(default=2026, description="Seed of the in-process simulator (dev)")
    query_timeout_seconds: float = Field(default=3.0, gt=0, le=120, description="Per attempt, per source query")
    query_attempts: int = Field(default=3, ge=1, le=10)
    breaker_failures: int = Field(default=5, ge=1, le=1000)
    breaker_reset_seconds: float = Field(default=30.0, gt=0, le=3600)
    max_concurrent_queries: int = Field(default=256, ge=1, le=10_000)
    checks_interval_seconds: float = Field(default=0.5, gt=0, le=3600, description="How often the worker runs checks")
    exchange_interval_seconds: float = Field(
        default=1.0, gt=0, le=3600, description="How often the worker answers async searches and sends callbacks"
    )
    exchange_retry_base_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="First wait before a failed callback is sent again (doubles)"
    )
    exchange_retry_cap_seconds: float = Field(default=900.0, gt=0, le=86_400, description="Longest wait between tries")
    exchange_max_attempts: int = Field(default=8, ge=1, le=50, description="Tries of a callback before it is failed")
