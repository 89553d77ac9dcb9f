"""The payment service (资金发放): its definition and `create_app()`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_platform.definition import ServiceDefinition
from payment.adapters.orm import audit_log, inbox, metadata, outbox
from payment.api.routes import router
from payment.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]

DEFINITION = ServiceDefinition(
    name="payment",
    title="Jiuzhu payment (资金发放)",
    settings_class=Settings,
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    audit=audit_log,
    routers=lambda: [router],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(),
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
