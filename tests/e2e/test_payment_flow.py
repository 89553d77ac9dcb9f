"""The payroll across real processes (PostgreSQL, Kafka, the gateway over HTTP); eligibility's
decisions come from a test publisher on Kafka, because real time cannot backdate an approval:

- a case approved three months back is paid its arrears in the next run, after the county's
  budget refuses the run until it is raised; the pain.001 goes to the bank (the simulator), whose
  pain.002 settles every line; the same result file twice changes nothing;
- a termination backdated two months opens a recovery of exactly those two months;
- `python -m payment payroll` killed with SIGKILL mid-calculation and started again produces the
  same instructions and totals, none twice.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jiuzhu_platform.bus import KafkaBus, OutgoingMessage
from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from payment.bankfiles.adapters.bank_simulator import BankSimulator
from shared.events import CaseApproved, CaseApprovedData, CaseTerminated, CaseTerminatedData, Event
from shared.events.eligibility import BenefitAmounts, BenefitComponent, BenefitLine, CaseCategory, TerminationReason
from shared.types import Period, ResidentId
from tests.conftest import server_setting
from tests.e2e.cluster import Cluster, create_staff, resident, until

pytestmark = pytest.mark.e2e

RUNS = "/v1/payment/payroll-runs"


def approval(cluster: Cluster, payee: str, county: str, effective: Period, monthly: str) -> CaseApproved:
    key = person_ref_key_from_config(cluster.env["PAYMENT_PERSON_REF_KEY"])
    ref = person_ref(ResidentId(payee), key)
    line = BenefitLine(member=ref, component=BenefitComponent.GAP, monthly=Decimal(monthly))
    household = uuid4()
    return CaseApproved.create(
        CaseApprovedData(
            case_id=uuid4(),
            household_id=household,
            application_id=uuid4(),
            category=CaseCategory.DIBAO,
            amounts=BenefitAmounts(lines=(line,), monthly_total=line.monthly),
            payee=ref,
            effective_from=effective,
            policy_version="gy-2026.1",
            region_code=county,
        ),
        subject=str(household),
        correlation_id="e2e-payment-approved",
        now=datetime.now(UTC),
    )


async def publish(cluster: Cluster, events: list[Event]) -> None:
    bus = KafkaBus(
        server_setting("JIUZHU_KAFKA_BOOTSTRAP"),
        client_id="e2e-eligibility-stand-in",
        topic_prefix=cluster.env["ELIGIBILITY_KAFKA_TOPIC_PREFIX"],
    )
    await bus.start()
    try:
        for start in range(0, len(events), 500):
            await bus.publish(
                [
                    OutgoingMessage("eligibility.events", e.subject.encode(), e.to_json_bytes())
                    for e in events[start : start + 500]
                ]
            )
    finally:
        await bus.stop()


async def payment_db(cluster: Cluster, sql: str, **params: Any) -> Any:
    engine = create_async_engine(cluster.env["PAYMENT_DATABASE_URL"])
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(sql), params)).all()
    finally:
        await engine.dispose()


async def test_arrears_budget_bank_loop_and_a_backdated_termination(cluster: Cluster, admin: httpx.AsyncClient) -> None:
    county = "520102"
    officer_a = await create_staff(admin, "pay-a", ["payment_officer"], county)
    officer_b = await create_staff(admin, "pay-b", ["payment_officer"], county)
    caseworker = await create_staff(admin, "pay-cw", ["town_caseworker"], county)
    now = Period.from_date(date.today())
    payee = resident("52010219550505055")
    approved = approval(cluster, payee, county, now.shift(-3), "650.00")
    await publish(cluster, [approved])
    async with cluster.client() as client:
        account = await client.post(
            "/v1/payment/payee-accounts",
            json={
                "resident_id": payee,
                "holder_name": "付款",
                "account_number": "6222021234567890128",
                "bank_name": "中国工商银行贵阳南明支行",
                "bank_code": "102701000019",
                "county_code": county,
                "effective_from": "2020-01-01",
            },
            headers=caseworker,
        )
        assert account.status_code == 201, account.text
        confirmed = await client.post(
            f"/v1/payment/payee-accounts/{account.json()['account_id']}/confirm", headers=officer_a
        )
        assert confirmed.status_code == 200, confirmed.text
        run = await client.post(RUNS, json={"period": str(now), "county_code": county}, headers=officer_a)
        assert run.status_code == 201, run.text
        run_id = run.json()["id"]

        async def calculated() -> dict[str, Any] | None:
            answer = await client.post(f"{RUNS}/{run_id}/calculate", headers=officer_a)
            assert answer.status_code == 200, answer.text
            return dict(answer.json()) if answer.json()["totals"]["count"] else None

        detail = await until(calculated, "the approval in payment's ledger")
        assert (detail["totals"]["count"], detail["totals"]["amount"], detail["totals"]["arrears"]) == (
            4,
            "2600.00",
            "1950.00",
        )
        budget = f"/v1/payment/budgets/{county}/{now.year}/dibao"
        assert (await client.put(budget, json={"amount": "1000.00"}, headers=officer_a)).status_code == 200
        refused = await client.post(f"{RUNS}/{run_id}/approve", json={}, headers=officer_b)
        assert (refused.status_code, refused.json()["reason"]) == (409, "budget_exceeded")
        assert (await client.put(budget, json={"amount": "100000.00"}, headers=officer_a)).status_code == 200
        assert (await client.post(f"{RUNS}/{run_id}/approve", json={}, headers=officer_b)).status_code == 200
        assert (await client.post(f"{RUNS}/{run_id}/export", headers=officer_a)).status_code == 200
        batch = await client.get(f"{RUNS}/{run_id}/bank-file", headers=officer_a)
        assert batch.status_code == 200, batch.text
        result = io.BytesIO()
        BankSimulator(created_at=datetime.now(UTC), processed_on=date.today()).pain002_for(
            io.BytesIO(batch.content), result
        )
        first = await client.post(f"{RUNS}/{run_id}/bank-results", content=result.getvalue(), headers=officer_a)
        second = await client.post(f"{RUNS}/{run_id}/bank-results", content=result.getvalue(), headers=officer_a)
        assert (first.json()["paid"], first.json()["duplicate"]) == (4, False)
        assert second.json() == first.json() | {"duplicate": True}

        d = approved.data
        terminated = CaseTerminated.create(
            CaseTerminatedData(
                case_id=d.case_id,
                household_id=d.household_id,
                reason=TerminationReason.INCOME_ABOVE_STANDARD,
                terminated_on=date.today(),
                last_paid_month=now,
                overpaid_from=now.shift(-1),
            ),
            subject=str(d.household_id),
            correlation_id="e2e-payment-terminated",
            now=datetime.now(UTC),
        )
        await publish(cluster, [terminated])

        async def recovery() -> dict[str, Any] | None:
            items = (await client.get("/v1/payment/recoveries", headers=officer_a)).json()["items"]
            return items[0] if items else None

        opened = await until(recovery, "the recovery")
        assert (opened["months"], opened["amount"]) == ([str(now.shift(-1)), str(now)], "1300.00")
    log = cluster.log_text("payment-api") + cluster.log_text("payment-worker")
    assert payee not in log
    assert "6222021234567890128" not in log


async def test_a_calculation_killed_mid_way_resumes_to_the_same_lines(
    cluster: Cluster, admin: httpx.AsyncClient
) -> None:
    county = "520103"
    now = Period.from_date(date.today())
    cases = 3000
    events = [
        approval(cluster, resident(f"520103{1950 + n // 1000:04d}0101{n % 1000:03d}"), county, now, "300.00")
        for n in range(cases)
    ]
    await publish(cluster, events)

    async def ledger_full() -> bool:
        rows = await payment_db(cluster, "select count(*) from entitlement where county_code = :c", c=county)
        return bool(rows[0][0] == cases)

    await until(ledger_full, "3000 approvals in payment's ledger", 120)
    env = cluster.env | {"PAYMENT_PAYROLL_PAGE_SIZE": "5", "PAYMENT_LOG_LEVEL": "WARNING"}
    command = [
        sys.executable,
        "-m",
        "payment",
        "payroll",
        "--county",
        county,
        "--period",
        str(now),
        "--officer",
        "ops-1",
    ]
    victim = subprocess.Popen(
        command, env=env, cwd=cluster.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        async def some_lines() -> bool:
            rows = await payment_db(
                cluster, "select count(*) from payment_instruction where county_code = :c", c=county
            )
            return bool(rows[0][0] > 0)

        await until(some_lines, "the first pages of the calculation", every=0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    done_before = (
        await payment_db(cluster, "select count(*) from payment_instruction where county_code = :c", c=county)
    )[0][0]
    assert 0 < done_before < cases

    finished = subprocess.run(command, env=env, cwd=cluster.directory, capture_output=True, timeout=300, check=False)

    assert finished.returncode == 0, finished.stderr.decode()[-3000:]
    [(count, total, distinct)] = await payment_db(
        cluster,
        "select count(*), sum(amount_fen), count(distinct (case_id, period, component)) "
        "from payment_instruction where county_code = :c",
        c=county,
    )
    assert (count, total, distinct) == (cases, cases * 30000, cases)
    [(status,)] = await payment_db(cluster, "select status from payroll_run where county_code = :c", c=county)
    assert status == "calculated"
