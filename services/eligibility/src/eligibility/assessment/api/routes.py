"""Assessment HTTP endpoints: parse → build the command → call the service → return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from eligibility.assessment import service as assessment_service
from eligibility.assessment.api.schemas import AssessmentCreate, AssessmentRead, assessment_read
from eligibility.assessment.domain.errors import InconsistentHousehold
from eligibility.policy.adapters.policy_files import policy_book
from eligibility.policy.domain.errors import PolicyNotInForce, RegionNotCovered
from jiuzhu_platform.auth import PROTECTED, Principal, requires
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])

Assessor = Annotated[Principal, requires("eligibility:assessments:run")]


@router.post(
    "/assessments",
    summary="Assess a household (what-if; nothing is stored)",
    description="Classifies the household (特困 per person, 低保, 渐退, 低保边缘, 刚性支出困难 or not eligible), "
    "computes every amount and explains each step with the policy parameters it used.",
    responses=refusals(*PROTECTED, PolicyNotInForce, RegionNotCovered, InconsistentHousehold, RequestInvalid),
)
async def create_assessment(body: AssessmentCreate, _caller: Assessor) -> AssessmentRead:
    book = policy_book()
    result, triggers = assessment_service.assess_household(body.to_command(), book)
    version = book.policy_set.get(result.policy_version)
    return assessment_read(result, version.effective_from, triggers)
