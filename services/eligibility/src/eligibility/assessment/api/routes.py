"""Assessment HTTP endpoints: parse → build the command → call the service → return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from eligibility.assessment import service as assessment_service
from eligibility.assessment.api.schemas import AssessmentCreate, AssessmentRead, assessment_read
from eligibility.assessment.domain.errors import InconsistentHousehold
from eligibility.policy.adapters.policy_files import policy_book
from eligibility.policy.domain.errors import PolicyNotInForce, RegionNotCovered
from jiuzhu_platform.auth import PROTECTED, Principal, requires
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from shared.types import format_fen

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


SelfChecker = Annotated[Principal, requires("eligibility:self_check:run")]

CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "tekun": ("特困人员救助供养", "support for people in extreme poverty (特困)"),
    "dibao": ("最低生活保障（低保）", "minimum living allowance (低保)"),
    "dibao_phase_out": ("低保渐退", "minimum living allowance, phasing out (渐退)"),
    "marginal": ("低保边缘家庭", "low-income household on the margin of 低保 (边缘)"),
    "rigid_expenditure": ("刚性支出困难家庭", "household in hardship from necessary expenses (刚性支出)"),
    "not_eligible": ("暂不符合条件", "not eligible for now"),
}


class SelfCheckRead(BaseModel):
    """A citizen's self-check: what the household may qualify for, in plain words (not a decision)."""

    category: str
    monthly_total: str = Field(description="元 a month, as the rules would compute it")
    policy_version: str
    message: str = Field(description="zh-CN")
    message_en: str
    explanation: str = Field(description="The rules' own summary (zh-CN)")


@router.post(
    "/self-check",
    summary="Self-check (自助测算): what my household may qualify for (citizens; nothing is stored)",
    description="The same rules as `POST /v1/eligibility/assessments`, answered in plain zh-CN and English. "
    "A self-check is not an application and not a decision: apply to start the procedure.",
    responses=refusals(*PROTECTED, PolicyNotInForce, RegionNotCovered, InconsistentHousehold, RequestInvalid),
)
async def self_check(body: AssessmentCreate, _caller: SelfChecker) -> SelfCheckRead:
    book = policy_book()
    result, _triggers = assessment_service.assess_household(body.to_command(), book)
    zh, en = CATEGORY_WORDS.get(result.category, (result.category, result.category))
    amount = format_fen(result.monthly_total)
    qualifies = result.category != "not_eligible"
    return SelfCheckRead(
        category=result.category,
        monthly_total=amount,
        policy_version=result.policy_version,
        message=(
            f"按现行政策（{result.policy_version}版）测算，您家可能符合“{zh}”，每月约 {amount} 元。"
            "测算不是审批结果，请向乡镇（街道）提出申请。"
            if qualifies
            else "按现行政策测算，您家暂不符合救助条件。如家庭情况发生变化，可再次测算或向乡镇（街道）咨询。"
        ),
        message_en=(
            f"Under the policy in force ({result.policy_version}) your household may qualify for {en}, about "
            f"{amount} yuan a month. This is not a decision: apply at your town office to start the procedure."
            if qualifies
            else "Under the policy in force your household does not qualify for now. If your situation changes, "
            "check again or ask your town office."
        ),
        explanation=assessment_read(result, book.policy_set.get(result.policy_version).effective_from, []).summary_zh,
    )
