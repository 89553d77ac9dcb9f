"""Demo data of the payroll (资金发放) for `make run`: the approved demo cases' payees get bank
accounts (recorded at the town, confirmed by a second payment officer), and each county with
approved cases has this month's run opened and calculated by its payment officer
(`payment-<county>`). A newcomer signs in as the county's second officer
(`payment-check-<county>`), reads the run (`/detail`, `/instructions`), approves it, exports it
and downloads the bank file (pain.001 or CSV) through `/docs`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import date

import httpx

from jiuzhu.demo_procedure import post
from jiuzhu.demo_verification import AppliedHousehold
from shared.types import Period
from shared.types.bank_account import luhn_check_digit

logger = logging.getLogger(__name__)


def payment_officer_of(county: str) -> str:
    return f"payment-{county}"


def second_officer_of(county: str) -> str:
    return f"payment-check-{county}"


def demo_account(n: int) -> str:
    """A Luhn-valid demo card number (银联 622202…), one per payee."""
    body = f"622202{n:012d}"
    return body + luhn_check_digit(body)


async def demo_payroll(
    client: httpx.AsyncClient,
    households: Sequence[AppliedHousehold],
    *,
    town: Mapping[str, Mapping[str, str]],
    officers: Mapping[str, Mapping[str, str]],
    checkers: Mapping[str, Mapping[str, str]],
    today: date,
) -> int:
    """Accounts for every demo applicant, then a calculated run per county; returns the runs."""
    for n, applied in enumerate(households):
        if applied.county not in officers:
            continue
        account = await post(
            client,
            "/v1/payment/payee-accounts",
            town[applied.county],
            {
                "resident_id": applied.household["members"][0]["resident_id"],
                "holder_name": "演示居民",
                "account_number": demo_account(n + 1),
                "bank_name": "中国工商银行贵阳分行（演示）",
                "bank_code": "102701000019",
                "county_code": applied.county,
                "effective_from": "2026-01-01",
            },
        )
        account.raise_for_status()
        confirmed = await post(
            client, f"/v1/payment/payee-accounts/{account.json()['account_id']}/confirm", checkers[applied.county], {}
        )
        confirmed.raise_for_status()
    runs = 0
    period = str(Period.from_date(today))
    for county, headers in sorted(officers.items()):
        opened = await post(client, "/v1/payment/payroll-runs", headers, {"period": period, "county_code": county})
        opened.raise_for_status()
        run_id = opened.json()["id"]
        for _ in range(50):  # the approvals reach payment through the bus: wait for the ledger
            calculated = await post(client, f"/v1/payment/payroll-runs/{run_id}/calculate", headers, {})
            calculated.raise_for_status()
            if calculated.json()["totals"]["count"]:
                break
            await asyncio.sleep(0.1)
        runs += 1
    logger.info("demo data: %d payroll runs calculated for %s", runs, period)
    return runs
