"""Application HTTP endpoints: parse → build the command → call the service → return."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status

from eligibility.applications import service as applications_service
from eligibility.applications.api.schemas import (
    ApplicantSearch,
    ApplicationCreate,
    ApplicationPersonalData,
    ApplicationRead,
)
from eligibility.applications.domain.errors import ApplicationNotFound, HouseholdNotBound
from eligibility.applications.domain.model import Application
from eligibility.households.domain.errors import ResidentInAnotherHousehold
from jiuzhu_platform.access import AuditDep, PurposeNoteQuery, PurposeQuery
from jiuzhu_platform.auth import (
    PROTECTED,
    Principal,
    PrincipalKind,
    RegionNotAllowed,
    RegionScope,
    requires,
)
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])

ApplicationWriter = Annotated[Principal, requires("eligibility:applications:write")]
ApplicationReader = Annotated[Principal, requires("eligibility:applications:read")]
FullValueReader = Annotated[Principal, requires("eligibility:applications:read", "pii:read_full")]


def _read(application: Application) -> ApplicationRead:
    return ApplicationRead.model_validate(application, from_attributes=True)


def _scope(caller: Principal) -> RegionScope:
    return RegionScope.for_principal(caller)


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Submit an application (申请)",
    description="One household per resident ID: a second application of the same person joins their "
    "household (409 `resident_in_other_household` when it lies outside the caller's area).",
    responses=refusals(*PROTECTED, HouseholdNotBound, RegionNotAllowed, ResidentInAnotherHousehold, RequestInvalid),
)
async def create_application(
    body: ApplicationCreate,
    caller: ApplicationWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> ApplicationRead:
    application = await applications_service.submit_application(
        session,
        _scope(caller),
        body.to_command(correlation_id),
        citizen=caller.kind is PrincipalKind.CITIZEN,
        by=caller.subject,
        now=runtime.now,
    )
    await audit.state_change(session, target_id=application.id)
    return _read(application)


@router.get(
    "/applications/{application_id}",
    summary="Read an application (personal data masked)",
    responses=refusals(*PROTECTED, RegionNotAllowed, ApplicationNotFound, RequestInvalid),
)
async def get_application(application_id: UUID, caller: ApplicationReader, session: ReadSessionDep) -> ApplicationRead:
    return _read(await applications_service.get_application(session, _scope(caller), application_id))


@router.get(
    "/applications/{application_id}/personal-data",
    summary="The unmasked personal data of an application (full-value read, audited with its purpose)",
    responses=refusals(*PROTECTED, RegionNotAllowed, ApplicationNotFound, RequestInvalid),
)
async def get_application_personal_data(
    application_id: UUID,
    purpose: PurposeQuery,
    caller: FullValueReader,
    session: SessionDep,
    audit: AuditDep,
    purpose_note: PurposeNoteQuery = None,
) -> ApplicationPersonalData:
    application = await applications_service.get_application(session, _scope(caller), application_id)
    await audit.pii_read(
        session, target_id=application.id, purpose=purpose, fields=["applicant_resident_id"], note=purpose_note
    )
    return ApplicationPersonalData(
        id=application.id,
        applicant_name=application.applicant_name,
        applicant_resident_id=application.applicant_resident_id,
    )


@router.post(
    "/applications/search",
    summary="Applications of one applicant, by resident ID (only those in the caller's area)",
    description="The resident ID travels in the body, so it never lands in URLs or access logs; the "
    "look-up uses the blind index, never a scan of decrypted values.",
    responses=refusals(*PROTECTED, RequestInvalid),
)
async def search_applications(
    body: ApplicantSearch, caller: ApplicationReader, session: ReadSessionDep
) -> list[ApplicationRead]:
    found = await applications_service.applications_of_applicant(session, _scope(caller), body.resident_id)
    return [_read(application) for application in found]
