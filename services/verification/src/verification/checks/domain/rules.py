"""The rules of a check (pure): who may be asked, what is asked, when it is done, and what the
answers add up to (the 核对报告's figures and its discrepancies with the declaration).

Decisions where DOMAIN-RULES is silent (§6.4 proposes a structure, no figures):
- the income period is the 12 full months before the month of the check (the assessment's
  window, DOMAIN-RULES §1.3); verified monthly income = the members' income in that period / 12;
- a money item differs from the declaration when the gap is over 10% of the declared value
  *and* over 100 元 (monthly averages of monthly data differ by rounding); a count differs at
  any difference; an undeclared item is not compared;
- a department counts as answered when every query of every one of its sources, for every
  member, was answered; otherwise it is missing (the event's `departments_missing`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from shared.events.verification import CheckItem, Department
from shared.types import round_money
from verification.checks.domain.errors import AuthorisationMissing, CheckNotRunning, NothingToRequery
from verification.checks.domain.model import (
    Authorisation,
    Check,
    CheckMember,
    CheckStatus,
    Declared,
    QueryPurpose,
    QueryStatus,
    SourceQuery,
)
from verification.departments.domain.model import DEPARTMENT_OF, Finding, FindingKind, Source

PERIOD_MONTHS = 12
MONEY_TOLERANCE_SHARE = Decimal("0.10")
MONEY_TOLERANCE_FLOOR = Decimal("100")


def income_period(day: date) -> tuple[date, date]:
    """The 12 full months before the month of `day`: (first day, last day)."""
    end = day.replace(day=1) - timedelta(days=1)
    month_index = end.year * 12 + end.month - 1 - (PERIOD_MONTHS - 1)
    start = date(month_index // 12, month_index % 12 + 1, 1)
    return start, end


@dataclass(frozen=True, slots=True)
class Person:
    """A member as the request names them: pseudonym and masked ID (never the clear ID)."""

    person_ref: str
    masked_id: str


def open_check(
    check_id: uuid.UUID,
    *,
    household_id: uuid.UUID,
    application_id: uuid.UUID | None,
    purpose: QueryPurpose,
    region_code: str,
    town_code: str | None,
    members: Sequence[Person],
    authorisations: Mapping[str, Authorisation],
    declared: Declared,
    sources: Iterable[Source],
    requested_by: str,
    at: datetime,
    correlation_id: str = "",
) -> Check:
    """A check of `members` on every source in `sources`. A member without a valid
    authorisation (`authorisations` by person ref) stops the whole check before any department
    is asked: it is stored `awaiting_authorisation` and names who is missing."""
    period_start, period_end = income_period(at.date())
    people = list({m.person_ref: m for m in members}.values())  # each person once
    check_members = [
        CheckMember(
            m.person_ref,
            m.masked_id,
            authorisations[m.person_ref].consent_id if m.person_ref in authorisations else None,
        )
        for m in people
    ]
    authorised = all(m.consent_id is not None for m in check_members)
    check = Check(
        check_id=check_id,
        household_id=household_id,
        application_id=application_id,
        purpose=purpose,
        region_code=region_code,
        town_code=town_code,
        requested_by=requested_by,
        requested_at=at,
        period_start=period_start,
        period_end=period_end,
        members=check_members,
        declared=declared,
        status=CheckStatus.RUNNING if authorised else CheckStatus.AWAITING_AUTHORISATION,
        correlation_id=correlation_id or f"check-{check_id}",
    )
    if authorised:
        check.queries = [
            SourceQuery(query_id=uuid.uuid4(), person_ref=m.person_ref, source=source)
            for m in check_members
            for source in sources
        ]
        check.rounds = 1
    return check


def require_authorised(check: Check) -> None:
    missing = [m.masked_id for m in check.members if m.consent_id is None]
    if missing:
        raise AuthorisationMissing(missing)


def answered(query: SourceQuery, findings: tuple[Finding, ...], reference: str, at: datetime) -> None:
    query.status, query.findings, query.department_reference = QueryStatus.ANSWERED, findings, reference
    query.answered_at, query.reason = at, None
    query.attempts += 1


def failed(query: SourceQuery, status: QueryStatus, reason: str, attempts: int) -> None:
    """An unanswered query: `unavailable` (retries spent, breaker open) or `refused`."""
    query.status, query.reason = status, reason
    query.attempts += attempts


def finish(check: Check, at: datetime) -> None:
    """Complete when every query was answered, partial otherwise; only once nothing is pending."""
    if check.status is not CheckStatus.RUNNING or check.pending():
        return
    unanswered = any(q.status is not QueryStatus.ANSWERED for q in check.queries)
    check.status = CheckStatus.PARTIAL if unanswered else CheckStatus.COMPLETE
    check.completed_at = at


def requery(check: Check) -> list[SourceQuery]:
    """Ask again what did not answer (unavailable, refused), keeping every answer: the check
    runs again for those queries only."""
    if check.status is CheckStatus.RUNNING:
        raise CheckNotRunning("running")
    require_authorised(check)
    again = [q for q in check.queries if q.status in (QueryStatus.UNAVAILABLE, QueryStatus.REFUSED)]
    if not again:
        raise NothingToRequery()
    for query in again:
        query.status, query.reason = QueryStatus.PENDING, None
    check.status, check.completed_at = CheckStatus.RUNNING, None
    check.rounds += 1
    return again


# --------------------------------------------------------------------------- the figures


@dataclass(frozen=True, slots=True)
class Discrepancy:
    item: CheckItem
    declared: Decimal | int
    verified: Decimal | int


@dataclass(frozen=True, slots=True)
class Summary:
    """What the answers add up to (the report's head and the event's figures)."""

    verified_monthly_income: Decimal
    financial_assets: Decimal
    vehicle_count: int
    property_count: int
    business_count: int
    civil_facts: tuple[str, ...]
    """STATUS findings worth a caseworker's eye (`deceased`, `married`…), deduplicated."""
    departments_answered: tuple[Department, ...]
    departments_missing: tuple[Department, ...]
    discrepancies: tuple[Discrepancy, ...]


def _in_period(finding: Finding, check: Check) -> bool:
    if finding.month is None:
        return False
    first = f"{check.period_start:%Y-%m}"
    last = f"{check.period_end:%Y-%m}"
    return first <= finding.month <= last


def _count(findings: Iterable[Finding], kind: FindingKind) -> int:
    return sum(f.count if f.count is not None else 1 for f in findings if f.kind is kind)


def _money_differs(declared: Decimal, verified: Decimal) -> bool:
    gap = abs(verified - declared)
    return gap > MONEY_TOLERANCE_FLOOR and gap > declared * MONEY_TOLERANCE_SHARE


def summarise(check: Check) -> Summary:
    findings = [f for q in check.queries if q.status is QueryStatus.ANSWERED for f in q.findings]
    income = sum(
        (f.amount for f in findings if f.kind is FindingKind.INCOME and f.amount is not None and _in_period(f, check)),
        Decimal(0),
    )
    monthly = round_money(income / PERIOD_MONTHS)
    assets = round_money(
        sum((f.amount for f in findings if f.kind is FindingKind.FINANCIAL_ASSET and f.amount), Decimal(0))
    )
    vehicles, properties = _count(findings, FindingKind.VEHICLE), _count(findings, FindingKind.PROPERTY)
    businesses = _count(findings, FindingKind.BUSINESS)
    facts = tuple(sorted({f.category for f in findings if f.kind is FindingKind.STATUS and f.category != "normal"}))

    by_department: dict[Department, bool] = {}
    for query in check.queries:
        department = DEPARTMENT_OF[query.source]
        by_department[department] = by_department.get(department, True) and query.status is QueryStatus.ANSWERED
    order = list(Department)
    answered_ = tuple(sorted((d for d, ok in by_department.items() if ok), key=order.index))
    missing = tuple(sorted((d for d, ok in by_department.items() if not ok), key=order.index))

    declared = check.declared
    gaps: list[Discrepancy] = []
    if declared.monthly_income is not None and _money_differs(declared.monthly_income, monthly):
        gaps.append(Discrepancy(CheckItem.MONTHLY_INCOME, declared.monthly_income, monthly))
    if declared.financial_assets is not None and _money_differs(declared.financial_assets, assets):
        gaps.append(Discrepancy(CheckItem.FINANCIAL_ASSETS, declared.financial_assets, assets))
    for item, declared_count, verified_count in (
        (CheckItem.VEHICLES, declared.vehicles, vehicles),
        (CheckItem.PROPERTIES, declared.properties, properties),
        (CheckItem.BUSINESSES, declared.businesses, businesses),
    ):
        if declared_count is not None and declared_count != verified_count:
            gaps.append(Discrepancy(item, declared_count, verified_count))
    return Summary(
        verified_monthly_income=monthly,
        financial_assets=assets,
        vehicle_count=vehicles,
        property_count=properties,
        business_count=businesses,
        civil_facts=facts,
        departments_answered=answered_,
        departments_missing=missing,
        discrepancies=tuple(gaps),
    )
