"""The eligibility service (资格认定): its definition and `create_app()`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from eligibility.adapters.orm import inbox, metadata, outbox
from eligibility.api.routes import router
from eligibility.settings import Settings
from jiuzhu_platform.definition import ServiceDefinition

SERVICE_DIR = Path(__file__).resolve().parents[2]

DEFINITION = ServiceDefinition(
    name="eligibility",
    title="Jiuzhu eligibility (资格认定)",
    settings_class=Settings,
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    routers=lambda: [router],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(),
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
