"""Risk scores over HTTP: the households the rules score, highest first, in the caller's area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Offset, limit_query
from monitoring.risk import service
from monitoring.risk.api.schemas import RiskPage, RiskRead
from shared.types import RegionCode

router = APIRouter(prefix="/v1/monitoring", tags=["early warning"])

Reader = Annotated[Principal, requires("monitoring:alerts:read")]


@router.get(
    "/risk-scores",
    summary="Households by risk score (风险评分), highest first, in the caller's area",
    description="The worker recomputes every household's score daily from the register's active "
    "cases and its people's signals (department notices and lists) under the warning rules in force "
    "(`python -m monitoring recompute-risk` does it now). A household appears when a rule watching one "
    "of its categories scores it; `reached`: at that rule's threshold. A town's staff see their town's.",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def list_risk_scores(
    caller: Reader,
    session: ReadSessionDep,
    region_code: Annotated[RegionCode | None, Query(description="One county")] = None,
    min_score: Annotated[int, Query(ge=0, le=1000, description="Only scores at least this")] = 0,
    reached: Annotated[bool | None, Query(description="Only households at (true) or below (false) a threshold")] = None,
    limit: Annotated[int, limit_query(le=500)] = 50,
    offset: Offset = 0,
) -> RiskPage:
    items, total = await service.list_scores(
        session,
        RegionScope.for_principal(caller),
        county=region_code,
        min_score=min_score,
        reached=reached,
        limit=limit,
        offset=offset,
    )
    return RiskPage(items=[RiskRead.of(r) for r in items], total=total, limit=limit, offset=offset)
