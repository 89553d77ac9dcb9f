"""The monitoring service (低收入人口动态监测): its definition and `create_app()`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_platform.definition import ServiceDefinition
from monitoring.adapters.orm import audit_log, inbox, metadata, outbox
from monitoring.api.routes import router
from monitoring.chain.adapters.orm import assistance_record
from monitoring.chain.api.routes import router as chain_router
from monitoring.consumers import CHAIN, REGISTER, WARNINGS
from monitoring.discovery.adapters.orm import discovery
from monitoring.discovery.api.routes import router as discovery_router
from monitoring.imports.adapters.orm import list_import
from monitoring.imports.api.routes import router as imports_router
from monitoring.metrics import BUSINESS_METRICS
from monitoring.risk import service as risk_service
from monitoring.risk.adapters.orm import household_risk
from monitoring.risk.api.routes import router as risk_router
from monitoring.settings import Settings
from monitoring.statistics.api.routes import router as statistics_router
from monitoring.warnings import service as warnings_service
from monitoring.warnings.adapters.orm import (
    alert,
    monitored_case,
    monitored_person,
    risk_signal,
    spot_check,
)
from monitoring.warnings.api.routes import router as warnings_router

FEATURE_TABLES = (
    monitored_case,
    monitored_person,
    risk_signal,
    alert,
    spot_check,
    list_import,
    assistance_record,
    discovery,
    household_risk,
)
"""The features' own tables on the shared `metadata` (imported here so Alembic and the harness see them)."""

SERVICE_DIR = Path(__file__).resolve().parents[2]

DEFINITION = ServiceDefinition(
    name="monitoring",
    title="Jiuzhu monitoring (低收入人口动态监测)",
    settings_class=Settings,
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    audit=audit_log,
    routers=lambda: [
        router,
        warnings_router,
        risk_router,
        statistics_router,
        imports_router,
        chain_router,
        discovery_router,
    ],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(REGISTER, WARNINGS, CHAIN),
    jobs=(warnings_service.escalation_job, risk_service.recompute_job),
    business_metrics=BUSINESS_METRICS,
    keeps_pii=True,  # proactive-discovery contacts (names, phones, what was seen)
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
