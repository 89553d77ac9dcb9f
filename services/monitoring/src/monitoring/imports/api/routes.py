"""List imports over HTTP: a department's death list as CSV, matched in one pass."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

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
    return await _import(request, response, caller, session, ListKind.DEATHS, source, region_code)


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
    return await _import(request, response, caller, session, ListKind(kind), source, region_code)


IntegrityList = Literal["public_payroll", "staff_relatives"]


@router.post(
    "/imports/integrity-list",
    summary="Match a 财政供养 or staff-relatives list against the register: each assisted member a finding",
    description="The body is CSV like the death list (`resident_id`, `name`, `occurred_on`). `kind`: "
    "`public_payroll` (财政供养人员名单 from finance/HR: 机关事业单位在编在岗, `occurred_on` the day on the "
    "payroll) raises `integrity.recipient_on_public_payroll`; `staff_relatives` (经办人员及村(居)委会成员近亲属 "
    "as declared, `occurred_on` the day declared) raises `integrity.staff_relative_not_filed` for a case "
    "that was not 单独登记备案. Each is a task for the town with its evidence (a household with such a "
    "finding open gets no second one); 防返贫 households are not assisted and not matched. The same file "
    "again is the same import.",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"example": EXAMPLE}}}},
    responses={
        **refusals(*PROTECTED, RegionNotAllowed, ListRefused, RequestInvalid),
        200: {"description": "The same file was imported before: that import", "model": ImportRead},
    },
)
async def import_integrity_list(
    request: Request,
    response: Response,
    caller: Importer,
    session: SessionDep,
    kind: Annotated[IntegrityList, Query(description="Which list")],
    source: Annotated[str, Query(min_length=1, max_length=200, description="Whose list, e.g. 市财政局供养人员 2026Q4")],
    region_code: Annotated[RegionCode | None, Query(description="A county (city staff only)")] = None,
) -> ImportRead:
    return await _import(request, response, caller, session, ListKind(kind), source, region_code)


ANTI_POVERTY_EXAMPLE = (
    "household_no,resident_id,name,town_code,occurred_on\n5201020012,11010519491231002X,张三,520102001000,2026-10-08\n"
)


@router.post(
    "/imports/anti-poverty-list",
    summary="Load the 防返贫 monitoring list (quarterly): its households enter the register",
    description="The body is CSV (UTF-8) with `household_no` (户编号), `resident_id`, `name`, `town_code` "
    "(12 digits) and `occurred_on` (纳入监测日期), a row per member. Each household becomes a 防返贫 "
    "household of the register (category `anti_poverty`): its members' department notices and lists "
    "are scored like a 边缘 household's, so hardship raises an alert. A household the register already "
    "knows by a member stays that household. The list is the area's whole list: households of an earlier "
    "list that it no longer has leave monitoring (`delisted`). A county's staff send their county's "
    "list (rows of other counties are refused); the city all counties' or one county's.",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"example": ANTI_POVERTY_EXAMPLE}}}},
    responses={
        **refusals(*PROTECTED, RegionNotAllowed, ListRefused, RequestInvalid),
        200: {"description": "The same file was imported before: that import", "model": ImportRead},
    },
)
async def import_anti_poverty_list(
    request: Request,
    response: Response,
    caller: Importer,
    session: SessionDep,
    source: Annotated[str, Query(min_length=1, max_length=200, description="Whose list, e.g. 市乡村振兴局 2026Q4")],
    region_code: Annotated[RegionCode | None, Query(description="A county (city staff only)")] = None,
) -> ImportRead:
    return await _import(request, response, caller, session, ListKind.ANTI_POVERTY, source, region_code)


async def _import(
    request: Request,
    response: Response,
    caller: Principal,
    session: AsyncSession,
    kind: ListKind,
    source: str,
    region_code: str | None,
) -> ImportRead:
    data = await request.body()
    if len(data) > service.MAX_BYTES:
        raise ListRefused("list_too_large", f"a list is at most {service.MAX_BYTES} bytes", "名单文件过大")
    runtime = request.app.state.runtime
    item, new = await service.import_list(
        session,
        RegionScope.for_principal(caller),
        data,
        kind=kind,
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
