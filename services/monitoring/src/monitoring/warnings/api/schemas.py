"""Request and response bodies of alerts and spot checks (no personal data: households and cases
by id, people never)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from monitoring.warnings.domain.model import (
    Alert,
    SpotCheckDraw,
    SpotCheckFinding,
    SpotCheckOutcome,
    SpotCheckResult,
)
from shared.events.monitoring import AlertDisposition, RiskLevel
from shared.types import RegionCode


class AlertRead(BaseModel):
    alert_id: UUID
    household_id: UUID
    case_id: UUID | None
    rule: str
    rules_version: str
    level: RiskLevel
    score: int
    reasons: list[str]
    region_code: str
    town_code: str | None
    raised_on: date
    due_on: date = Field(description="The town's deadline; after it the alert escalates to the county")
    status: str = Field(description="open (待处置), escalated (逾期上报县级), closed (已处置)")
    disposition: AlertDisposition | None
    evidence: str | None
    disposed_by: str | None
    disposed_on: date | None

    @classmethod
    def of(cls, item: Alert) -> AlertRead:
        return cls(**{**item.__dict__, "reasons": list(item.reasons), "status": item.status.value})


class AlertPage(BaseModel):
    items: list[AlertRead]
    total: int
    limit: int
    offset: int


class AlertDisposal(BaseModel):
    """处置: one of the four dispositions of §5.4 (or `no_risk` after verification), with the
    evidence: what was done, seen or decided."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "disposition": "deliver",
                    "evidence": "入户核实：户主住院、配偶失业，已协助申请临时救助并纳入低保边缘监测",
                }
            ]
        }
    )

    disposition: AlertDisposition | None = Field(default=None, description="Required: without it nothing closes")
    evidence: str | None = Field(default=None, max_length=2000)


class SpotCheckRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"region_code": "520102", "category": "tekun", "inspectors": ["检查员甲", "检查员乙"], "seed": 20261205}
            ]
        }
    )

    region_code: RegionCode
    category: str = Field(default="tekun", pattern=r"^[a-z_]{1,30}$", description="The case category drawn from")
    inspectors: list[str] = Field(min_length=1, max_length=50, description="The inspectors drawn from (by name or id)")
    share_percent: int = Field(default=30, ge=30, le=100, description="At least the statutory 30%")
    seed: int | None = Field(default=None, ge=0, lt=2**48, description="Give one to redo a draw; a fresh one otherwise")


class SpotCheckRead(BaseModel):
    draw_id: UUID
    region_code: str
    category: str
    seed: int
    share_percent: int
    population: int
    drawn: list[tuple[UUID, str]] = Field(description="(case id, inspector) pairs")
    drawn_at: datetime | None
    drawn_by: str

    @classmethod
    def of(cls, draw: SpotCheckDraw) -> SpotCheckRead:
        return cls(
            draw_id=draw.draw_id,
            region_code=draw.region_code,
            category=draw.category,
            seed=draw.seed,
            share_percent=draw.share_percent,
            population=draw.population,
            drawn=list(draw.inspectors),
            drawn_at=draw.drawn_at,
            drawn_by=draw.drawn_by,
        )


class SpotCheckResultCreate(BaseModel):
    """抽查结果 of one drawn case."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "00000000-0000-0000-0000-000000000001",
                    "outcome": "non_compliant",
                    "finding": "not_resident",
                }
            ]
        }
    )

    case_id: UUID
    outcome: SpotCheckOutcome
    finding: SpotCheckFinding | None = Field(default=None, description="Required when non-compliant")
    note: str | None = Field(default=None, max_length=500, description="What the inspector saw (kept encrypted)")


class SpotCheckResultRead(BaseModel):
    draw_id: UUID
    case_id: UUID
    inspector: str
    outcome: SpotCheckOutcome
    finding: SpotCheckFinding | None
    recorded_by: str
    recorded_on: date

    @classmethod
    def of(cls, r: SpotCheckResult) -> SpotCheckResultRead:
        return cls(
            draw_id=r.draw_id,
            case_id=r.case_id,
            inspector=r.inspector,
            outcome=r.outcome,
            finding=r.finding,
            recorded_by=r.recorded_by,
            recorded_on=r.recorded_on,
        )


class SpotCheckPublication(BaseModel):
    """双随机一公开: what the bureau publishes of a spot check. Counts only: no case, household,
    person or inspector."""

    region_code: str
    category: str
    seed: int = Field(description="Anyone can redo the draw from it")
    share_percent: int
    population: int = Field(description="Active cases of the category in the county when drawn")
    drawn: int
    checked: int
    compliant: int
    non_compliant: int
    findings: dict[str, int]
