"""The eligibility service (资格认定): its definition and `create_app()`."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from eligibility import service as eligibility_service
from eligibility.adapters.orm import audit_log, inbox, metadata, outbox
from eligibility.adapters.policy_files import policy_book
from eligibility.api.routes import router
from eligibility.cases.adapters import orm as cases_orm  # noqa: F401  (its tables on `metadata`)
from eligibility.cases.api.routes import router as cases_router
from eligibility.grants.adapters import orm as grants_orm  # noqa: F401  (its table on `metadata`)
from eligibility.grants.api.routes import router as grants_router
from eligibility.procedure.adapters import orm as procedure_orm  # noqa: F401  (its tables on `metadata`)
from eligibility.procedure.api.routes import router as procedure_router
from eligibility.settings import Settings
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.runtime import Runtime

logger = logging.getLogger(__name__)

SERVICE_DIR = Path(__file__).resolve().parents[2]


async def load_policies_on_startup(runtime: Runtime) -> None:
    """Store the policy set's versions in the database, so every decision's version is there."""
    async with runtime.database.transaction() as session:
        added = await eligibility_service.load_policies(session, policy_book().policy_set, now=runtime.now())
    if added:
        logger.info("loaded policy versions %s", ", ".join(added))


DEFINITION = ServiceDefinition(
    name="eligibility",
    title="Jiuzhu eligibility (资格认定)",
    settings_class=Settings,
    metadata=metadata,
    outbox=outbox,
    inbox=inbox,
    audit=audit_log,
    keeps_pii=True,
    routers=lambda: [router, procedure_router, cases_router, grants_router],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(),
    on_startup=load_policies_on_startup,
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
