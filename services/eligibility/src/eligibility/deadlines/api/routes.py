"""Deadline HTTP endpoints: when a procedural step is due."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from eligibility.deadlines.adapters.calendar_file import working_day_calendar
from eligibility.deadlines.api.schemas import DeadlineRead, deadline_read
from eligibility.deadlines.domain.calendar import CalendarOutOfRange, due_date
from eligibility.deadlines.domain.calendar import Step as ProcedureStep
from jiuzhu_platform.auth import PROTECTED, Principal, requires
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])

PolicyReader = Annotated[Principal, requires("eligibility:policies:read")]


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
