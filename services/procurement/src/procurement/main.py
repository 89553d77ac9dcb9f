"""The procurement service (政府购买服务): its definition and `create_app()`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_platform.definition import ServiceDefinition
from procurement.adapters.orm import audit_log, inbox, metadata, outbox
from procurement.api.routes import router
from procurement.consumers import CARE
from procurement.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]

DEFINITION = ServiceDefinition(
    name="procurement",
    keeps_pii=True,  # carers' names on visit records
    title="Jiuzhu procurement (政府购买服务)",
    settings_class=Settings,
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    audit=audit_log,
    routers=lambda: [router],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(CARE,),
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
