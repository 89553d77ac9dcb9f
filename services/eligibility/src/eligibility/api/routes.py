"""Eligibility HTTP endpoints: parse → call service → return."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from eligibility import service as eligibility_service
from eligibility.api.deps import CorrelationIdDep, RuntimeDep, SessionDep
from eligibility.api.schemas import ApplicationCreate, ApplicationRead
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
