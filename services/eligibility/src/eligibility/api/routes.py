"""Eligibility HTTP endpoints: parse → call service → return."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from eligibility import service as eligibility_service
from eligibility.adapters.calendar_file import working_day_calendar
from eligibility.adapters.policy_files import policy_book
from eligibility.api.assessment_read import (
    AssessmentRead,
    DeadlineRead,
    PolicyVersionRead,
    PolicyVersionSummary,
    assessment_read,
    deadline_read,
    policy_version_read,
)
from eligibility.api.assessment_schemas import AssessmentCreate
from eligibility.api.deps import CorrelationIdDep, RuntimeDep, SessionDep
from eligibility.api.schemas import ApplicationCreate, ApplicationRead
from eligibility.domain.calendar import Step as ProcedureStep
from eligibility.domain.calendar import due_date
from eligibility.domain.model import Application
from shared.errors import ErrorBody

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])


def _read(application: Application) -> ApplicationRead:
    return ApplicationRead.model_validate(application, from_attributes=True)


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Submit an application (申请)",
    responses={422: {"model": ErrorBody}},
)
async def create_application(
    body: ApplicationCreate, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> ApplicationRead:
    application = await eligibility_service.submit_application(
        session,
        household_id=body.household_id,
        assistance_type=body.assistance_type,
        region_code=body.region_code,
        member_count=body.member_count,
        applicant_name=body.applicant.name,
        applicant_resident_id=body.applicant.resident_id,
        correlation_id=correlation_id,
        now=runtime.now,
    )
    return _read(application)


@router.get(
    "/applications/{application_id}",
    summary="Read an application",
    responses={404: {"model": ErrorBody}},
)
async def get_application(application_id: UUID, session: SessionDep) -> ApplicationRead:
    return _read(await eligibility_service.get_application(session, application_id))


@router.post(
    "/assessments",
    summary="Assess a household (what-if; nothing is stored)",
    description="Classifies the household (特困 per person, 低保, 渐退, 低保边缘, 刚性支出困难 or not eligible), "
    "computes every amount and explains each step with the policy parameters it used.",
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def create_assessment(body: AssessmentCreate) -> AssessmentRead:
    book = policy_book()
    result, triggers = eligibility_service.assess_household(body, book)
    version = book.policy_set.get(result.policy_version)
    return assessment_read(result, version.effective_from, triggers)


@router.get("/policies", summary="Policy versions (effective-dated)")
async def list_policies() -> list[PolicyVersionSummary]:
    policy_set = policy_book().policy_set
    return [policy_version_read(policy_set.name, v, full=False) for v in policy_set.versions]


@router.get(
    "/policies/{version}", summary="One policy version with every parameter", responses={404: {"model": ErrorBody}}
)
async def get_policy(version: str) -> PolicyVersionRead:
    policy_set = policy_book().policy_set
    read = policy_version_read(policy_set.name, policy_set.get(version), full=True)
    assert isinstance(read, PolicyVersionRead)
    return read


@router.get(
    "/deadlines",
    summary="When a procedural step is due (办理时限), counted in working or calendar days",
    description="Working days follow the State Council holiday notices with 调休 make-up days; the start "
    "day is not counted. Dates outside the calendar's years are refused (400), never guessed.",
    responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def get_deadline(
    step: Annotated[ProcedureStep, Query(description="The procedural step")],
    start: Annotated[date, Query(description="The day of the step's starting event")],
) -> DeadlineRead:
    return deadline_read(due_date(working_day_calendar(), step, start))
