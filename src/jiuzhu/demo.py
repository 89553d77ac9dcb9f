"""Demo data for `make run`: a small slice of the synthetic population, sent through the
gateway like any client would. The demo caseworker of each household's county signs in
(POST /v1/auth/login); each household is assessed (POST /v1/eligibility/assessments); those
eligible for something apply for it (POST /v1/eligibility/applications), so the data travels
the real path: gateway (token, scope) → eligibility (token, scope, region) → outbox → bus →
monitoring register."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

import httpx
from fastapi import FastAPI

from jiuzhu.demo_monitoring import dispose_one_alert, load_anti_poverty_list, report_one_discovery, send_demo_notices
from jiuzhu.demo_payment import demo_payroll, payment_officer_of, second_officer_of
from jiuzhu.demo_procedure import (
    PLAN,
    DemoApplication,
    DemoClock,
    post,
    terminate_one_case,
    walk_demo_applications,
)
from jiuzhu.demo_procurement import load_demo_procurement
from jiuzhu.demo_verification import AppliedHousehold, check_demo_households
from jiuzhu_platform.runtime import Runtime, utc_now
from jiuzhu_synthetic import generate

logger = logging.getLogger(__name__)

DEMO_SEED = 2026
DEMO_SLICE = 200
"""Households assessed on first start; about one in ten qualifies for something, enough for
the procedure's every stage in a few counties."""

APPLY_FOR = {
    "dibao": "dibao",
    "dibao_phase_out": "dibao",
    "tekun": "tekun",
    "marginal": "marginal",
    "rigid_expenditure": "expenditure",
}


def demo_households(count: int = DEMO_SLICE) -> list[dict[str, Any]]:
    return list(generate(DEMO_SEED, count))


def demo_counties(count: int = DEMO_SLICE) -> list[str]:
    """The counties of the demo slice (each gets a demo caseworker)."""
    return sorted({household["region_code"] for household in demo_households(count)})


class DemoAccount(Protocol):
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str: ...


def caseworker_of(county: str) -> str:
    return f"caseworker-{county}"


def approver_of(county: str) -> str:
    return f"approver-{county}"


async def sign_in(client: httpx.AsyncClient, account: DemoAccount) -> dict[str, str]:
    """Staff sign-in through the gateway; the bearer header for the access token."""
    response = await client.post("/v1/auth/login", json={"username": account.username, "password": account.password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def application_for(household: dict[str, Any], category: str) -> dict[str, Any] | None:
    kind = APPLY_FOR.get(category)
    if kind is None:
        return None
    applicant = next(m for m in household["members"] if m["relationship"] == "self")
    return {
        "assistance_type": kind,
        "region_code": household["region_code"],
        "member_count": len(household["members"]),
        "applicant": {"name": household.get("applicant_name") or "示例申请人", "resident_id": applicant["resident_id"]},
    }


async def load_demo_households(
    gateway: FastAPI,
    accounts: Mapping[str, DemoAccount],
    count: int = DEMO_SLICE,
    *,
    eligibility: Runtime | None = None,
    procurement: Runtime | None = None,
    verification: Runtime | None = None,
    monitoring: Runtime | None = None,
) -> int:
    """Assess `count` synthetic households and submit applications for the eligible ones, each
    as the demo caseworker of its county; with the eligibility runtime, take the applications
    to every stage of the procedure (`jiuzhu.demo_procedure`). Returns how many applied."""
    applied: list[DemoApplication] = []
    households: list[AppliedHousehold] = []
    transport = httpx.ASGITransport(app=gateway, client=("127.0.0.1", 0))
    town: dict[str, dict[str, str]] = {}
    county: dict[str, dict[str, str]] = {}
    original = eligibility.now if eligibility is not None else None
    clock = DemoClock(utc_now() - timedelta(days=30))
    if eligibility is not None:
        eligibility.now = clock
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.embedded") as client:
            for household in demo_households(count):
                code = household["region_code"]
                if code not in town:
                    town[code] = await sign_in(client, accounts[caseworker_of(code)]) | {"X-Request-ID": "demo-data"}
                    if approver_of(code) in accounts:
                        county[code] = await sign_in(client, accounts[approver_of(code)]) | {
                            "X-Request-ID": "demo-data"
                        }
                assessed = await post(client, "/v1/eligibility/assessments", town[code], household)
                assessed.raise_for_status()
                body = application_for(household, assessed.json()["category"])
                if body is None:
                    continue
                response = await post(client, "/v1/eligibility/applications", town[code], body)
                response.raise_for_status()
                applied.append(DemoApplication(code, response.json()["id"], body["assistance_type"]))
                households.append(AppliedHousehold(code, response.json()["household_id"], household))
            if eligibility is not None and county:
                walkable = [a for a in applied if a.county in county]
                reached = await walk_demo_applications(
                    client, walkable, town=town, county=county, eligibility=eligibility, clock=clock, now=utc_now()
                )
                if original is not None:
                    eligibility.now = original
                await terminate_one_case(client, county)
                await check_demo_households(client, households, town)
                paying = {a.county for i, a in enumerate(walkable) if PLAN[i % len(PLAN)] == "approved"}
                officers = {c: await sign_in(client, accounts[payment_officer_of(c)]) for c in sorted(paying)}
                checkers = {c: await sign_in(client, accounts[second_officer_of(c)]) for c in sorted(paying)}
                await demo_payroll(
                    client, households, town=town, officers=officers, checkers=checkers, today=utc_now().date()
                )
                if verification is not None:
                    await send_demo_notices(verification, households, today=utc_now().date())
                    await dispose_one_alert(client, town)
                    await report_one_discovery(client, town)
                    await load_anti_poverty_list(client, county, monitoring, today=utc_now().date())
                logger.info("demo data: applications by stage %s", dict(sorted(reached.items())))
    finally:
        if eligibility is not None and original is not None:
            eligibility.now = original
    if procurement is not None:
        await load_demo_procurement(procurement, now=utc_now())
    logger.info("demo data: assessed %d synthetic households, %d applied", count, len(applied))
    return len(applied)
