"""HTTP models of checks and of the 核对报告 (DOMAIN-RULES §6.4)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.verification import CheckItem, Department
from shared.types import CountyCode, InvalidValueError, NonNegativeMoney, ResidentId, TownCode, check_town_in_county
from verification.checks.domain import rules
from verification.checks.domain.model import Check, CheckStatus, Declared, QueryPurpose, QueryStatus
from verification.departments.domain.model import DEPARTMENT_OF, FindingKind, Source


class DeclaredBody(BaseModel):
    """What the household declared (申报), to compare with what the departments report."""

    model_config = ConfigDict(extra="forbid")
    monthly_income: NonNegativeMoney | None = Field(default=None, description="家庭月收入 declared (元/月)")
    financial_assets: NonNegativeMoney | None = Field(default=None, description="金融资产 declared (元)")
    vehicles: int | None = Field(default=None, ge=0, le=100)
    properties: int | None = Field(default=None, ge=0, le=100)
    businesses: int | None = Field(default=None, ge=0, le=100)

    def to_domain(self) -> Declared:
        return Declared(self.monthly_income, self.financial_assets, self.vehicles, self.properties, self.businesses)


class CheckCreate(BaseModel):
    """Ask the departments about a household (核对): every member named must have a valid
    authorisation (授权书), or nothing is asked and the answer says who is missing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "household_id": "7f0c9a4e-3b1d-4c55-9a57-0c1f2a3b4c5d",
                    "region_code": "520102",
                    "purpose": "review",
                    "members": ["520102198001011235"],
                    "declared": {"monthly_income": "800.00", "financial_assets": "3000.00", "vehicles": 0},
                }
            ]
        },
    )
    household_id: UUID
    region_code: CountyCode
    town_code: TownCode | None = None
    application_id: UUID | None = None
    purpose: QueryPurpose = Field(description="查询事由, from a fixed list (never free text)")
    members: list[ResidentId] = Field(min_length=1, max_length=50, description="共同生活家庭成员 (resident IDs)")
    declared: DeclaredBody = Field(default_factory=DeclaredBody)

    @model_validator(mode="after")
    def _town_in_county(self) -> CheckCreate:
        try:
            check_town_in_county(self.town_code, self.region_code)
        except InvalidValueError as exc:
            raise exc.to_pydantic() from None
        return self


class FindingRead(BaseModel):
    kind: FindingKind
    category: str
    month: str | None
    amount: Decimal | None
    count: int | None
    occurred_on: date | None
    detail: str
    reference: str = Field(description="The department's record id")


class SourceRead(BaseModel):
    source: Source
    department: Department
    status: QueryStatus
    reason: str | None
    attempts: int
    answered_at: datetime | None = Field(description="When the department answered (the time of every item)")
    department_reference: str
    findings: list[FindingRead]


class MemberReport(BaseModel):
    masked_id: str
    consent_id: UUID | None = Field(description="The authorisation (授权书) the queries ran under; null: missing")
    sources: list[SourceRead]


class DiscrepancyRead(BaseModel):
    item: CheckItem
    declared: Decimal | int
    verified: Decimal | int


class SummaryRead(BaseModel):
    verified_monthly_income: Decimal
    financial_assets: Decimal
    vehicle_count: int
    property_count: int
    business_count: int
    civil_facts: list[str] = Field(description="e.g. deceased, married: facts for a caseworker's eye")
    departments_answered: list[Department]
    departments_missing: list[Department]
    discrepancies: list[DiscrepancyRead]


class CheckReport(BaseModel):
    """核对报告: per member and per source, with the source and time of every item, compared
    with the declaration."""

    check_id: UUID
    household_id: UUID
    application_id: UUID | None
    purpose: QueryPurpose
    status: CheckStatus
    region_code: str
    town_code: str | None
    requested_by: str
    requested_at: datetime
    completed_at: datetime | None
    period_start: date
    period_end: date
    rounds: int
    declared: DeclaredBody
    summary: SummaryRead
    members: list[MemberReport]


class CheckListItem(BaseModel):
    check_id: UUID
    household_id: UUID
    application_id: UUID | None
    purpose: QueryPurpose
    status: CheckStatus
    region_code: str
    town_code: str | None
    requested_at: datetime
    completed_at: datetime | None


class CheckPage(BaseModel):
    items: list[CheckListItem]
    total: int
    limit: int
    offset: int


def report_of(check: Check) -> CheckReport:
    summary = rules.summarise(check)
    d = check.declared
    return CheckReport(
        check_id=check.check_id,
        household_id=check.household_id,
        application_id=check.application_id,
        purpose=check.purpose,
        status=check.status,
        region_code=check.region_code,
        town_code=check.town_code,
        requested_by=check.requested_by,
        requested_at=check.requested_at,
        completed_at=check.completed_at,
        period_start=check.period_start,
        period_end=check.period_end,
        rounds=check.rounds,
        declared=DeclaredBody(
            monthly_income=d.monthly_income,
            financial_assets=d.financial_assets,
            vehicles=d.vehicles,
            properties=d.properties,
            businesses=d.businesses,
        ),
        summary=SummaryRead(
            verified_monthly_income=summary.verified_monthly_income,
            financial_assets=summary.financial_assets,
            vehicle_count=summary.vehicle_count,
            property_count=summary.property_count,
            business_count=summary.business_count,
            civil_facts=list(summary.civil_facts),
            departments_answered=list(summary.departments_answered),
            departments_missing=list(summary.departments_missing),
            discrepancies=[
                DiscrepancyRead(item=x.item, declared=x.declared, verified=x.verified) for x in summary.discrepancies
            ],
        ),
        members=[
            MemberReport(
                masked_id=m.masked_id,
                consent_id=m.consent_id,
                sources=[
                    SourceRead(
                        source=q.source,
                        department=DEPARTMENT_OF[q.source],
                        status=q.status,
                        reason=q.reason,
                        attempts=q.attempts,
                        answered_at=q.answered_at,
                        department_reference=q.department_reference,
                        findings=[
                            FindingRead(
                                kind=f.kind,
                                category=f.category,
                                month=f.month,
                                amount=f.amount,
                                count=f.count,
                                occurred_on=f.occurred_on,
                                detail=f.detail,
                                reference=f.reference,
                            )
                            for f in q.findings
                        ],
                    )
                    for q in sorted(
                        (q for q in check.queries if q.person_ref == m.person_ref),
                        key=lambda q: list(Source).index(q.source),
                    )
                ],
            )
            for m in check.members
        ],
    )
