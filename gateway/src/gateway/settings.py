"""Gateway settings (env prefix `GATEWAY_`)."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jiuzhu_platform.settings import Environment


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    env: Environment = "prod"
    upstreams: dict[str, AnyHttpUrl] = Field(
        description='JSON object: service name -> base URL, e.g. {"eligibility": "http://eligibility:8000"}'
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1, description="Largest request body accepted (413 above)")
    connect_timeout_seconds: float = Field(default=3.0, gt=0)
    upstream_timeout_seconds: float = Field(default=30.0, gt=0, description="Read/write timeout per upstream call")
    log_level: str = "INFO"
    rate_limit_per_second: float = Field(default=50.0, gt=0, description="Sustained requests per second per caller")
    rate_limit_burst: int = Field(default=200, ge=1, description="Requests a caller may make at once")
    cors_origins: list[str] = Field(
        default_factory=list, description='Web console origins allowed by CORS, e.g. ["https://console.example"]'
    )
