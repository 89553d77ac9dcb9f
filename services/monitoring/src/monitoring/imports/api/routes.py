"""List imports over HTTP: a department's death list as CSV, matched in one pass."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from monitoring.imports import service
from monitoring.imports.api.schemas import ImportRead
from monitoring.imports.domain.errors import ImportNotFound, ListRefused
from monitoring.imports.domain.model import ListKind
from shared.types import RegionCode

router = APIRouter(prefix="/v1/monitoring", tags=["list imports"])

Importer = Annotated[Principal, requires("monitoring:imports:write")]
Reader = Annotated[Principal, requires("monitoring:alerts:read")]

EXAMPLE = "resident_id,name,occurred_on\n11010519491231002X,张三,2026-11-20\n"


@router.post(
    "/imports/death-list",
    summary="Match a death list (死亡名单) against the register: each recipient found is an integrity alert",
    description="The body is CSV (UTF-8, a header with `resident_id`, `name`, `occurred_on`; other "
    "columns ignored). Each person of the register whose household has an active case becomes an "
    "integrity alert (due in 3 days) and a review request to eligibility. Rows with a bad resident ID "
    "or date are reported, not fatal. The same file again is the same import (200, nothing raised "
    "twice); a county's staff match in their county, the city in all or one county.",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"example": EXAMPLE}}}},
    responses={
        **refusals(*PROTECTED, RegionNotAllowed, ListRefused, RequestInvalid),
        200: {"description": "The same file was imported before: that import", "model": ImportRead},
    },
)
async def import_death_list(
    request: Request,
    response: Response,
    caller: Importer,
    session: SessionDep,
    source: Annotated[str, Query(min_length=1, max_length=200, description="Whose list, e.g. 公安户籍注销 2026-11")],
    region_code: Annotated[RegionCode | None, Query(description="A county (city staff only)")] = None,
) -> ImportRead:
    data = await request.body()
    if len(data) > service.MAX_BYTES:
        raise ListRefused("list_too_large", f"a list is at most {service.MAX_BYTES} bytes", "名单文件过大")
    runtime = request.app.state.runtime
    item, new = await service.import_death_list(
        session,
        RegionScope.for_principal(caller),
        data,
        source=source,
        region_code=region_code,
        by=caller.subject,
        person_ref_key=runtime.settings.person_ref_secret(),
        now=runtime.now,
    )
    if not new:
        response.status_code = 200
    return ImportRead.of(item)


SignalList = Literal["serious_illness", "severe_disability", "unemployment"]


@router.post(
    "/imports/signal-list",
    summary="Match a 重病/重残/失业 list against the register: each listed recipient a risk signal",
    description="The body is CSV like the death list (`resident_id`, `name`, `occurred_on`). `kind`: "
    "`serious_illness` (重病, 卫健/医保), `severe_disability` (重残, 残联), `unemployment` (失业, 人社). "
    "Each listed person of a household with an active case is a risk signal (`hospitalised`, "
    "`disability_certified`, `unemployed`), scored by the warning rules like a department's notice: "
    "a household over a rule's threshold gets its alert. The same file again is the same import.",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"example": EXAMPLE}}}},
    responses={
        **refusals(*PROTECTED, RegionNotAllowed, ListRefused, RequestInvalid),
        200: {"description": "The same file was imported before: that import", "model": ImportRead},
    },
)
async def import_signal_list(
    request: Request,
    response: Response,
    caller: Importer,
    session: SessionDep,
    kind: Annotated[SignalList, Query(description="Which department list")],
    source: Annotated[str, Query(min_length=1, max_length=200, description="Whose list, e.g. 人社失业登记 2026-11")],
    region_code: Annotated[RegionCode | None, Query(description="A county (city staff only)")] = None,
) -> ImportRead:
    data = await request.body()
    if len(data) > service.MAX_BYTES:
        raise ListRefused("list_too_large", f"a list is at most {service.MAX_BYTES} bytes", "名单文件过大")
    runtime = request.app.state.runtime
    item, new = await service.import_list(
        session,
        RegionScope.for_principal(caller),
        data,
        kind=ListKind(kind),
        source=source,
        region_code=region_code,
        by=caller.subject,
        person_ref_key=runtime.settings.person_ref_secret(),
        now=runtime.now,
    )
    if not new:
        response.status_code = 200
    return ImportRead.of(item)


@router.get(
    "/imports/{import_id}",
    summary="A list import: counts and the rejected rows",
    responses=refusals(*PROTECTED, RegionNotAllowed, ImportNotFound, RequestInvalid),
)
async def get_import(import_id: UUID, caller: Reader, session: ReadSessionDep) -> ImportRead:
    return ImportRead.of(await service.get_import(session, RegionScope.for_principal(caller), import_id))
