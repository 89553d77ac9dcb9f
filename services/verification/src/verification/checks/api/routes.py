"""Check endpoints: ask the departments about a household (the answer is the report), list
checks in your area, read a report (JSON or printable HTML), re-query what did not answer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, RuntimeDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Limit, Offset
from jiuzhu_platform.person_ref import person_ref
from verification.checks import service
from verification.checks.adapters.repository import CheckRepository
from verification.checks.adapters.sources import fanout_of
from verification.checks.api.report_html import render
from verification.checks.api.schemas import CheckCreate, CheckListItem, CheckPage, CheckReport, report_of
from verification.checks.domain import rules
from verification.checks.domain.errors import (
    AuthorisationMissing,
    CheckChanged,
    CheckNotFound,
    CheckNotRunning,
    NothingToRequery,
)
from verification.checks.domain.model import CheckStatus

router = APIRouter(prefix="/v1/verification", tags=["checks"])

Runner = Annotated[Principal, requires("verification:checks:run")]
Reader = Annotated[Principal, requires("verification:checks:read")]


def _deps(runtime: RuntimeDep) -> service.CheckDeps:
    return service.CheckDeps(now=runtime.now)


@router.post(
    "/checks",
    status_code=status.HTTP_201_CREATED,
    summary="Check a household's economic status with the departments (核对): the answer is the report",
    responses=refusals(*PROTECTED, RegionNotAllowed, AuthorisationMissing, RequestInvalid),
)
async def create_check(
    body: CheckCreate, caller: Runner, runtime: RuntimeDep, audit: AuditDep, correlation_id: CorrelationIdDep
) -> CheckReport:
    """Every member needs a valid authorisation (授权书, `POST /consents`): otherwise 409
    `authorisation_missing` names who is missing and nothing is asked. Departments that do not
    answer in time leave the report `partial` (`POST /checks/{id}/requery` asks them again)."""
    scope = RegionScope.for_principal(caller)
    town = scope.default_town(body.region_code, body.town_code)
    scope.require(region_code=town or body.region_code, household_id=str(body.household_id))
    key = runtime.settings.person_ref_secret()
    deps = _deps(runtime)
    command = service.OpenCheck(
        household_id=body.household_id,
        application_id=body.application_id,
        purpose=body.purpose,
        region_code=body.region_code,
        town_code=town,
        members=[rules.Person(person_ref(m, key).ref, m.masked()) for m in body.members],
        declared=body.declared.to_domain(),
        requested_by=caller.subject,
        correlation_id=correlation_id,
    )
    async with runtime.database.transaction() as session:
        check = await service.open_check(session, command, deps, hold=True)
        rules.require_authorised(check)  # a refusal rolls the check back: nothing stored
        await audit.state_change(session, target_id=check.check_id, details={"action": "check_requested"})
    await service.run_check(
        runtime.database, fanout_of(runtime), check.check_id, deps, correlation_id=correlation_id, held=True
    )
    async with runtime.database.read() as session:
        return report_of(await service.get(session, scope, check.check_id))


@router.get("/checks", summary="Checks in your area, newest first", responses=refusals(*PROTECTED, RequestInvalid))
async def list_checks(
    caller: Reader,
    runtime: RuntimeDep,
    household_id: UUID | None = None,
    check_status: Annotated[CheckStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CheckPage:
    scope = RegionScope.for_principal(caller)
    prefix = scope.region_prefix
    if prefix is None:  # citizens and principals without an area: nothing to list
        return CheckPage(items=[], total=0, limit=limit, offset=offset)
    async with runtime.database.read() as session:
        rows, total = await CheckRepository(session).page(
            area_prefix=prefix, household_id=household_id, status=check_status, limit=limit, offset=offset
        )
    return CheckPage(items=[CheckListItem.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/checks/{check_id}",
    summary="The 核对报告 of a check (JSON)",
    responses=refusals(*PROTECTED, RegionNotAllowed, CheckNotFound, RequestInvalid),
)
async def get_check(check_id: UUID, caller: Reader, runtime: RuntimeDep) -> CheckReport:
    async with runtime.database.read() as session:
        return report_of(await service.get(session, RegionScope.for_principal(caller), check_id))


@router.get(
    "/checks/{check_id}/report.html",
    summary="The 核对报告 as a printable page (HTML)",
    responses={
        200: {"description": "The printable report", "content": {"text/html": {"schema": {"type": "string"}}}},
        **refusals(*PROTECTED, RegionNotAllowed, CheckNotFound, RequestInvalid),
    },
)
async def get_check_html(check_id: UUID, caller: Reader, runtime: RuntimeDep) -> HTMLResponse:
    async with runtime.database.read() as session:
        report = report_of(await service.get(session, RegionScope.for_principal(caller), check_id))
    return HTMLResponse(render(report), headers={"Content-Disposition": f'inline; filename="check-{check_id}.html"'})


@router.post(
    "/checks/{check_id}/requery",
    summary="Ask again the departments that did not answer (or start a check once authorised)",
    responses=refusals(
        *PROTECTED,
        RegionNotAllowed,
        CheckNotFound,
        CheckNotRunning,
        NothingToRequery,
        AuthorisationMissing,
        CheckChanged,
        RequestInvalid,
    ),
)
async def requery_check(
    check_id: UUID, caller: Runner, runtime: RuntimeDep, audit: AuditDep, correlation_id: CorrelationIdDep
) -> CheckReport:
    """Answers already received are kept; only the unanswered queries are asked again."""
    scope = RegionScope.for_principal(caller)
    deps = _deps(runtime)
    async with runtime.database.transaction() as session:
        await service.requery(session, scope, check_id, deps)
        await audit.state_change(session, target_id=check_id, details={"action": "requery"})
    await service.run_check(
        runtime.database, fanout_of(runtime), check_id, deps, correlation_id=correlation_id, held=True
    )
    async with runtime.database.read() as session:
        return report_of(await service.get(session, scope, check_id))
