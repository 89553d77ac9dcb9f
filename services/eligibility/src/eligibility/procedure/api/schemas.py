"""HTTP models of the procedure: one request body per action (each with an example), the
case file as read, the worklist and the notices. Money is yuan as a decimal string."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from eligibility.procedure.domain import commands as c
from eligibility.procedure.domain.model import (
    Action,
    ApprovalLevel,
    Capacity,
    CareTier,
    ExtensionReason,
    Placement,
    ReviewMethod,
    SelfCareIndicator,
    Stage,
)
from shared.events import AssistanceType
from shared.types import InvalidValueError, NonEmptyStr, NonNegativeMoney, ResidentId, format_fen, to_fen


def example(values: dict[str, object]) -> ConfigDict:
    """A request model's config: no unknown fields, and `values` as its example in /docs."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})  # type: ignore[list-item]


def _no_surrogates(value: str) -> str:
    """JSON's `\\ud800` escapes decode to lone surrogates, which no database can store as UTF-8."""
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise InvalidValueError(
            "text_surrogate", "must be valid Unicode text (no unpaired surrogates)", "包含无效的Unicode字符"
        ).to_pydantic()
    return value


Text = Annotated[NonEmptyStr, AfterValidator(_no_surrogates)]
"""`NonEmptyStr` that the database can store."""


def _at_most(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit:
            raise InvalidValueError(
                "text_too_long",
                f"must be at most {limit} characters, got {len(value)}",
                f"长度不能超过{limit}个字符，实际为{len(value)}个",
            ).to_pydantic()
        return value

    return AfterValidator(check)


Account = Annotated[Text, _at_most(200), WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200})]
"""A staff account as stored (`staff_relative.account` is 200 characters)."""
Relationship = Annotated[Text, _at_most(30), WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 30})]
"""`staff_relative.relationship` is 30 characters."""

Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Items = Annotated[list[Text], Field(min_length=1, max_length=30)]


class ActionBody(BaseModel):
    """Common to every action: the version the caller read (optional optimistic check)."""

    model_config = ConfigDict(extra="forbid")
    expected_version: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="The `version` you read; the action is refused with 409 `application_changed` if "
        "someone acted in between. Omit to act on whatever is current.",
    )
    action: ClassVar[Action]

    def command(self) -> c.ProcedureCommand:
        raise NotImplementedError


class RequestSupplementBody(ActionBody):
    """一次性告知: list every missing item at once."""

    model_config = example({"missing_items": ["户口簿复印件", "承诺书"]})
    action = Action.REQUEST_SUPPLEMENT
    missing_items: Items

    def command(self) -> c.ProcedureCommand:
        return c.RequestSupplement(tuple(self.missing_items))


class NoteBody(ActionBody):
    model_config = example({"note": "材料齐全"})
    note: Text | None = None


class ResubmitBody(NoteBody):
    action = Action.RESUBMIT

    def command(self) -> c.ProcedureCommand:
        return c.Resubmit(self.note or "")


class AcceptBody(NoteBody):
    action = Action.ACCEPT

    def command(self) -> c.ProcedureCommand:
        return c.Accept(self.note or "")


class StartInvestigationBody(NoteBody):
    action = Action.START_INVESTIGATION

    def command(self) -> c.ProcedureCommand:
        return c.StartInvestigation(self.note or "")


class RequestVerificationBody(NoteBody):
    action = Action.REQUEST_VERIFICATION

    def command(self) -> c.ProcedureCommand:
        return c.RequestVerification(self.note or "")


class ClosePublicityBody(NoteBody):
    action = Action.CLOSE_PUBLICITY

    def command(self) -> c.ProcedureCommand:
        return c.ClosePublicity(self.note or "")


class CloseBody(NoteBody):
    action = Action.CLOSE

    def command(self) -> c.ProcedureCommand:
        return c.Close(self.note or "")


class WithdrawBody(ActionBody):
    model_config = example({"reason": "家庭情况好转，不再申请"})
    action = Action.WITHDRAW
    reason: Text | None = None

    def command(self) -> c.ProcedureCommand:
        return c.Withdraw(self.reason or "")


class HomeVisitBody(ActionBody):
    """入户调查: at least two staff (you and the others named), signed by the family members present."""

    model_config = example(
        {
            "visited_on": "2026-12-03",
            "investigators": ["wang.fang"],
            "family_signed": True,
            "findings": "住房为自建砖房，无车辆，户主患慢性病无法务工",
        }
    )
    action = Action.RECORD_HOME_VISIT
    visited_on: Day
    investigators: Annotated[list[Text], Field(min_length=1, max_length=10)] = Field(
        description="The other staff accounts who visited with you"
    )
    family_signed: bool = Field(description="入户调查表 signed by the family members present")
    findings: Text

    def command(self) -> c.ProcedureCommand:
        return c.RecordHomeVisit(self.visited_on, tuple(self.investigators), self.family_signed, self.findings)


class CountyVisitBody(HomeVisitBody):
    action = Action.RECORD_COUNTY_VISIT

    def command(self) -> c.ProcedureCommand:
        return c.RecordCountyVisit(self.visited_on, tuple(self.investigators), self.family_signed, self.findings)


class SelfCareBody(ActionBody):
    """生活自理能力评估 (特困): the indicators the person cannot do alone."""

    model_config = example({"failed": ["bathing", "dressing"], "assessed_on": "2026-12-03"})
    action = Action.RECORD_SELF_CARE
    failed: Annotated[list[SelfCareIndicator], Field(max_length=6)]
    assessed_on: Day

    def command(self) -> c.ProcedureCommand:
        return c.RecordSelfCare(frozenset(self.failed), self.assessed_on)


class PlacementBody(ActionBody):
    model_config = example({"placement": "dispersed", "provider": "侄子 张某 照料"})
    action = Action.RECORD_PLACEMENT
    placement: Placement
    provider: Text = Field(description="The 供养服务机构 (institutional) or the carer (dispersed)")

    def command(self) -> c.ProcedureCommand:
        return c.RecordPlacement(self.placement, self.provider)


class ReasonsBody(ActionBody):
    model_config = example({"reasons": ["家庭人均收入高于当地低保标准"]})
    reasons: Items


class NotifyIneligibleBody(ReasonsBody):
    action = Action.NOTIFY_INELIGIBLE

    def command(self) -> c.ProcedureCommand:
        return c.NotifyIneligible(tuple(self.reasons))


class RejectBody(ReasonsBody):
    action = Action.REJECT

    def command(self) -> c.ProcedureCommand:
        return c.Reject(tuple(self.reasons))


class ObjectBody(ActionBody):
    model_config = example({"evidence": "丈夫已于11月失业，附解除劳动合同证明"})
    action = Action.OBJECT
    evidence: Text

    def command(self) -> c.ProcedureCommand:
        return c.Object(self.evidence)


class PublicityObjectionBody(ActionBody):
    model_config = example({"summary": "邻居反映该户有经营性收入"})
    action = Action.RECORD_PUBLICITY_OBJECTION
    summary: Text

    def command(self) -> c.ProcedureCommand:
        return c.RecordPublicityObjection(self.summary)


class RecordComplaintBody(PublicityObjectionBody):
    """Not `ComplaintBody`: procurement publishes a schema of that name, and the gateway's merged
    OpenAPI document keeps one schema per name."""

    model_config = example({"summary": "群众来电举报该户有家庭成员在外务工，收入未如实申报"})
    action = Action.RECORD_COMPLAINT

    def command(self) -> c.ProcedureCommand:
        return c.RecordComplaint(self.summary)


class PreliminaryReviewBody(ActionBody):
    """初审意见: the town recommends the case and proposes the amount (monthly; one-off for 临时救助)."""

    model_config = example({"amount": "780.00", "opinion": "经调查核对，符合低保条件"})
    action = Action.PRELIMINARY_REVIEW
    amount: NonNegativeMoney = Field(description="元, at most two decimals")
    opinion: Text

    def command(self) -> c.ProcedureCommand:
        return c.PreliminaryReview(to_fen(self.amount), self.opinion)


class ReviseOpinionBody(ActionBody):
    model_config = example(
        {
            "method": "democratic_review",
            "recommend": True,
            "amount": "780.00",
            "opinion": "民主评议后维持原意见",
        }
    )
    action = Action.REVISE_OPINION
    method: ReviewMethod
    recommend: bool
    amount: NonNegativeMoney = Field(default=Decimal(0), description="元; 0 when not recommending")
    opinion: Text

    def command(self) -> c.ProcedureCommand:
        return c.ReviseOpinion(self.method, self.recommend, to_fen(self.amount), self.opinion)


class ApproveBody(ActionBody):
    model_config = example({"amount": "780.00", "note": "同意"})
    action = Action.APPROVE
    amount: NonNegativeMoney = Field(description="元: monthly (低保/特困/边缘) or one-off (临时救助)")
    note: Text | None = None

    def command(self) -> c.ProcedureCommand:
        return c.Approve(to_fen(self.amount), self.note or "")


class TerminateBody(ActionBody):
    model_config = example({"reason": "申请人无正当理由拒不配合入户调查"})
    action = Action.TERMINATE
    reason: Text

    def command(self) -> c.ProcedureCommand:
        return c.Terminate(self.reason)


class ExtendBody(ActionBody):
    model_config = example({"reason": "separated_residence", "note": "人户分离，需居住地协查"})
    action = Action.EXTEND
    reason: ExtensionReason
    note: Text | None = None

    def command(self) -> c.ProcedureCommand:
        return c.Extend(self.reason, self.note or "")


BODIES: tuple[type[ActionBody], ...] = (
    RequestSupplementBody,
    ResubmitBody,
    AcceptBody,
    StartInvestigationBody,
    HomeVisitBody,
    SelfCareBody,
    PlacementBody,
    RequestVerificationBody,
    NotifyIneligibleBody,
    ObjectBody,
    CloseBody,
    PreliminaryReviewBody,
    ClosePublicityBody,
    PublicityObjectionBody,
    ReviseOpinionBody,
    RecordComplaintBody,
    CountyVisitBody,
    ApproveBody,
    RejectBody,
    WithdrawBody,
    TerminateBody,
    ExtendBody,
)
"""Every action a person takes (the verification report arrives as an event, not a request)."""


# ------------------------------------------------------------------------------ reads


class StepRead(BaseModel):
    at: datetime
    on: date
    action: Action
    actor: str | None = Field(description="The account; hidden from applicants")
    capacity: Capacity
    from_stage: Stage
    to_stage: Stage
    note: str
    reasons: list[str]


class DeadlineRead(BaseModel):
    step: str
    start: date
    due: date
    overdue: bool
    provisional: bool = Field(description="Computed beyond the loaded holiday data: may move when it is loaded")
    unit: str
    source: str


class DecisionRead(BaseModel):
    approved: bool
    level: ApprovalLevel
    amount: str = Field(description="元")
    reasons: list[str]
    on: date
    effective_month: date | None


class CaseRead(BaseModel):
    """An application's procedure: stage, version, what is recorded, what is due, the timeline."""

    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    stage: Stage
    version: int
    submitted_on: date
    accepted_on: date | None
    missing_items: list[str]
    conflict_of_interest: bool = Field(description="单独登记备案: a member is a recorded relative of staff")
    home_visits: int
    county_visited: bool
    county_visit_needed: bool
    verification_received: bool
    care_tier: CareTier | None
    placement: Placement | None
    opinion_amount: str | None
    publicity_from: date | None
    publicity_until: date | None
    extension: ExtensionReason | None
    decision: DecisionRead | None
    deadlines: list[DeadlineRead]
    steps: list[StepRead]


class WorkItemRead(BaseModel):
    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: str
    town_code: str | None
    applicant_name: str
    applicant_masked_id: str
    stage: Stage
    submitted_at: datetime
    assigned_to: str | None
    next_due: date | None
    next_due_step: str | None
    overdue: bool
    provisional: bool
    version: int


class WorklistRead(BaseModel):
    items: list[WorkItemRead]
    total: int
    limit: int
    offset: int


class NoticeRead(BaseModel):
    id: UUID
    application_id: UUID
    kind: str
    title: str
    body: str
    title_en: str
    body_en: str
    created_at: datetime


class RelativeCreate(BaseModel):
    """回避: record that a staff account (yours unless named) is a close relative of a resident."""

    model_config = example({"resident_id": "520102198001010013", "relationship": "spouse"})
    account: Account | None = Field(default=None, description="Another account (county approvers only)")
    resident_id: ResidentId = Field(description="公民身份号码 of the relative")
    relationship: Relationship


def money(fen: int | None) -> str | None:
    return None if fen is None else format_fen(fen)
