"""Helpers for tests that need an application at a given stage, driven over HTTP the way
people drive it (a town caseworker, a colleague, a county approver), with the verification
report delivered as a `check_completed` event through eligibility's consumer.

    walk = ProcedureWalk(h, clock)
    application = await walk.submit(resident("52010219700101001"))
    await walk.to_stage(application["id"], Stage.SUBMITTED_TO_COUNTY)
    case = await walk.approve(application["id"])
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx

from eligibility.procedure.domain.model import Stage
from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from shared.events import CheckCompleted, CheckCompletedData
from shared.events.verification import CheckPurpose, Department
from shared.topics import VERIFICATION_EVENTS
from shared.types import resident_id_check_digit

APPLICATIONS = "/v1/eligibility/applications"
COUNTY = "520102"
TOWN = "520102001000"


def resident(body17: str) -> str:
    """A valid resident ID from its first 17 digits (the check digit computed)."""
    return body17 + resident_id_check_digit(body17)


def check_completed(household_id: str, application_id: str, now: datetime) -> CheckCompleted:
    """The county's 核对报告 as verification sends it: every department answered."""
    return CheckCompleted.create(
        CheckCompletedData(
            check_id=uuid4(),
            household_id=UUID(household_id),
            application_id=UUID(application_id),
            purpose=CheckPurpose.APPLICATION,
            completed_on=now.date(),
            departments_answered=tuple(Department),
            verified_monthly_income=Decimal("0.00"),
            financial_assets=Decimal("0.00"),
            vehicle_count=0,
            property_count=1,
        ),
        subject=household_id,
        correlation_id=f"check-{application_id}",
        now=now,
    )


class Clock:
    """A movable clock for `runtime.now`."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, days: int) -> None:
        self.at += timedelta(days=days)


class StepFailed(AssertionError):
    pass


@dataclass
class ProcedureWalk:
    h: ServiceHarness
    clock: Clock
    town: httpx.AsyncClient
    colleague: httpx.AsyncClient
    county: httpx.AsyncClient

    async def submit(
        self, resident_id: str, *, kind: str = "dibao", members: int = 2, name: str = "李梅"
    ) -> dict[str, Any]:
        body = {
            "assistance_type": kind,
            "region_code": COUNTY,
            "town_code": TOWN,
            "member_count": members,
            "applicant": {"name": name, "resident_id": resident_id},
        }
        response = await self.town.post(APPLICATIONS, json=body)
        if response.status_code != 201:
            raise StepFailed(response.text)
        return dict(response.json())

    async def step(
        self, client: httpx.AsyncClient, application_id: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await client.post(f"{APPLICATIONS}/{application_id}/{action}", json=body or {})
        if response.status_code != 200:
            raise StepFailed(f"{action}: {response.status_code} {response.text}")
        return dict(response.json())

    async def report(self, application_id: str, household_id: str | None = None) -> None:
        """The county's 核对报告 arrives as verification sends it: a `check_completed` event on
        the bus, applied by eligibility's consumer (inbox, one transaction)."""
        if household_id is None:
            household_id = (await self.town.get(f"{APPLICATIONS}/{application_id}/procedure")).json()["household_id"]
        event = check_completed(household_id, application_id, self.clock())
        await self.h.bus.publish([OutgoingMessage(VERIFICATION_EVENTS, household_id.encode(), event.to_json_bytes())])
        (consumer,) = self.h.definition.worker_components(self.h.runtime).consumers
        outcome = await consumer.process(self.h.bus.messages(VERIFICATION_EVENTS)[-1])
        if outcome != "applied":
            raise StepFailed(f"check_completed: {outcome}")

    async def to_county(self, application_id: str, *, amount: str = "780.00") -> dict[str, Any]:
        """From `submitted` to `submitted_to_county` (the 7-day 公示 passed on the clock)."""
        await self.step(self.town, application_id, "accept")
        await self.step(self.town, application_id, "start-investigation")
        visit = {
            "visited_on": self.clock().date().isoformat(),
            "investigators": ["wang.fang"],
            "family_signed": True,
            "findings": "入户核实",
        }
        await self.step(self.town, application_id, "record-home-visit", visit)
        await self.step(self.town, application_id, "request-verification")
        await self.report(application_id)
        case = await self.step(
            self.colleague, application_id, "preliminary-review", {"amount": amount, "opinion": "符合条件"}
        )
        if case["stage"] == Stage.PUBLICIZING.value:
            self.clock.advance(8)
            case = await self.step(self.town, application_id, "close-publicity")
        return case

    async def approve(self, application_id: str, *, amount: str = "780.00") -> dict[str, Any]:
        await self.to_county(application_id, amount=amount)
        return await self.step(self.county, application_id, "approve", {"amount": amount})


@asynccontextmanager
async def procedure_walk(h: ServiceHarness, clock: Clock) -> AsyncIterator[ProcedureWalk]:
    h.runtime.now = clock
    async with (
        h.anonymous_client(kind="staff", subject="li.na", roles=("town_caseworker",), region=TOWN) as town,
        h.anonymous_client(kind="staff", subject="wang.fang", roles=("town_caseworker",), region=TOWN) as colleague,
        h.anonymous_client(kind="staff", subject="zhao.lei", roles=("county_approver",), region=COUNTY) as county,
    ):
        yield ProcedureWalk(h, clock, town, colleague, county)
