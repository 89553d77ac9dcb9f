"""A household economic-status check (家庭经济状况核对) and its queries (pure).

A check asks every source of DOMAIN-RULES §6.2 about every member it names, under each member's
authorisation (授权书). Each (member, source) pair is one `SourceQuery`: pending until a source
answers it, refuses it, or stays unavailable through its retries; an unavailable query can be
asked again later without redoing the others. The check is `complete` when every query was
answered, `partial` when some were not (the report says which), and `awaiting_authorisation`
when a member had no valid authorisation (no department was asked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from shared.events.verification import CheckPurpose
from verification.departments.domain.model import Finding, Source


class CheckStatus(StrEnum):
    AWAITING_AUTHORISATION = "awaiting_authorisation"  # a member has no valid 授权书: nothing asked
    RUNNING = "running"  # queries pending
    COMPLETE = "complete"  # every query answered
    PARTIAL = "partial"  # finished with unanswered queries (re-query them)


class QueryStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    UNAVAILABLE = "unavailable"  # timed out / failed through the retries, or the breaker was open
    REFUSED = "refused"  # the source refused the question (a retry will not help)


class QueryPurpose(StrEnum):
    """Why a department is asked (查询事由): a fixed list, never free text that could hold
    personal data. The audit of every query records it."""

    APPLICATION = "application"  # 申请审核核对
    REVIEW = "review"  # 定期复核
    SPOT_CHECK = "spot_check"  # 抽查
    SCREENING = "screening"  # 老户筛查 (batch screening of existing recipients)
    MEDICAL_ASSISTANCE = "medical_assistance"  # 医疗救助 (another programme's request)
    HOUSING_ASSISTANCE = "housing_assistance"  # 住房救助
    EDUCATION_ASSISTANCE = "education_assistance"  # 教育救助

    def event_purpose(self) -> CheckPurpose:
        """The purpose as `verification.check_completed` names it (the event's coarser list)."""
        if self is QueryPurpose.APPLICATION:
            return CheckPurpose.APPLICATION
        if self is QueryPurpose.SPOT_CHECK:
            return CheckPurpose.SPOT_CHECK
        return CheckPurpose.REVIEW


@dataclass(frozen=True, slots=True)
class Authorisation:
    """A member's valid 授权书 as the check uses it: whom to ask about, under which consent."""

    consent_id: UUID
    person_ref: str
    masked_id: str
    resident_id: str
    name: str


@dataclass(frozen=True, slots=True)
class CheckMember:
    person_ref: str
    masked_id: str
    consent_id: UUID | None
    """None only in a check awaiting authorisation (this member is who is missing)."""


@dataclass(frozen=True, slots=True)
class Declared:
    """What the household declared (申报), compared with what the sources report. Any field may
    be unknown (None): an unknown declaration is not compared."""

    monthly_income: Decimal | None = None
    financial_assets: Decimal | None = None
    vehicles: int | None = None
    properties: int | None = None
    businesses: int | None = None


@dataclass(slots=True)
class SourceQuery:
    query_id: UUID
    person_ref: str
    source: Source
    status: QueryStatus = QueryStatus.PENDING
    attempts: int = 0
    reason: str | None = None
    answered_at: datetime | None = None
    department_reference: str = ""
    findings: tuple[Finding, ...] = ()


@dataclass(slots=True)
class Check:
    check_id: UUID
    household_id: UUID
    application_id: UUID | None
    purpose: QueryPurpose
    region_code: str
    town_code: str | None
    requested_by: str
    requested_at: datetime
    period_start: date
    period_end: date
    members: list[CheckMember]
    declared: Declared
    status: CheckStatus
    queries: list[SourceQuery] = field(default_factory=list)
    correlation_id: str = ""
    """Of the request or event that opened the check: its runs and its event carry it on."""
    completed_at: datetime | None = None
    rounds: int = 0
    """How many times the check was run (the first run, then each re-query)."""
    version: int = 1

    @property
    def area_code(self) -> str:
        return self.town_code or self.region_code

    def pending(self) -> list[SourceQuery]:
        return [q for q in self.queries if q.status is QueryStatus.PENDING]
