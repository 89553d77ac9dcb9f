"""Demo data for the procedure: the demo applications taken to every stage, so a newcomer
signed in as a caseworker sees a real worklist (some items overdue) and an approver has cases
to confirm and active cases to review.

Each application is driven through the gateway by the people who would drive it: the county's
demo caseworker (乡镇/街道 经办, `caseworker-<county>`) and its approver (`approver-<county>`). The
service's clock is set back while this runs (`DemoClock`), so acceptances a month ago are
overdue today. The verification report arrives the way the `verification.check_completed`
consumer delivers it (the in-process service call), until the verification service sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from tenacity import RetryCallState, retry, retry_if_exception_type, stop_after_attempt

from eligibility.procedure import service as procedure_service
from eligibility.procedure.api.routes import deps
from eligibility.procedure.domain import commands as c
from jiuzhu_platform.runtime import Runtime

logger = logging.getLogger(__name__)

APPLICATIONS = "/v1/eligibility/applications"

PLAN: tuple[str, ...] = (
    "approved",
    "submitted_to_county",
    "accepted_overdue",
    "publicizing",
    "awaiting_supplement",
    "investigating",
    "approved",
    "verification_requested",
    "notified_ineligible",
    "submitted",
    "rejected",
    "withdrawn",
)
"""The stage each demo application is taken to, in turn (the plan repeats)."""


class DemoStepFailed(RuntimeError):
    """A demo step was refused: the demo plan and the procedure disagree (a bug to fix)."""


class DemoClock:
    """The eligibility service's clock while the demo data is written: starts `days` ago."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, days: int) -> None:
        self.at += timedelta(days=days)


@dataclass(frozen=True)
class DemoApplication:
    county: str
    application_id: str
    kind: str = "dibao"


class Throttled(RuntimeError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


def _wait_retry_after(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    return exc.retry_after if isinstance(exc, Throttled) else 1.0


@retry(retry=retry_if_exception_type(Throttled), wait=_wait_retry_after, stop=stop_after_attempt(30), reraise=True)
async def post(
    client: httpx.AsyncClient, url: str, headers: Mapping[str, str], body: dict[str, Any] | None = None
) -> httpx.Response:
    """POST through the gateway as a polite client: a 429 is waited out (its `Retry-After`), not
    an error; the demo loader sends bursts the per-client limit is there to stop."""
    response = await client.post(url, json=body or {}, headers=dict(headers))
    if response.status_code == 429:
        raise Throttled(float(response.headers.get("Retry-After", "1")))
    return response


async def _step(
    client: httpx.AsyncClient, headers: Mapping[str, str], app_id: str, action: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await post(client, f"{APPLICATIONS}/{app_id}/{action}", headers, body)
    if response.status_code != 200:
        raise DemoStepFailed(f"{action} on {app_id}: {response.status_code} {response.text}")
    return dict(response.json())


async def walk_demo_applications(
    client: httpx.AsyncClient,
    applications: Sequence[DemoApplication],
    *,
    town: Mapping[str, Mapping[str, str]],
    county: Mapping[str, Mapping[str, str]],
    eligibility: Runtime,
    clock: DemoClock,
    now: datetime,
) -> dict[str, int]:
    """Take each application to its planned stage, the clock starting 30 days before `now`;
    returns how many reached each stage."""
    reached: dict[str, int] = {}
    start = now - timedelta(days=30)
    for index, application in enumerate(applications):
        clock.at = start
        target = PLAN[index % len(PLAN)]
        t, k, app_id = town[application.county], county[application.county], application.application_id
        investigator = f"investigator-{application.county}"
        if target == "submitted":
            pass
        elif target == "awaiting_supplement":
            await _step(
                client, t, app_id, "request-supplement", {"missing_items": ["户口簿复印件", "家庭经济状况承诺书"]}
            )
        elif target == "withdrawn":
            await _step(client, t, app_id, "withdraw", {"reason": "申请人家庭情况好转，主动撤回"})
        else:
            clock.advance(2)
            await _step(client, t, app_id, "accept")
            if target != "accepted_overdue":
                clock.advance(1)
                await _step(client, t, app_id, "start-investigation")
                visit = {
                    "visited_on": clock().date().isoformat(),
                    "investigators": [investigator],
                    "family_signed": True,
                    "findings": "入户核实：住房简陋，无车辆，家庭成员患病",
                }
                await _step(client, t, app_id, "record-home-visit", visit)
                if application.kind == "tekun":
                    care = {"failed": ["bathing", "toileting"], "assessed_on": clock().date().isoformat()}
                    await _step(client, t, app_id, "record-self-care", care)
                    placement = {"placement": "dispersed", "provider": "村委会委托邻居照料"}
                    await _step(client, t, app_id, "record-placement", placement)
                await _step(client, t, app_id, "request-verification")
                if target != "verification_requested":
                    clock.advance(3)
                    async with eligibility.database.transaction() as session:
                        await procedure_service.record_verification_report(
                            session,
                            UUID(app_id),
                            c.ReceiveVerificationReport(UUID(int=index + 1), True, 0),
                            deps(eligibility),
                        )
            if target in ("notified_ineligible", "rejected"):
                await _step(
                    client, t, app_id, "notify-ineligible", {"reasons": ["经核对，家庭人均收入高于当地低保标准"]}
                )
                if target == "rejected":
                    clock.advance(15)
                    await _step(client, t, app_id, "close")
            elif target in ("publicizing", "submitted_to_county", "approved"):
                if target == "publicizing":
                    clock.at = now - timedelta(days=3)  # posted 3 days ago: still running
                opinion = {"amount": "780.00", "opinion": "经调查核对，符合条件"}
                case = await _step(client, t, app_id, "preliminary-review", opinion)
                if target != "publicizing" and case["stage"] == "publicizing":
                    clock.advance(8)
                    case = await _step(client, t, app_id, "close-publicity")
                if target == "approved":
                    clock.advance(3)
                    if case["county_visit_needed"]:  # 单独登记备案, a complaint, or drawn for the 特困 spot check
                        visit = {
                            "visited_on": clock().date().isoformat(),
                            "investigators": [f"county-investigator-{application.county}"],
                            "family_signed": True,
                            "findings": "县级入户抽查：情况属实",
                        }
                        await _step(client, k, app_id, "record-county-visit", visit)
                    await _step(client, k, app_id, "approve", {"amount": "780.00", "note": "同意"})
        reached[target] = reached.get(target, 0) + 1
    return reached


async def terminate_one_case(client: httpx.AsyncClient, county_headers: Mapping[str, Mapping[str, str]]) -> bool:
    """Put one active demo case into its termination 公示 (so the list shows one)."""
    for headers in county_headers.values():
        page = await client.get("/v1/eligibility/cases", params={"status": "active"}, headers=dict(headers))
        page.raise_for_status()
        items = page.json()["items"]
        if items:
            response = await post(
                client,
                f"/v1/eligibility/cases/{items[-1]['case_id']}/terminate",
                headers,
                {"reason": "assets_exceed_limits", "note": "比对发现新购车辆"},
            )
            response.raise_for_status()
            return True
    return False
