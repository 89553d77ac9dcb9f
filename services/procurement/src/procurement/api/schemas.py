"""HTTP models of the procurement API. Money is in 元 with two places on the wire (`Money`),
integer fen inside."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from procurement.domain.model import Condition, Grade, ViolationKind
from procurement.domain.policy import Ground, Method
from shared.types import CountyCode, CreditCode, NonEmptyStr, NonNegativeMoney, TownCode

_FORBID = ConfigDict(extra="forbid")


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


# --------------------------------------------------------------------------- providers


class ProviderCreate(BaseModel):
    model_config = _examples({"credit_code": "91512081MA62K0260E", "name": "贵阳市南明区阳光社会工作服务中心"})

    credit_code: CreditCode = Field(description="统一社会信用代码 (GB 32100), checked strictly on manual entry")
    name: NonEmptyStr = Field(max_length=200, description="登记名称")
    contact: NonEmptyStr | None = Field(default=None, max_length=200, description="联系人 / 联系方式 (organisation)")


class GradeBody(BaseModel):
    # No example of a cancellation (`"grade": null`): FastAPI drops null values from the published
    # document, so it would show `{"awarded_on": …}`, which is refused (grade is required).
    model_config = _examples({"grade": "4A", "awarded_on": "2024-06-01"})

    grade: Grade | None = Field(description="评估等级 1A–5A; null cancels the grade (撤销等级)")
    awarded_on: date = Field(description="Date of the grade (or of its cancellation)")


class ConditionBody(BaseModel):
    model_config = _examples(
        {"condition": "tax_and_social_security", "evidence": "税务完税证明 2026-02", "checked_on": "2026-03-01"}
    )

    condition: Condition
    evidence: NonEmptyStr = Field(max_length=500, description="证明材料 (document reference)")
    checked_on: date


class ViolationBody(BaseModel):
    model_config = _examples({"kind": "large_fine", "occurred_on": "2025-04-01", "description": "较大数额罚款"})

    kind: ViolationKind
    occurred_on: date
    description: NonEmptyStr = Field(max_length=500)


class BlacklistBody(BaseModel):
    model_config = _examples({"start": "2026-01-01", "until": "2028-12-31", "reason": "提供虚假材料谋取中标"})

    start: date
    until: date
    reason: NonEmptyStr = Field(max_length=500)


class ClientBody(BaseModel):
    model_config = _examples({"client_id": "sw-yangguang"})

    client_id: NonEmptyStr | None = Field(max_length=100, description="The gateway client the organisation uses")


class GradeRead(BaseModel):
    grade: Grade
    awarded_on: date
    valid_until: date
    status: str
    changed_on: date | None


class ProviderRead(BaseModel):
    id: UUID
    credit_code: str
    name: str
    registration_category: str | None
    registered_at: datetime


class ProviderProfile(ProviderRead):
    """The full record: grade with validity, conditions with evidence, violations, blacklist."""

    contact: str | None
    client_id: str | None
    grade: GradeRead | None
    grade_valid_today: bool
    may_reapply_for_grade: bool
    conditions: list[dict[str, Any]]
    unmet_conditions_today: list[str]
    violations: list[dict[str, Any]]
    blacklist: list[dict[str, Any]]
    blacklisted_today: str | None


class Page(BaseModel):
    total: int
    items: list[Any]


# --------------------------------------------------------------------------- projects


class CriterionBody(BaseModel):
    model_config = _FORBID

    name: NonEmptyStr = Field(max_length=100)
    weight: int = Field(ge=1, le=100)
    price: bool = False


class ProjectCreate(BaseModel):
    model_config = _examples(
        {
            "purchaser": "贵阳市南明区民政局",
            "county_code": "520102",
            "title": "2026年南明区分散供养特困人员委托照料服务",
            "service_item": "care",
            "budget_item": "2081001",
            "budget": "360000.00",
            "fiscal_year": 2026,
            "method": "competitive_consultation",
            "grounds": ["purchase_of_services"],
            "bid_deadline": "2026-03-20T02:00:00Z",
            "criteria": [
                {"name": "price", "weight": 30, "price": True},
                {"name": "service_plan", "weight": 50},
                {"name": "experience", "weight": 20},
            ],
            "quantity": 60,
            "grade_preference_points": 3,
        }
    )

    purchaser: NonEmptyStr = Field(max_length=200, description="购买主体 (city bureau or a town)")
    county_code: CountyCode
    town_code: TownCode | None = None
    title: NonEmptyStr = Field(max_length=200)
    service_item: NonEmptyStr = Field(max_length=50, description="Code on the service list (GET /service-list)")
    budget_item: NonEmptyStr = Field(max_length=50, description="预算科目 code")
    budget: NonNegativeMoney = Field(description="预算金额 (元)")
    fiscal_year: int = Field(ge=2000, le=2100)
    method: Method
    grounds: list[Ground] = Field(default_factory=list, max_length=5)
    bid_deadline: AwareDatetime = Field(description="提交投标/响应文件截止时间 = 开标时间")
    criteria: list[CriterionBody] = Field(min_length=2, max_length=10)
    quantity: int = Field(ge=1, le=1_000_000, description="Planned quantity in the item's unit")
    grade_preference_points: int = Field(default=0, ge=0, le=5, description="Points for a valid grade ≥3A")
    required_min_grade: Grade | None = Field(default=None, description="A hard grade requirement, only if stated")
    invited_provider_ids: list[UUID] = Field(default_factory=list, max_length=50)
    finance_approval: NonEmptyStr | None = Field(default=None, max_length=200, description="财政部门批准文号")
    includes_works: bool = False
    budget_adjusted: bool = Field(default=False, description="预算调整 (exempts from 化整为零 detection)")
    original_contract: NonNegativeMoney | None = Field(default=None, description="单一来源添购: 原合同金额 (元)")
    fallback_of: UUID | None = Field(default=None, description="The failed project this purchase stands in for")
    invite_at_random: int | None = Field(
        default=None, ge=1, le=20, description="Invite this many qualified providers drawn at random (邀请招标 ≥3)"
    )


class BidCreate(BaseModel):
    model_config = _examples(
        {"provider_id": "6f1c1e2a-0000-4000-8000-000000000001", "price": "330000.00", "proposal": "服务方案……"}
    )

    provider_id: UUID
    price: NonNegativeMoney = Field(description="报价 (元)")
    proposal: NonEmptyStr = Field(max_length=20_000, description="技术/服务方案 (sealed until the opening)")


class BidRead(BaseModel):
    id: UUID
    project_id: UUID
    provider_id: UUID
    submitted_at: datetime
    price: str
    proposal: str


class BidReceipt(BaseModel):
    """What a bidder gets back: proof of time of receipt, not the content."""

    id: UUID
    project_id: UUID
    provider_id: UUID
    submitted_at: datetime


class EvaluationPanelBody(BaseModel):
    model_config = _examples(
        {
            "scores": {
                "专家甲": {
                    "6f1c1e2a-0000-4000-8000-000000000001": {"service_plan": 78, "experience": 72},
                    "6f1c1e2a-0000-4000-8000-000000000002": {"service_plan": 85, "experience": 80},
                },
                "专家乙": {
                    "6f1c1e2a-0000-4000-8000-000000000001": {"service_plan": 75, "experience": 70},
                    "6f1c1e2a-0000-4000-8000-000000000002": {"service_plan": 82, "experience": 78},
                },
                "专家丙": {
                    "6f1c1e2a-0000-4000-8000-000000000001": {"service_plan": 80, "experience": 74},
                    "6f1c1e2a-0000-4000-8000-000000000002": {"service_plan": 88, "experience": 75},
                },
            }
        }
    )

    scores: dict[str, dict[UUID, dict[str, int]]] = Field(
        description="panel member → bid id → criterion → score 0–100 (price is scored by formula)"
    )


class AwardBody(BaseModel):
    model_config = _examples({}, {"bid_id": "6f1c1e2a-0000-4000-8000-000000000002"})

    bid_id: UUID | None = Field(default=None, description="Default: the first-ranked bid")


class MilestoneBody(BaseModel):
    model_config = _FORBID

    name: NonEmptyStr = Field(max_length=100)
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Month evaluated for this instalment")
    share_percent: int = Field(ge=1, le=100)


class ContractCreate(BaseModel):
    model_config = _examples(
        {
            "term_start": "2026-04-01",
            "term_end": "2027-03-31",
            "milestones": [
                {"name": "上半年", "period": "2026-09", "share_percent": 50},
                {"name": "下半年", "period": "2027-03", "share_percent": 50},
            ],
        }
    )

    term_start: date
    term_end: date
    budget_assured: bool = Field(default=False, description="预算有保障 (for a term over 1 year)")
    stable_service: bool = Field(default=False, description="持续性、内容相对固定、价格变化小 (over 1 year)")
    milestones: list[MilestoneBody] = Field(min_length=1, max_length=24)


class ContractStepBody(BaseModel):
    model_config = _examples({"step": "contract_announcement", "on": "2026-04-02"})

    step: Literal["contract_announcement", "contract_filing"]
    on: date


class SupplementBody(BaseModel):
    model_config = _examples({"amount": "18000.00", "reason": "服务对象增加3人"})

    amount: NonNegativeMoney
    reason: NonEmptyStr = Field(max_length=500)


class IndicatorBody(BaseModel):
    model_config = _FORBID

    name: NonEmptyStr = Field(max_length=100)
    weight: int = Field(ge=1, le=100)
    measured: Literal["visits", "satisfaction"] | None = None


class EvaluationBody(BaseModel):
    model_config = _examples(
        {
            "period": "2026-09",
            "planned_visits": 24,
            "recipient_opinions": 6,
            "evaluator": "贵州某绩效评价事务所",
            "evaluator_type": "third_party",
            "scores": {"records_and_management": 90, "staff_and_training": 85},
        }
    )

    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    planned_visits: int = Field(ge=1, le=1_000_000)
    recipient_opinions: int = Field(ge=0, le=1_000_000, description="服务对象意见 collected at acceptance")
    evaluator: NonEmptyStr = Field(max_length=200)
    evaluator_type: Literal["purchaser", "third_party"]
    indicators: list[IndicatorBody] | None = Field(default=None, description="Default: visits 40, satisfaction 30, …")
    scores: dict[str, int] = Field(default_factory=dict, description="Evaluator's scores of unmeasured indicators")


# --------------------------------------------------------------------------- delivery


class CarerBody(BaseModel):
    model_config = _examples({"carer": "王护理员"})

    carer: NonEmptyStr = Field(max_length=100)


class VisitCreate(BaseModel):
    model_config = _examples(
        {
            "staff": "王护理员",
            "visited_at": "2026-04-10T01:30:00Z",
            "minutes": 90,
            "content": "助浴、打扫卫生、测量血压",
            "satisfaction": 5,
        }
    )

    staff: NonEmptyStr = Field(max_length=100, description="Who visited")
    visited_at: AwareDatetime = Field(description="When")
    minutes: int = Field(ge=1, le=24 * 60, description="How long")
    content: NonEmptyStr = Field(max_length=2000, description="What was done")
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="服务对象满意度 1–5")


class ComplaintBody(BaseModel):
    model_config = _examples({"content": "护理员上周未按约定时间上门"})

    content: NonEmptyStr = Field(max_length=2000)


class ResolutionBody(BaseModel):
    model_config = _examples({"resolution": "已约谈承接机构，更换护理员并补做服务"})

    resolution: NonEmptyStr = Field(max_length=2000)
