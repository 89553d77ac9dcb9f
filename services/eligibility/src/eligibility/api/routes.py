"""Eligibility HTTP endpoints: parse → call service → return."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, status

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
from eligibility.api.schemas import ApplicantSearch, ApplicationCreate, ApplicationPersonalData, ApplicationRead
from eligibility.domain.assessment import InconsistentHousehold
from eligibility.domain.calendar import CalendarOutOfRange, due_date
from eligibility.domain.calendar import Step as ProcedureStep
from eligibility.domain.errors import ApplicationNotFound, HouseholdNotBound
from eligibility.domain.model import Application
from eligibility.domain.policy import VERSION_PATTERN, PolicyNotInForce, PolicyVersionNotFound, RegionNotCovered
from jiuzhu_platform.access import AuditDep, PurposeQuery
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
Assessor = Annotated[Principal, requires("eligibility:assessments:run")]
PolicyReader = Annotated[Principal, requires("eligibility:policies:read")]


def _read(application: Application) -> ApplicationRead:
    return ApplicationRead.model_validate(application, from_attributes=True)


def _scope(caller: Principal) -> RegionScope:
    return RegionScope.for_principal(caller)


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Submit an application (申请)",
    responses=refusals(*PROTECTED, HouseholdNotBound, RegionNotAllowed, RequestInvalid),
)
async def create_application(
    body: ApplicationCreate,
    caller: ApplicationWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> ApplicationRead:
    application = await eligibility_service.submit_application(
        session,
        _scope(caller),
        body.to_command(correlation_id),
        citizen=caller.kind is PrincipalKind.CITIZEN,
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
    return _read(await eligibility_service.get_application(session, _scope(caller), application_id))


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
) -> ApplicationPersonalData:
    application = await eligibility_service.get_application(session, _scope(caller), application_id)
    await audit.pii_read(session, target_id=application.id, purpose=purpose, fields=["applicant_resident_id"])
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
    found = await eligibility_service.applications_of_applicant(session, _scope(caller), body.resident_id)
    return [_read(application) for application in found]


@router.post(
    "/assessments",
    summary="Assess a household (what-if; nothing is stored)",
    description="Classifies the household (特困 per person, 低保, 渐退, 低保边缘, 刚性支出困难 or not eligible), "
    "computes every amount and explains each step with the policy parameters it used.",
    responses=refusals(*PROTECTED, PolicyNotInForce, RegionNotCovered, InconsistentHousehold, RequestInvalid),
)
async def create_assessment(body: AssessmentCreate, _caller: Assessor) -> AssessmentRead:
    book = policy_book()
    result, triggers = eligibility_service.assess_household(body.to_command(), book)
    version = book.policy_set.get(result.policy_version)
    return assessment_read(result, version.effective_from, triggers)


@router.get("/policies", summary="Policy versions (effective-dated)", responses=refusals(*PROTECTED))
async def list_policies(_caller: PolicyReader) -> list[PolicyVersionSummary]:
    policy_set = policy_book().policy_set
    return [policy_version_read(policy_set.name, v, full=False) for v in policy_set.versions]


@router.get(
    "/policies/{version}",
    summary="One policy version with every parameter",
    responses=refusals(*PROTECTED, PolicyVersionNotFound, RequestInvalid),
)
async def get_policy(
    version: Annotated[str, Path(pattern=VERSION_PATTERN, max_length=40, description="e.g. 2024-07")],
    _caller: PolicyReader,
) -> PolicyVersionRead:
    policy_set = policy_book().policy_set
    read = policy_version_read(policy_set.name, policy_set.get(version), full=True)
    assert isinstance(read, PolicyVersionRead)
    return read


@router.get(
    "/deadlines",
    summary="When a procedural step is due (办理时限), counted in working or calendar days",
    description="Working days follow the State Council holiday notices with 调休 make-up days; the start "
    "day is not counted. Dates outside the calendar's years are refused (400), never guessed.",
    responses=refusals(*PROTECTED, CalendarOutOfRange, RequestInvalid),
)
async def get_deadline(
    _caller: PolicyReader,
    step: Annotated[ProcedureStep, Query(description="The procedural step")],
    start: Annotated[date, Query(description="The day of the step's starting event")],
) -> DeadlineRead:
    return deadline_read(due_date(working_day_calendar(), step, start))
