"""The monthly payroll over HTTP and the payment consumer (SQLite and PostgreSQL): eligibility's
decisions become a ledger; a run pays what is owed through its month (arrears of a backdated
approval included), holds what may not go to the bank (no account, an account changed too
recently, a payee reported dead), is approved by another officer within budget, and its bank
results settle instructions once; a backdated termination opens a recovery of exactly the
months paid after it; calculating twice, or resuming a crashed calculation, never makes a line
twice."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from lxml import etree
from sqlalchemy import text

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.testing import ServiceHarness, wait_for_lock_waiters
from payment.bankfiles.adapters.bank_simulator import BankSimulator
from payment.bankfiles.adapters.pain001 import PAIN001_XSD
from payment.ledger.adapters.repository import LedgerRepository
from payment.ledger.domain.model import Version
from payment.metrics import payroll_amounts
from payment.payroll import service
from payment.payroll.adapters import repository
from payment.payroll.domain.model import BankResult
from payment.settings import DEV_DEBTOR, Settings
from payment.testing import (
    AT,
    COUNTY,
    approved,
    caseworker,
    changed,
    death,
    deliver,
    officer,
    resident,
    terminated,
)
from shared.events import PaymentSettled, RecoveryOpened, parse_event
from shared.events.eligibility import BenefitChangeReason
from shared.events.payment import PaymentFailureReason
from shared.types import Period

RUNS = "/v1/payment/payroll-runs"
PAYEE = resident("52010219600101511")
ACCOUNT = "6222021234567890128"


@pytest.fixture
def h(tier_h: ServiceHarness) -> ServiceHarness:
    """SQLite and PostgreSQL, the county's paying account configured (as PAYMENT_DEBTORS would)."""
    settings = tier_h.runtime.settings
    assert isinstance(settings, Settings)
    settings.debtors[COUNTY] = DEV_DEBTOR
    return tier_h


async def open_run(h: ServiceHarness, period: str) -> str:
    response = await h.client.post(RUNS, json={"period": period, "county_code": COUNTY})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def record_account(h: ServiceHarness, payee: str = PAYEE, by: str = "cw-1") -> str:
    response = await h.client.post(
        "/v1/payment/payee-accounts",
        json={
            "resident_id": payee,
            "holder_name": "王五",
            "account_number": ACCOUNT,
            "bank_name": "中国工商银行贵阳南明支行",
            "county_code": COUNTY,
            "effective_from": "2026-01-01",
        },
        headers=caseworker(h, by),
    )
    assert response.status_code == 201, response.text
    assert ACCOUNT not in response.text
    return str(response.json()["account_id"])


async def confirmed_account(h: ServiceHarness, payee: str = PAYEE) -> None:
    account = await record_account(h, payee)
    confirm = await h.client.post(f"/v1/payment/payee-accounts/{account}/confirm", headers=officer(h, "officer-a"))
    assert confirm.status_code == 200, confirm.text


async def calculate(h: ServiceHarness, run_id: str, by: str = "officer-a") -> dict[str, Any]:
    response = await h.client.post(f"{RUNS}/{run_id}/calculate", headers=officer(h, by))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def approve(h: ServiceHarness, run_id: str) -> None:
    """The run approved by the second officer (four eyes: officer-a calculates)."""
    response = await h.client.post(f"{RUNS}/{run_id}/approve", json={}, headers=officer(h, "officer-b"))
    assert response.status_code == 200, response.text


async def export(h: ServiceHarness, run_id: str) -> dict[str, Any]:
    exported = await h.client.post(f"{RUNS}/{run_id}/export", headers=officer(h, "officer-a"))
    assert exported.status_code == 200, exported.text
    return dict(exported.json())


async def instructions(h: ServiceHarness, run_id: str, status: str | None = None) -> list[dict[str, Any]]:
    params = {"limit": 500} | ({"status": status} if status else {})
    response = await h.client.get(f"{RUNS}/{run_id}/instructions", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_the_holder_s_name_is_encrypted_at_rest_and_read_back(h: ServiceHarness) -> None:
    """Issue 15 #16: 户名 is a person's name: no clear cell in the database, the same name back
    to the officer who reads the account (and into the bank file, tested with the files)."""
    account_id = await record_account(h)
    async with h.runtime.database.read() as session:
        (stored,) = (await session.execute(text("select holder_name from payee_account"))).one()
    assert "王五" not in stored
    assert stored.startswith("v1.")
    read = await h.client.get(f"/v1/payment/payee-accounts/{account_id}")
    assert read.status_code == 200, read.text
    assert read.json()["holder_name"] == "王五"


async def test_a_backdated_approval_is_paid_its_arrears_in_the_next_run(h: ServiceHarness) -> None:
    _, event = approved(PAYEE, "2026-09", gap="600.00", supplement="120.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")

    run = await calculate(h, run_id)

    lines = await instructions(h, run_id)
    assert sorted((i["period"], i["component"], i["amount"], i["arrears"]) for i in lines) == [
        (p, c, a, p != "2026-12")
        for p in ("2026-09", "2026-10", "2026-11", "2026-12")
        for c, a in (("gap", "600.00"), ("supplement", "120.00"))
    ]
    assert run["status"] == "calculated"
    assert Decimal(run["totals"]["amount"]) == Decimal("2880.00")
    assert Decimal(run["totals"]["arrears"]) == Decimal("2160.00")
    assert all(i["status"] == "pending" for i in lines)
    assert PAYEE not in str(lines)


async def test_calculating_again_adds_nothing_twice(h: ServiceHarness) -> None:
    _, event = approved(PAYEE, "2026-11")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    first = await calculate(h, run_id)

    second = await calculate(h, run_id)

    assert second["totals"] == first["totals"]
    assert len(await instructions(h, run_id)) == 4


async def test_a_calculation_leaves_the_planner_knowing_the_run_s_lines(
    h: ServiceHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the statistics are refreshed once the lines are made, so what reads the whole
    run next (its totals, the bank file) is planned for as many lines as it has, not a few. They
    are a hint: while someone else holds them (an autovacuum that does not yield), the
    calculation finishes without waiting long."""
    if h.runtime.database.dialect != "postgresql":
        pytest.skip("the planner's statistics are PostgreSQL's")
    monkeypatch.setattr(repository, "ANALYZE_WAIT", "100ms")
    _, event = approved(PAYEE, "2026-10", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    known = text("select reltuples from pg_class where relname = 'payment_instruction'")

    async with h.runtime.database.transaction() as session:
        await session.execute(text("lock table payment_instruction in share update exclusive mode"))
        held = await calculate(h, run_id)
        assert await session.scalar(known) == -1  # never analysed
    await calculate(h, run_id)

    async with h.runtime.database.read() as session:
        assert await session.scalar(known) == 3  # October, November and December
    assert held["totals"]["count"] == 3


async def test_a_calculation_that_dies_half_way_resumes_to_the_same_lines(h: ServiceHarness) -> None:
    for n in range(5):
        _, event = approved(resident(f"52010219600101{n}52"), "2026-12")
        await deliver(h, event)
    run_id = await open_run(h, "2026-12")
    scope = RegionScope(AccessLevel.COUNTY, region_code=COUNTY)

    class Crash(Exception):
        pass

    pages = 0

    def dying(entitlements: int) -> None:  # told after each committed page: the third is the last
        nonlocal pages
        pages += 1
        if pages == 3:
            raise Crash()

    with pytest.raises(Crash):
        await service.calculate(
            h.runtime.database,
            scope,
            UUID(run_id),
            "officer-a",
            service.PayrollDeps(now=h.runtime.now, page=1, on_page=dying),
        )
    assert (await h.client.get(f"{RUNS}/{run_id}")).json()["status"] == "calculating"
    partial = await instructions(h, run_id)

    resumed = await calculate(h, run_id)

    assert 0 < len(partial) < 10
    assert resumed["totals"]["count"] == 10  # 5 cases × 2 components, none twice
    assert len({(i["case_id"], i["period"], i["component"]) for i in await instructions(h, run_id)}) == 10


async def test_a_line_another_calculation_writes_meanwhile_is_left_alone(h: ServiceHarness) -> None:
    """PostgreSQL: a page inserts its lines without `on conflict`. When another calculation of
    the run writes one of them after the page looked (here: written, not yet committed, when
    the page runs), the page fails on the line's key and is made again leaving that line alone:
    the calculation finishes, and every line is there once."""
    if h.runtime.database.dialect != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite queues them)")
    _, event = approved(PAYEE, "2026-11", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)
    async with h.runtime.database.transaction() as session:  # what the other calculation writes
        other = [dict(row) for row in (await session.execute(text("select * from payment_instruction"))).mappings()]
        await session.execute(text("delete from payment_instruction"))
        await session.execute(text("update payroll_run set status = 'draft', calculated_at = null"))
    columns = ", ".join(other[0])
    insert = text(f"insert into payment_instruction ({columns}) values ({', '.join(f':{c}' for c in other[0])})")

    async with h.runtime.database.transaction() as session:  # the other calculation, not committed yet
        await session.execute(insert, other)
        calculation = asyncio.create_task(calculate(h, run_id))
        await wait_for_lock_waiters(h.runtime.database, 1)  # the page waits on the first line's key
    totals = (await calculation)["totals"]

    lines = await instructions(h, run_id)
    assert sorted(line["instruction_id"] for line in lines) == sorted(str(row["instruction_id"]) for row in other)
    assert totals["count"] == len(other) == 2  # November (arrears) and December


async def test_a_line_of_a_month_no_run_of_the_county_tells_of_is_found_on_its_key(h: ServiceHarness) -> None:
    """PostgreSQL: a page looks for the lines already there only through the latest month of the
    county's runs (later months have none yet). A case that moved in from another county can
    have one all the same (made by that county's run): the page fails on the line's key and is
    made again looking up every month, so what was paid is not owed again and what failed is
    owed once more (a second attempt)."""
    if h.runtime.database.dialect != "postgresql":
        pytest.skip("the lines' lookup is skipped on PostgreSQL only (SQLite looks at every month)")
    _, event = approved(PAYEE, "2026-11", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    before = await open_run(h, "2026-12")
    await calculate(h, before)
    async with h.runtime.database.transaction() as session:  # the run that paid it was another county's
        await session.execute(text("update payroll_run set county_code = '520103' where id = :id"), {"id": before})
        await session.execute(
            text(
                "update payment_instruction set county_code = '520103', "
                "status = case when period = '2026-11' then 'paid' else 'failed' end"
            )
        )

    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)

    assert [(i["period"], i["amount"], i["attempt"]) for i in await instructions(h, run_id)] == [
        ("2026-12", "600.00", 1)
    ]


async def test_what_may_not_go_to_the_bank_is_held_with_its_reason(h: ServiceHarness) -> None:
    _, event = approved(PAYEE, "2026-12")
    await deliver(h, event)
    run_id = await open_run(h, "2026-12")

    await calculate(h, run_id)
    assert {i["hold_reason"] for i in await instructions(h, run_id)} == {"no_account"}

    account = await record_account(h, by="cw-1")
    await calculate(h, run_id)
    assert {i["hold_reason"] for i in await instructions(h, run_id)} == {"account_recently_changed"}

    same = await h.client.post(f"/v1/payment/payee-accounts/{account}/confirm", headers=caseworker(h, "cw-1"))
    assert (same.status_code, same.json()["reason"]) == (403, "same_officer")
    other = await h.client.post(f"/v1/payment/payee-accounts/{account}/confirm", headers=officer(h, "officer-b"))
    assert other.status_code == 200
    await calculate(h, run_id)
    assert {(i["status"], i["hold_reason"]) for i in await instructions(h, run_id)} == {("pending", None)}

    await deliver(h, death(PAYEE, date(2026, 12, 1)))
    await calculate(h, run_id)
    assert {(i["status"], i["hold_reason"]) for i in await instructions(h, run_id)} == {("held", "payee_deceased")}


async def test_approval_is_four_eyes_and_within_budget(h: ServiceHarness) -> None:
    _, event = approved(PAYEE, "2026-12", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id, by="officer-a")

    same = await h.client.post(f"{RUNS}/{run_id}/approve", json={}, headers=officer(h, "officer-a"))
    assert (same.status_code, same.json()["reason"]) == (403, "same_officer")
    budget = await h.client.put(
        f"/v1/payment/budgets/{COUNTY}/2026/dibao", json={"amount": "500.00"}, headers=officer(h, "officer-a")
    )
    assert budget.status_code == 200, budget.text
    over = await h.client.post(f"{RUNS}/{run_id}/approve", json={}, headers=officer(h, "officer-b"))
    assert (over.status_code, over.json()["reason"]) == (409, "budget_exceeded")
    assert (await h.client.get(f"{RUNS}/{run_id}")).json()["status"] == "calculated"

    ok = await h.client.post(
        f"{RUNS}/{run_id}/approve", json={"budget_override": "县政府批准追加"}, headers=officer(h, "officer-b")
    )

    assert ok.status_code == 200, ok.text
    assert (ok.json()["status"], ok.json()["approved_by"]) == ("approved", "officer-b")
    report = (await h.client.get(f"/v1/payment/budgets/{COUNTY}/2026")).json()
    dibao = next(line for line in report["lines"] if line["programme"] == "dibao")
    assert (dibao["budget"], dibao["committed"], dibao["remaining"]) == ("500.00", "600.00", "-100.00")


async def settle_all(h: ServiceHarness, run_id: str, *, fail: set[str] = frozenset()) -> tuple[int, int, int]:
    """Approve, mark exported and settle every line (those of `fail` periods failed)."""
    await approve(h, run_id)
    scope = RegionScope(AccessLevel.COUNTY, region_code=COUNTY)
    async with h.runtime.database.transaction() as session:
        run = await service.mark_exported(session, scope, UUID(run_id), h.runtime.now())
    results = [
        BankResult(
            UUID(i["instruction_id"]),
            i["period"] not in fail,
            None if i["period"] not in fail else PaymentFailureReason.ACCOUNT_FROZEN,
            f"B{n}",
            date(2026, 12, 10),
        )
        for n, i in enumerate(await instructions(h, run_id, "exported"))
    ]
    async with h.runtime.database.transaction() as session:
        paid, failed, ignored, _ = await service.apply_results(
            session, run, results, now=h.runtime.now(), correlation_id="t"
        )
    async with h.runtime.database.transaction() as session:
        again = await service.apply_results(session, run, results, now=h.runtime.now(), correlation_id="t")
    assert again[:3] == (0, 0, len(results))  # the same results twice change nothing
    return paid, failed, ignored


async def test_failed_lines_are_owed_again_in_the_next_run(h: ServiceHarness) -> None:
    _, event = approved(PAYEE, "2026-11", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    november = await open_run(h, "2026-11")
    await calculate(h, november)
    assert await settle_all(h, november, fail={"2026-11"}) == (0, 1, 0)

    december = await open_run(h, "2026-12")
    await calculate(h, december)

    lines = await instructions(h, december)
    assert sorted((i["period"], i["attempt"]) for i in lines) == [("2026-11", 1), ("2026-12", 0)]
    settled = [parse_event(r["payload"]) for r in await h.outbox_rows() if "payment_" in r["event_type"]]
    assert [e.type for e in settled] == ["payment.payment_failed.v1"]


async def test_a_termination_backdated_two_months_opens_a_recovery_of_those_months(h: ServiceHarness) -> None:
    case, event = approved(PAYEE, "2026-10", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)
    assert await settle_all(h, run_id) == (3, 0, 0)

    await deliver(h, terminated(case, date(2026, 12, 3), overpaid_from="2026-11", last_paid="2026-12"))

    [recovery] = (await h.client.get("/v1/payment/recoveries")).json()["items"]
    assert (recovery["months"], recovery["amount"], recovery["outstanding"]) == (
        ["2026-11", "2026-12"],
        "1200.00",
        "1200.00",
    )
    events = [parse_event(r["payload"]) for r in await h.outbox_rows()]
    [opened] = [e for e in events if isinstance(e, RecoveryOpened)]
    assert [str(m) for m in opened.data.months] == ["2026-11", "2026-12"]
    assert len([e for e in events if isinstance(e, PaymentSettled)]) == 3

    repaid = await h.client.post(
        f"/v1/payment/recoveries/{recovery['recovery_id']}/repayments",
        json={"amount": "200.00"},
        headers=officer(h, "officer-a"),
    )
    assert repaid.json()["outstanding"] == "1000.00"
    too_much = await h.client.post(
        f"/v1/payment/recoveries/{recovery['recovery_id']}/repayments",
        json={"amount": "2000.00"},
        headers=officer(h, "officer-a"),
    )
    assert (too_much.status_code, too_much.json()["reason"]) == (400, "amount_above_outstanding")
    fine = await h.client.post(
        f"/v1/payment/recoveries/{recovery['recovery_id']}/fine",
        json={"multiple": 2, "reason": "x"},
        headers=h.issuer.headers(roles=("county_approver",), region=COUNTY),
    )
    assert (fine.status_code, fine.json()["reason"]) == (409, "fine_needs_fraud")  # terminated for a death
    written = await h.client.post(
        f"/v1/payment/recoveries/{recovery['recovery_id']}/write-off",
        json={"reason": "领取人死亡，无遗产"},
        headers=h.issuer.headers(roles=("county_approver",), region=COUNTY),
    )
    assert (written.json()["status"], written.json()["written_off"], written.json()["outstanding"]) == (
        "settled",
        "1000.00",
        "0.00",
    )


async def test_a_termination_cancels_what_has_not_left_yet(h: ServiceHarness) -> None:
    case, event = approved(PAYEE, "2026-10", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)

    await deliver(h, terminated(case, date(2026, 10, 20)))

    assert sorted((i["period"], i["status"]) for i in await instructions(h, run_id)) == [
        ("2026-10", "pending"),
        ("2026-11", "cancelled"),
        ("2026-12", "cancelled"),
    ]
    assert (await h.client.get("/v1/payment/recoveries")).json()["total"] == 0


async def test_exporting_a_run_sends_its_pending_lines_and_a_termination_then_cancels_none(h: ServiceHarness) -> None:
    """Exporting writes the run's mark, not its pending lines: from then on they are exported
    (listed, counted and settled as such), its held lines are left behind (cancelled, their
    reason kept, owed again by the next run), and a termination
    backdated before them cancels nothing that went to the bank (a recovery follows the money
    once it is paid)."""
    case, event = approved(PAYEE, "2026-10", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    other = resident("52010219700101511")
    _, no_account = approved(other, "2026-12", gap="300.00")
    await deliver(h, no_account)
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)
    await approve(h, run_id)

    exported = await export(h, run_id)

    by_status = {status: total["count"] for status, total in exported["totals"]["by_status"].items()}
    assert by_status == {"exported": 3, "cancelled": 1}
    assert sorted((i["period"], i["status"]) for i in await instructions(h, run_id)) == [
        ("2026-10", "exported"),
        ("2026-11", "exported"),
        ("2026-12", "cancelled"),
        ("2026-12", "exported"),
    ]
    assert len(await instructions(h, run_id, "pending")) == 0
    async with h.runtime.database.read() as session:
        amounts = dict(await payroll_amounts(session, h.runtime.now()))
    assert amounts == {
        ("2026-10", COUNTY, "exported"): 600.0,
        ("2026-11", COUNTY, "exported"): 600.0,
        ("2026-12", COUNTY, "exported"): 600.0,
        ("2026-12", COUNTY, "cancelled"): 300.0,
    }

    await deliver(h, terminated(case, date(2026, 10, 20)))

    statuses = sorted(i["status"] for i in await instructions(h, run_id))
    assert statuses == ["cancelled", "exported", "exported", "exported"]


async def test_a_line_held_when_its_run_is_exported_is_owed_again_by_the_next_run(h: ServiceHarness) -> None:
    _, event = approved(PAYEE, "2026-12", gap="600.00")
    await deliver(h, event)
    december = await open_run(h, "2026-12")
    await calculate(h, december)
    await approve(h, december)
    await export(h, december)
    assert [(i["status"], i["hold_reason"]) for i in await instructions(h, december)] == [("cancelled", "no_account")]

    await confirmed_account(h)
    january = await open_run(h, "2027-01")
    await calculate(h, january)

    lines = await instructions(h, january)
    assert sorted((i["period"], i["attempt"], i["status"], i["arrears"]) for i in lines) == [
        ("2026-12", 1, "pending", True),
        ("2027-01", 0, "pending", False),
    ]
    await export(h, december)  # again: nothing changes
    assert [i["status"] for i in await instructions(h, december)] == ["cancelled"]


async def test_a_termination_racing_the_export_cancels_before_it_or_nothing(h: ServiceHarness) -> None:
    """PostgreSQL: a termination's cancellation waits for an export in progress (both hold the
    run), then sees the run exported and cancels nothing: the bank file made after the export
    and the lines agree. (On SQLite writers never overlap.)"""
    if h.runtime.database.dialect != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite queues them)")
    case, event = approved(PAYEE, "2026-11", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)
    await approve(h, run_id)
    scope = RegionScope(AccessLevel.COUNTY, region_code=COUNTY)

    async with h.runtime.database.transaction() as session:  # the export, not committed yet
        await service.mark_exported(session, scope, UUID(run_id), h.runtime.now())
        termination = asyncio.create_task(deliver(h, terminated(case, date(2026, 11, 20))))
        await wait_for_lock_waiters(h.runtime.database, 1)
        assert not termination.done()
    await termination

    assert sorted((i["period"], i["status"]) for i in await instructions(h, run_id)) == [
        ("2026-11", "exported"),
        ("2026-12", "exported"),
    ]


async def test_a_ledger_change_racing_a_calculation_page_is_owed_by_the_next_calculation(h: ServiceHarness) -> None:
    """PostgreSQL: a calculation looks at a case again only from its recheck mark, and a page
    clears the marks it looked at, but not one whose entitlement changed while the page ran
    (the row's version moved): what changed meanwhile is owed by the next calculation, not
    lost. (On SQLite the calculation looks at every month.)"""
    if h.runtime.database.dialect != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite queues them)")
    case, event = approved(PAYEE, "2026-12", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)
    await deliver(h, changed(case, "2026-12", BenefitChangeReason.REVIEW, gap="700.00"))

    async with h.runtime.database.transaction() as session:  # a second change, not committed yet
        ledger = LedgerRepository(session)
        entitlement = await ledger.get(case.case_id)
        assert entitlement is not None
        entitlement.versions = [Version(Period(2026, 12), {"gap": 90000})]
        await ledger.save(entitlement, AT)
        recalculation = asyncio.create_task(calculate(h, run_id))
        await wait_for_lock_waiters(h.runtime.database, 1)  # the page waits to clear the mark
    await recalculation

    def live(lines: list[dict[str, Any]]) -> Decimal:
        return sum((Decimal(i["amount"]) for i in lines if i["status"] not in ("cancelled", "failed")), Decimal(0))

    assert live(await instructions(h, run_id)) == Decimal("700.00")  # the page's snapshot: the first change
    await calculate(h, run_id)
    assert live(await instructions(h, run_id)) == Decimal("900.00")


async def test_backdated_changes_top_up_or_recover_the_difference(h: ServiceHarness) -> None:
    case, event = approved(PAYEE, "2026-10", gap="600.00")
    await deliver(h, event)
    await confirmed_account(h)
    november = await open_run(h, "2026-11")
    await calculate(h, november)
    assert await settle_all(h, november) == (2, 0, 0)  # October (arrears) and November, 600 each

    await deliver(h, changed(case, "2026-11", BenefitChangeReason.REVIEW, gap="800.00"))
    december = await open_run(h, "2026-12")
    await calculate(h, december)
    assert sorted((i["period"], i["amount"], i["attempt"]) for i in await instructions(h, december)) == [
        ("2026-11", "200.00", 1),  # 补发 of the difference
        ("2026-12", "800.00", 0),
    ]

    await deliver(h, changed(case, "2026-10", BenefitChangeReason.REVIEW, gap="500.00"))
    [recovery] = (await h.client.get("/v1/payment/recoveries")).json()["items"]
    # October and November were paid 600 and owe 500 now; December's pending 800 line is cancelled
    assert (recovery["months"], recovery["amount"]) == (["2026-10", "2026-11"], "200.00")
    assert {(i["period"], i["status"]) for i in await instructions(h, december)} == {
        ("2026-11", "cancelled"),
        ("2026-12", "cancelled"),
    }


async def test_the_bank_loop_file_results_and_the_same_file_twice(h: ServiceHarness) -> None:
    """Approved → exported → the pain.001 file (valid against the official schema) → the bank
    (the simulator) answers pain.002 → every line paid or failed; the same file again changes
    nothing; a bank client with the agreement does it as the officer would."""
    for n in range(4):
        _, event = approved(resident(f"52010219600101{n}71"), "2026-12", gap="500.00")
        await deliver(h, event)
    for n in range(4):
        await confirmed_account(h, resident(f"52010219600101{n}71"))
    run_id = await open_run(h, "2026-12")
    await calculate(h, run_id)
    await approve(h, run_id)
    too_early = await h.client.get(f"{RUNS}/{run_id}/bank-file", headers=officer(h, "officer-a"))
    assert (too_early.status_code, too_early.json()["reason"]) == (409, "run_status_refuses")
    exported = await h.client.post(f"{RUNS}/{run_id}/export", headers=officer(h, "officer-a"))
    assert exported.json()["status"] == "exported"
    bank = h.issuer.headers(
        kind="third_party",
        roles=("third_party",),
        client_id="bank-1",
        scopes=("payment:bankfiles:read", "payment:bankfiles:write"),
    )

    batch = await h.client.get(f"{RUNS}/{run_id}/bank-file", headers=bank)
    again = await h.client.get(f"{RUNS}/{run_id}/bank-file", headers=bank)

    assert batch.status_code == 200, batch.text
    assert batch.content == again.content  # one batch, however often downloaded
    etree.XMLSchema(etree.parse(str(PAIN001_XSD))).assertValid(etree.fromstring(batch.content))
    assert ACCOUNT in batch.text  # the bank needs the number; nobody else sees it
    assert "<Cdtr><Nm>王五</Nm></Cdtr>" in batch.text  # and the holder's name, decrypted
    result = io.BytesIO()
    BankSimulator(created_at=AT, processed_on=date(2026, 12, 10), seed=3, failure_rate=0.5).pain002_for(
        io.BytesIO(batch.content), result
    )
    uploaded = await h.client.post(
        f"{RUNS}/{run_id}/bank-results", params={"format": "pain002"}, content=result.getvalue(), headers=bank
    )
    assert uploaded.status_code == 200, uploaded.text
    first = uploaded.json()
    assert (first["paid"] + first["failed"], first["duplicate"]) == (4, False)
    twice = await h.client.post(
        f"{RUNS}/{run_id}/bank-results", params={"format": "pain002"}, content=result.getvalue(), headers=bank
    )
    assert twice.json() == first | {"duplicate": True}
    statuses = sorted(i["status"] for i in await instructions(h, run_id))
    assert statuses == sorted(["paid"] * first["paid"] + ["failed"] * first["failed"])
    assert (await h.client.get(f"{RUNS}/{run_id}")).json()["status"] == "settled"
    garbage = await h.client.post(
        f"{RUNS}/{run_id}/bank-results", params={"format": "pain002"}, content=b"<nope", headers=bank
    )
    assert (garbage.status_code, garbage.json()["reason"]) == (400, "result_malformed")
