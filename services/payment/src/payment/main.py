"""The payment service (资金发放): its definition and `create_app()`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from jiuzhu_platform.definition import ServiceDefinition
from payment import consumers
from payment.accounts.adapters import orm as accounts_orm  # noqa: F401 (each feature's tables join `metadata`)
from payment.accounts.api.routes import router as accounts_router
from payment.adapters.orm import audit_log, inbox, metadata, outbox
from payment.api.routes import router
from payment.funds.adapters import orm as funds_orm  # noqa: F401
from payment.funds.api.routes import router as funds_router
from payment.ledger.adapters import orm as ledger_orm  # noqa: F401
from payment.metrics import BUSINESS_METRICS
from payment.payroll.adapters import orm as payroll_orm  # noqa: F401
from payment.payroll.api.routes import router as payroll_router
from payment.recoveries.adapters import orm as recoveries_orm  # noqa: F401
from payment.recoveries.api.routes import router as recoveries_router
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
    keeps_pii=True,
    routers=lambda: [router, payroll_router, accounts_router, recoveries_router, funds_router],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(consumers.build,),
    business_metrics=BUSINESS_METRICS,
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
