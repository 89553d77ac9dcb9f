"""Demo data of the checking centre (核对) for `make run`: for a few demo households, each member
signs an authorisation (POST /v1/verification/consents) and the county caseworker asks the
departments (POST /v1/verification/checks) with what the household declared, so a newcomer finds
complete reports with their discrepancies in GET /v1/verification/checks. The departments are the
simulator running in-process (dev). Accepted demo applications have their own checks too, opened
by the consumer and waiting for authorisations (nobody signed for them): the worklist shows both."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from jiuzhu.demo_procedure import post

logger = logging.getLogger(__name__)

CHECKED = 6
"""Households of the demo slice checked with the departments (a few, each a dozen queries)."""


@dataclass(frozen=True)
class AppliedHousehold:
    county: str
    household_id: str
    household: Mapping[str, Any]
    """As the synthetic generator made it (`AssessmentCreate`-shaped)."""


def declared(household: Mapping[str, Any]) -> dict[str, Any]:
    """What the household declared: average monthly income of the last 12 months (the sum of
    every member's monthly amounts / 12), financial assets, vehicles and dwellings."""
    total = sum(
        (Decimal(amount) for m in household["members"] for i in m.get("incomes", ()) for amount in i["monthly"][-12:]),
        Decimal(0),
    )
    assets = household.get("assets", {})
    return {
        "monthly_income": str((total / 12).quantize(Decimal("0.01"))),
        "financial_assets": str(Decimal(assets.get("financial", "0")).quantize(Decimal("0.01"))),
        "vehicles": len(assets.get("vehicles", [])),
        "properties": int(assets.get("dwellings", 0)),
    }


async def check_demo_households(
    client: httpx.AsyncClient, households: Sequence[AppliedHousehold], town: Mapping[str, Mapping[str, str]]
) -> int:
    """Authorise and check the first `CHECKED` households; returns how many reports were made."""
    made = 0
    for applied in households[:CHECKED]:
        headers = town[applied.county]
        members = [m["resident_id"] for m in applied.household["members"]]
        for number in members:
            consent = await post(
                client,
                "/v1/verification/consents",
                headers,
                {
                    "household_id": applied.household_id,
                    "region_code": applied.county,
                    "subject_name": "演示成员",
                    "subject_resident_id": number,
                    "purpose": "低保定期复核核对",
                    "signed_on": date.today().isoformat(),
                },
            )
            consent.raise_for_status()
        check = await post(
            client,
            "/v1/verification/checks",
            headers,
            {
                "household_id": applied.household_id,
                "region_code": applied.county,
                "purpose": "review",
                "members": members,
                "declared": declared(applied.household),
            },
        )
        check.raise_for_status()
        made += 1
    logger.info("demo data: %d households checked with the (simulated) departments", made)
    return made
