"""The monitoring service (低收入人口动态监测): its definition and `create_app()`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_platform.definition import ServiceDefinition
from monitoring.adapters.orm import audit_log, inbox, metadata, outbox
from monitoring.api.routes import router
from monitoring.consumers import REGISTER
from monitoring.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]

DEFINITION = ServiceDefinition(
    name="monitoring",
    title="Jiuzhu monitoring (低收入人口动态监测)",
    settings_class=Settings,
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    audit=audit_log,
    routers=lambda: [router],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(REGISTER,),
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
