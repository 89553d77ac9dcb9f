"""The eligibility service (资格认定): its definition and `create_app()`."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI

from eligibility import consumers
from eligibility.adapters.orm import audit_log, inbox, metadata, outbox
from eligibility.applications.adapters.orm import application
from eligibility.applications.api.routes import router as applications_router
from eligibility.assessment.api.routes import router as assessment_router
from eligibility.cases import service as cases_service
from eligibility.cases.adapters.orm import assistance_case, case_person, case_step
from eligibility.cases.api.routes import router as cases_router
from eligibility.deadlines.api.routes import router as deadlines_router
from eligibility.grants.adapters.orm import temporary_grant
from eligibility.grants.api.routes import router as grants_router
from eligibility.households.adapters.orm import household, household_member, household_version
from eligibility.households.api.routes import router as households_router
from eligibility.metrics import BUSINESS_METRICS
from eligibility.policy import service as policy_service
from eligibility.policy.adapters.orm import policy_version
from eligibility.policy.adapters.policy_files import policy_book
from eligibility.policy.api.routes import router as policy_router
from eligibility.procedure.adapters.orm import (
    applicant_notice,
    application_procedure,
    application_step,
    decision_record,
    staff_relative,
)
from eligibility.procedure.api.routes import router as procedure_router
from eligibility.settings import Settings
from jiuzhu_platform.definition import ServiceDefinition
from jiuzhu_platform.runtime import Runtime

logger = logging.getLogger(__name__)

SERVICE_DIR = Path(__file__).resolve().parents[2]
FEATURE_TABLES = (
    application,
    policy_version,
    application_procedure,
    application_step,
    staff_relative,
    applicant_notice,
    decision_record,
    assistance_case,
    case_step,
    case_person,
    temporary_grant,
    household,
    household_member,
    household_version,
)
"""The features' own tables, on the shared `metadata` (imported here so the metadata that
Alembic and the harness see always has them)."""


async def load_policies_on_startup(runtime: Runtime) -> None:
    """Store the policy set's versions in the database, so every decision's version is there."""
    async with runtime.database.transaction() as session:
        added = await policy_service.load_policies(session, policy_book().policy_set, now=runtime.now())
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
    routers=lambda: [
        applications_router,
        households_router,
        procedure_router,
        cases_router,
        grants_router,
        assessment_router,
        policy_router,
        deadlines_router,
    ],
    alembic_ini=SERVICE_DIR / "alembic.ini",
    consumers=(consumers.build,),
    jobs=(cases_service.housekeeping_job,),
    on_startup=load_policies_on_startup,
    business_metrics=BUSINESS_METRICS,
)


def create_app() -> FastAPI:
    return DEFINITION.create_app()
