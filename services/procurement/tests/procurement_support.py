"""Helpers of the procurement API tests: a settable clock, providers with their conditions and
grades, and a 竞争性磋商 project taken step by step through the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from jiuzhu_platform.testing import ServiceHarness
from shared.types import credit_code_check_char, org_code_check_char

API = "/v1/procurement"
CONDITIONS = (
    "civil_liability",
    "credit_and_accounts",
    "equipment_and_capacity",
    "tax_and_social_security",
    "no_major_violation",
    "other_legal",
)


def credit_code(n: int, prefix: str = "52") -> str:
    body = prefix + "520102" + f"{n:08d}"
    body = body + org_code_check_char(f"{n:08d}")
    return body + credit_code_check_char(body)


def at(text: str) -> datetime:
    """An instant in UTC from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def set_now(h: ServiceHarness, text: str) -> None:
    instant = at(text)
    h.runtime.now = lambda: instant


async def ok(response: httpx.Response, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


async def provider(
    h: ServiceHarness,
    n: int,
    name: str,
    *,
    grade: str | None = None,
    awarded_on: str = "2024-01-10",
    conditions: bool = True,
) -> str:
    created = await ok(await h.client.post(f"{API}/providers", json={"credit_code": credit_code(n), "name": name}), 201)
    pid = created["id"]
    if conditions:
        for c in CONDITIONS:
            await ok(
                await h.client.post(
                    f"{API}/providers/{pid}/conditions",
                    json={"condition": c, "evidence": f"{c} 证明", "checked_on": "2025-12-01"},
                )
            )
    if grade is not None:
        await ok(await h.client.put(f"{API}/providers/{pid}/grade", json={"grade": grade, "awarded_on": awarded_on}))
    return str(pid)


def consultation(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purchaser": "贵阳市南明区民政局",
        "county_code": "520102",
        "title": "2026年南明区分散供养特困人员委托照料服务",
        "service_item": "care",
        "budget_item": "2081001",
        "budget": "360000.00",
        "fiscal_year": 2026,
        "method": "competitive_consultation",
        "grounds": ["purchase_of_services"],
        "bid_deadline": "2026-03-20T02:00:00Z",
        "criteria": [
            {"name": "price", "weight": 30, "price": True},
            {"name": "service_plan", "weight": 50},
            {"name": "experience", "weight": 20},
        ],
        "quantity": 60,
        "grade_preference_points": 3,
    }
    return body | overrides


def panel(bids: dict[str, tuple[int, int]]) -> dict[str, Any]:
    """Three members giving each bid (service_plan, experience)."""
    return {
        "scores": {
            member: {bid: {"service_plan": plan + d, "experience": exp} for bid, (plan, exp) in bids.items()}
            for member, d in (("专家甲", 0), ("专家乙", 2), ("专家丙", -2))
        }
    }


async def running_care_contract(h: ServiceHarness) -> dict[str, Any]:
    """A 竞争性磋商 for care in 南明区 taken to a contract running 2026-04-15 … 2027-04-14 with
    two milestones (2026-09, 2027-03); the provider is linked to gateway client `sw-yangguang`."""
    set_now(h, "2026-03-01T01:00")
    a = await provider(h, 11, "南明区阳光社会工作服务中心", grade="4A")
    b = await provider(h, 12, "云岩区同心社工服务社")
    await ok(await h.client.put(f"{API}/providers/{a}/client", json={"client_id": "sw-yangguang"}))
    set_now(h, "2026-03-02T01:00")
    pid = (await ok(await h.client.post(f"{API}/projects", json=consultation()), 201))["id"]
    set_now(h, "2026-03-10T01:00")
    ids = [
        (
            await ok(
                await h.client.post(
                    f"{API}/projects/{pid}/bids", json={"provider_id": p, "price": price, "proposal": "方案"}
                ),
                201,
            )
        )["id"]
        for p, price in ((a, "240000.00"), (b, "250000.00"))
    ]
    set_now(h, "2026-03-20T02:00")
    await ok(await h.client.post(f"{API}/projects/{pid}/opening"))
    await ok(await h.client.post(f"{API}/projects/{pid}/evaluation", json=panel({ids[0]: (90, 90), ids[1]: (80, 80)})))
    await ok(await h.client.post(f"{API}/projects/{pid}/award", json={}))
    set_now(h, "2026-04-10T02:00")
    signed = await ok(
        await h.client.post(
            f"{API}/projects/{pid}/contract",
            json={
                "term_start": "2026-04-15",
                "term_end": "2027-04-14",
                "milestones": [
                    {"name": "上半年", "period": "2026-09", "share_percent": 50},
                    {"name": "下半年", "period": "2027-03", "share_percent": 50},
                ],
            },
        ),
        201,
    )
    contract: dict[str, Any] = signed["contract"]
    return contract
