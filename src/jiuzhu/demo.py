"""Demo data for `make run`: a small slice of the synthetic population, sent through the
gateway like any client would. Each household is assessed (POST /v1/eligibility/assessments);
those eligible for something apply for it (POST /v1/eligibility/applications), so the data
travels the real path: eligibility → outbox → bus → monitoring register."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI

from jiuzhu_synthetic import generate

logger = logging.getLogger(__name__)

DEMO_SEED = 2026
DEMO_SLICE = 60
"""Households assessed on first start; about one in ten qualifies for something."""

APPLY_FOR = {
    "dibao": "dibao",
    "dibao_phase_out": "dibao",
    "tekun": "tekun",
    "marginal": "marginal",
    "rigid_expenditure": "expenditure",
}


def demo_households(count: int = DEMO_SLICE) -> list[dict[str, Any]]:
    return list(generate(DEMO_SEED, count))


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


async def load_demo_households(gateway: FastAPI, count: int = DEMO_SLICE) -> int:
    """Assess `count` synthetic households and submit applications for the eligible ones;
    returns how many applied."""
    applied = 0
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.embedded") as client:
        for household in demo_households(count):
            assessed = await client.post(
                "/v1/eligibility/assessments", json=household, headers={"X-Request-ID": "demo-data"}
            )
            assessed.raise_for_status()
            body = application_for(household, assessed.json()["category"])
            if body is None:
                continue
            response = await client.post(
                "/v1/eligibility/applications", json=body, headers={"X-Request-ID": "demo-data"}
            )
            response.raise_for_status()
            applied += 1
    logger.info("demo data: assessed %d synthetic households, %d applied", count, applied)
    return applied
