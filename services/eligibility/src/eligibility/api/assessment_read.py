"""Response models for assessments and policies."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from eligibility.domain.assessment import Assessment, Reason, Step
from eligibility.domain.calendar import Deadline
from eligibility.domain.explain import reason_text, shown, step_text, summary, yuan
from eligibility.domain.policy import ParamRef, PolicyVersion
from eligibility.domain.termination import Trigger
from shared.types import Period


class ParameterRead(BaseModel):
    name: str
    value: str
    unit: str
    version: str
    source: str = Field(description="`national`, `illustrative` or a document number")


class StepRead(BaseModel):
    code: str
    value: str
    unit: str = Field(description="`yuan` for money (exact before rounding where the step says so), else as named")
    subject: str | None = Field(description="The member the step is about, if any")
    message_zh: str
    message_en: str
    parameters: list[ParameterRead]


class ReasonRead(BaseModel):
    code: str
    passed: bool
    actual: str
    limit: str
    unit: str
    rule: str
    subject: str | None
    message_zh: str
    message_en: str
    parameters: list[ParameterRead]


class SupplementRead(BaseModel):
    member_id: str
    group: str
    amount: str


class TekunRead(BaseModel):
    member_id: str
    basic: str
    care_tier: str
    care: str
    total: str


class TemporaryRead(BaseModel):
    kind: str
    granted: str
    approval_level: str
    case_by_case: bool = Field(description="一事一议: the documented need exceeds what the rules grant")
    reasons: list[ReasonRead]


class TriggerRead(BaseModel):
    code: str
    scope: str
    rule: str


class PolicyRef(BaseModel):
    version: str
    effective_from: date
    illustrative: bool
    area_group: str
    hukou: str


class AssessmentRead(BaseModel):
    policy: PolicyRef
    benefit_month: str
    category: str
    monthly_total: str = Field(description="低保 (or the 渐退 amount) plus 特困 support, yuan a month")
    household_members: list[str]
    excluded_members: list[dict[str, str]]
    household_income_monthly: str = Field(description="Rounded to the fen for display; rules use the exact value")
    dibao_base: str
    supplements: list[SupplementRead]
    dibao_total: str
    tekun_persons: list[TekunRead]
    phase_out_amount: str
    phase_out_until: str | None
    temporary: TemporaryRead | None
    price_subsidy_per_person: str
    price_subsidy_total: str
    next_review: str | None
    valid_until: str | None
    summary_zh: str
    summary_en: str
    termination: list[TriggerRead] = Field(description="For an active case: what would stop it (停发 triggers)")
    reasons: list[ReasonRead]
    steps: list[StepRead]


def _param(ref: ParamRef) -> ParameterRead:
    return ParameterRead(name=ref.name, value=str(ref.value), unit=ref.unit, version=ref.version, source=ref.source)


def _unit(unit: str) -> str:
    return {"fen": "yuan", "fen_x": "yuan", "m2_centi": "m2"}.get(unit, unit)


def _step(step: Step) -> StepRead:
    zh, en = step_text(step)
    return StepRead(
        code=step.code,
        value=shown(step.unit, step.value, step.scale),
        unit=_unit(step.unit),
        subject=step.subject,
        message_zh=zh,
        message_en=en,
        parameters=[_param(p) for p in step.params],
    )


def _reason(reason: Reason) -> ReasonRead:
    zh, en = reason_text(reason)
    return ReasonRead(
        code=reason.code,
        passed=reason.passed,
        actual=shown(reason.unit, reason.actual),
        limit=shown(reason.unit, reason.limit),
        unit=_unit(reason.unit),
        rule=reason.rule,
        subject=reason.subject,
        message_zh=zh,
        message_en=en,
        parameters=[_param(p) for p in reason.params],
    )


def _month(day: date | None) -> str | None:
    return None if day is None else str(Period.from_date(day))


def assessment_read(a: Assessment, effective_from: date, triggers: list[Trigger]) -> AssessmentRead:
    zh, en = summary(a)
    temporary = None
    if a.temporary is not None:
        t = a.temporary
        temporary = TemporaryRead(
            kind=t.kind,
            granted=yuan(t.granted),
            approval_level=t.approval_level,
            case_by_case=t.case_by_case,
            reasons=[_reason(r) for r in t.reasons],
        )
    return AssessmentRead(
        policy=PolicyRef(
            version=a.policy_version,
            effective_from=effective_from,
            illustrative=a.policy_illustrative,
            area_group=a.area_group,
            hukou=a.hukou,
        ),
        benefit_month=_month(a.benefit_month) or "",
        category=a.category,
        monthly_total=yuan(a.monthly_total),
        household_members=list(a.unit_member_ids),
        excluded_members=[{"member_id": m, "reason": r} for m, r in a.excluded_members],
        household_income_monthly=yuan(a.household_income_x, a.income_scale),
        dibao_base=yuan(a.dibao_base),
        supplements=[
            SupplementRead(member_id=s.member_id, group=s.group, amount=yuan(s.amount)) for s in a.supplements
        ],
        dibao_total=yuan(a.dibao_total),
        tekun_persons=[
            TekunRead(
                member_id=p.member_id,
                basic=yuan(p.basic),
                care_tier=p.care_tier,
                care=yuan(p.care),
                total=yuan(p.total),
            )
            for p in a.tekun_persons
        ],
        phase_out_amount=yuan(a.phase_out_amount),
        phase_out_until=_month(a.phase_out_until),
        temporary=temporary,
        price_subsidy_per_person=yuan(a.price_subsidy_per_person),
        price_subsidy_total=yuan(a.price_subsidy),
        next_review=_month(a.next_review),
        valid_until=_month(a.valid_until),
        summary_zh=zh,
        summary_en=en,
        termination=[TriggerRead(code=t.code, scope=t.scope, rule=t.rule) for t in triggers],
        reasons=[_reason(r) for r in a.reasons],
        steps=[_step(s) for s in a.steps],
    )


class PolicyVersionSummary(BaseModel):
    policy_set: str
    version: str
    effective_from: date
    title: str
    illustrative: bool


class PolicyVersionRead(PolicyVersionSummary):
    parameters: dict[str, dict[str, str | None]]


def policy_version_read(policy_set: str, v: PolicyVersion, *, full: bool) -> PolicyVersionSummary:
    summary_fields = {
        "policy_set": policy_set,
        "version": v.version,
        "effective_from": v.effective_from,
        "title": v.title,
        "illustrative": v.is_illustrative,
    }
    if not full:
        return PolicyVersionSummary(**summary_fields)
    parameters = {
        name: {"value": str(p.value), "unit": p.unit, "source": p.source, "note": p.note}
        for name, p in sorted(v.parameters.items())
    }
    return PolicyVersionRead(**summary_fields, parameters=parameters)


class DeadlineRead(BaseModel):
    step: str
    start: date
    due: date = Field(description="The last day on which the step is on time (overdue from the next day)")
    amount: int
    unit: str
    start_event: str
    source: str
    basis: str


def deadline_read(deadline: Deadline) -> DeadlineRead:
    clock = deadline.clock
    return DeadlineRead(
        step=deadline.step.value,
        start=deadline.start,
        due=deadline.due,
        amount=clock.amount,
        unit=clock.unit,
        start_event=clock.start_event,
        source=clock.source,
        basis=clock.basis,
    )
