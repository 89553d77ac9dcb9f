"""Statistics over HTTP: the figures (JSON), their CSV export and the charts (SVG) that the
gateway's dashboard page (`/dashboard`) shows."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from monitoring.statistics import service
from monitoring.statistics.adapters import svg
from monitoring.statistics.adapters import xlsx_export as xlsx
from monitoring.statistics.adapters.csv_export import to_csv
from monitoring.statistics.api.schemas import StatisticsRead
from monitoring.statistics.domain.model import Statistics
from shared.types import Period, RegionCode

router = APIRouter(prefix="/v1/monitoring", tags=["statistics"])

StatisticsReader = Annotated[Principal, requires("monitoring:statistics:read")]
Month = Annotated[Period | None, Query(description="YYYY-MM; the current month by default", examples=["2026-12"])]
County = Annotated[
    RegionCode | None,
    Query(description="A county (6 digits) to see its towns; by default the caller's own area"),
]
REFUSALS = refusals(*PROTECTED, RegionNotAllowed, RequestInvalid)


async def _statistics(
    request: Request, caller: Principal, session: ReadSessionDep, month: Period | None, region_code: str | None
) -> Statistics:
    return await service.statistics(
        session,
        RegionScope.for_principal(caller),
        month=month or Period.containing(request.app.state.runtime.now()),
        region_code=region_code,
    )


@router.get(
    "/statistics",
    summary="The month's figures (统计) in the caller's area: a row per county (city) or town (county)",
    description="Coverage by category, the month's approvals and terminations (低保零报告), "
    "集中供养率, 检出率, alerts and the mean days to their disposition. Counts only.",
    responses=REFUSALS,
)
async def get_statistics(
    request: Request, caller: StatisticsReader, session: ReadSessionDep, month: Month = None, region_code: County = None
) -> StatisticsRead:
    return StatisticsRead.of(await _statistics(request, caller, session, month, region_code))


@router.get(
    "/statistics/export",
    summary="The same figures as CSV or Excel (with the upward report 上报 in its fixed layout)",
    description="`format=csv` (default): UTF-8 with BOM, headers in Chinese and English, one row "
    "per area and the total. `format=xlsx`: that table, and the sheet 上报 with the fixed indicator "
    "rows (codes A01…H01) and a column per area.",
    response_class=Response,
    responses={
        **REFUSALS,
        200: {"content": {"text/csv": {"schema": {"type": "string"}}, xlsx.MEDIA_TYPE: {"schema": {"type": "string"}}}},
    },
)
async def export_statistics(
    request: Request,
    caller: StatisticsReader,
    session: ReadSessionDep,
    month: Month = None,
    region_code: County = None,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    stats = await _statistics(request, caller, session, month, region_code)
    name = f"statistics-{stats.month}{'-' + stats.scope_code if stats.scope_code else ''}.{file_format}"
    content, media_type = (
        (to_csv(stats), "text/csv; charset=utf-8") if file_format == "csv" else (xlsx.to_xlsx(stats), xlsx.MEDIA_TYPE)
    )
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/statistics/charts",
    summary="The dashboard's charts for the month (server-side SVG, an HTML fragment)",
    response_class=HTMLResponse,
    responses={**REFUSALS, 200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def statistics_charts(
    request: Request, caller: StatisticsReader, session: ReadSessionDep, month: Month = None, region_code: County = None
) -> HTMLResponse:
    return HTMLResponse(svg.charts(await _statistics(request, caller, session, month, region_code)))
