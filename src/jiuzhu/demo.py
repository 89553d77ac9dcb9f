"""A handful of demo households for `make run`, submitted through the gateway like any client
would, so the demo data travels the real path (eligibility → outbox → bus → monitoring)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI

from shared.types import resident_id_check_digit

logger = logging.getLogger(__name__)

# (assistance type, county, members, applicant name, 17-digit ID body: area + birth date + sequence)
DEMO_HOUSEHOLDS: tuple[tuple[str, str, int, str, str], ...] = (
    ("dibao", "520102", 3, "王秀英", "52010219650312002"),
    ("tekun", "520103", 1, "李建国", "52010319480707001"),
    ("temporary", "520111", 4, "张丽", "52011119880224004"),
    ("marginal", "520121", 2, "刘志强", "52012119720918003"),
    ("expenditure", "520181", 5, "陈芳", "52018119900105006"),
)


def demo_applications() -> list[dict[str, Any]]:
    return [
        {
            "assistance_type": kind,
            "region_code": county,
            "member_count": members,
            "applicant": {"name": name, "resident_id": body + resident_id_check_digit(body)},
        }
        for kind, county, members, name, body in DEMO_HOUSEHOLDS
    ]


async def load_demo_households(gateway: FastAPI) -> None:
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.embedded") as client:
        for body in demo_applications():
            response = await client.post(
                "/v1/eligibility/applications", json=body, headers={"X-Request-ID": "demo-data"}
            )
            response.raise_for_status()
    logger.info("loaded %d demo households", len(DEMO_HOUSEHOLDS))
