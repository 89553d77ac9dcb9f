"""The verification service (家庭经济状况核对): its definition and `create_app()`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_platform.definition import ServiceDefinition
from verification import consumers
from verification.adapters.orm import audit_log, inbox, metadata, outbox
from verification.api.routes import router
from verification.checks.adapters import orm as checks_orm  # noqa: F401 (the check tables join `metadata`)
from verification.checks.api.routes import router as checks_router
from verification.exchange import consumers as exchange_consumers
from verification.exchange.adapters import orm as exchange_orm  # noqa: F401 (the exchange tables join `metadata`)
from verification.exchange.api.routes import router as exchange_router
from verification.notices.adapters import orm as notices_orm  # noqa: F401 (the table joins the metadata)
from verification.notices.api.routes import router as notices_router
from verification.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]

DEFINITION = ServiceDefinition(
    name="verification",
    title="Jiuzhu verification (家庭经济状况核对)",
    settings_class=Settings,
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    audit=audit_log,
    keeps_pii=True,
    routers=lambda: [router, checks_router, notices_router, exchange_router],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(consumers.build, exchange_consumers.build),
    jobs=(consumers.checks_job, exchange_consumers.searches_job, exchange_consumers.notifications_job),
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
