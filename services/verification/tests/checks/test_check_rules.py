"""The rules of a check (pure): the income period, who must have authorised, when a check is
complete or partial, what a re-query asks again, and the report's figures and discrepancies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.events.verification import CheckItem, Department
from verification.checks.domain import rules
from verification.checks.domain.errors import AuthorisationMissing, CheckNotRunning, NothingToRequery
from verification.checks.domain.model import Authorisation, Check, CheckStatus, Declared, QueryPurpose, QueryStatus
from verification.departments.domain.model import Finding, FindingKind, Source

AT = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
A = rules.Person("pr1_" + "a" * 52, "5201**********1232")
B = rules.Person("pr1_" + "b" * 52, "5201**********2345")


def authorised(*people: rules.Person) -> dict[str, Authorisation]:
    return {p.person_ref: Authorisation(uuid.uuid4(), p.person_ref, p.masked_id, "x", "n") for p in people}


def opened(
    people: tuple[rules.Person, ...] = (A, B),
    authorisations: dict[str, Authorisation] | None = None,
    declared: Declared | None = None,
    sources: tuple[Source, ...] = tuple(Source),
) -> Check:
    return rules.open_check(
        uuid.uuid4(),
        household_id=uuid.uuid4(),
        application_id=None,
        purpose=QueryPurpose.REVIEW,
        region_code="520102",
        town_code=None,
        members=people,
        authorisations=authorised(*people) if authorisations is None else authorisations,
        declared=declared or Declared(),
        sources=sources,
        requested_by="cw",
        at=AT,
    )


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2026, 12, 4), (date(2025, 12, 1), date(2026, 11, 30))),
        (date(2026, 1, 31), (date(2025, 1, 1), date(2025, 12, 31))),
        (date(2024, 3, 1), (date(2023, 3, 1), date(2024, 2, 29))),
    ],
)
def test_the_income_period_is_the_twelve_full_months_before(day: date, period: tuple[date, date]) -> None:
    assert rules.income_period(day) == period


def test_every_member_is_asked_every_source_once() -> None:
    check = opened(people=(A, B, A))

    assert check.status is CheckStatus.RUNNING
    assert len(check.members) == 2
    assert {(q.person_ref, q.source) for q in check.queries} == {(p.person_ref, s) for p in (A, B) for s in Source}
    assert len(check.queries) == 2 * len(Source)


def test_a_member_without_authorisation_stops_the_check_and_is_named() -> None:
    check = opened(authorisations=authorised(A))

    assert check.status is CheckStatus.AWAITING_AUTHORISATION
    assert check.queries == []
    with pytest.raises(AuthorisationMissing) as refused:
        rules.require_authorised(check)
    assert refused.value.masked_ids == [B.masked_id]
    assert B.masked_id in refused.value.message_zh


def answer_all(check: Check, findings: dict[Source, tuple[Finding, ...]] | None = None) -> None:
    for q in check.queries:
        rules.answered(q, (findings or {}).get(q.source, ()), "ref", AT)


def test_complete_when_every_query_answered_partial_otherwise_and_requery_asks_only_the_rest() -> None:
    check = opened(people=(A,), sources=(Source.TAX, Source.REAL_ESTATE, Source.VEHICLES))
    tax, estate, vehicles = check.queries
    rules.answered(tax, (), "t1", AT)
    rules.finish(check, AT)
    assert check.status is CheckStatus.RUNNING  # two still pending

    rules.failed(estate, QueryStatus.UNAVAILABLE, "timeout", 3)
    rules.failed(vehicles, QueryStatus.REFUSED, "http_400", 1)
    rules.finish(check, AT)
    assert check.status is CheckStatus.PARTIAL
    summary = rules.summarise(check)
    assert summary.departments_answered == (Department.TAX,)
    assert set(summary.departments_missing) == {Department.NATURAL_RESOURCES, Department.PUBLIC_SECURITY}

    again = rules.requery(check)
    assert {q.source for q in again} == {Source.REAL_ESTATE, Source.VEHICLES}
    assert tax.status is QueryStatus.ANSWERED
    assert (check.status, check.rounds) == (CheckStatus.RUNNING, 2)
    with pytest.raises(CheckNotRunning):
        rules.requery(check)
    for q in again:
        rules.answered(q, (), "r", AT)
    rules.finish(check, AT)
    assert check.status is CheckStatus.COMPLETE
    with pytest.raises(NothingToRequery):
        rules.requery(check)


def income(month: str, amount: str) -> Finding:
    return Finding(FindingKind.INCOME, "wage", f"w-{month}", month=month, amount=Decimal(amount))


def test_the_figures_and_discrepancies_with_the_declaration() -> None:
    declared = Declared(monthly_income=Decimal("800"), financial_assets=Decimal("5000"), vehicles=0, properties=1)
    check = opened(people=(A, B), declared=declared)
    twelve = tuple(income(f"{m[:4]}-{m[4:]}", "1500") for m in ("202512", *(f"2026{i:02d}" for i in range(1, 12))))
    outside = (income("2026-12", "99999"), income("2025-11", "99999"))  # not in the period
    findings = {
        Source.TAX: twelve + outside,
        Source.BANK_DEPOSITS: (Finding(FindingKind.FINANCIAL_ASSET, "deposit", "d1", amount=Decimal("5200.50")),),
        Source.VEHICLES: (Finding(FindingKind.VEHICLE, "car", "v1", count=1),),
        Source.REAL_ESTATE: (Finding(FindingKind.PROPERTY, "residential", "p1", count=1),),
        Source.FUNERAL: (Finding(FindingKind.STATUS, "deceased", "f1"),),
    }
    answer_all(check, findings)
    rules.finish(check, AT)

    summary = rules.summarise(check)

    # both members: 2 × 12 × 1500 / 12
    assert summary.verified_monthly_income == Decimal("3000.00")
    assert summary.financial_assets == Decimal("10401.00")
    assert (summary.vehicle_count, summary.property_count, summary.business_count) == (2, 2, 0)
    assert summary.civil_facts == ("deceased",)
    assert summary.departments_missing == ()
    assert [(d.item, d.declared, d.verified) for d in summary.discrepancies] == [
        (CheckItem.MONTHLY_INCOME, Decimal("800"), Decimal("3000.00")),
        (CheckItem.FINANCIAL_ASSETS, Decimal("5000"), Decimal("10401.00")),
        (CheckItem.VEHICLES, 0, 2),
        (CheckItem.PROPERTIES, 1, 2),
    ]


@pytest.mark.parametrize(
    ("declared", "verified", "differs"),
    [("1000", "1099", False), ("1000", "1101", True), ("500", "590", False), ("0", "100", False), ("0", "101", True)],
)
def test_a_money_gap_counts_over_ten_percent_and_over_100_yuan(declared: str, verified: str, differs: bool) -> None:
    check = opened(people=(A,), declared=Declared(monthly_income=Decimal(declared)), sources=(Source.TAX,))
    months = ["2025-12", *(f"2026-{i:02d}" for i in range(1, 12))]
    answer_all(check, {Source.TAX: tuple(income(m, verified) for m in months)})

    assert bool(rules.summarise(check).discrepancies) is differs
