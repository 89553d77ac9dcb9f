"""Payment service settings (env prefix `PAYMENT_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from jiuzhu_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", env_file=".env", extra="ignore")
