"""Demo data of monitoring for `make run`: departments' notices about the demo households, taken
in by verification's own intake (as a department's push would be), so they travel the real
path (outbox → bus → monitoring's consumer): hardship and means alerts in the towns' task lists,
a death as an integrity finding with a review request, and one alert disposed by its town's
caseworker through the gateway; the rural-revitalisation department's 防返贫 list for the first
county, with one of its households on the illness and unemployment lists (a hardship alert); and
the risk scores recomputed. With the cases of the procedure walk, every panel of the dashboard
(the gateway's /dashboard) has figures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import date

import httpx

from jiuzhu.demo_procedure import post
from jiuzhu.demo_verification import AppliedHousehold
from jiuzhu_platform.runtime import Runtime
from monitoring.risk import service as risk
from shared.events.verification import Department, DepartmentNoticeKind
from shared.types import parse_resident_id, resident_id_check_digit
from verification.notices import service as notices
from verification.notices.domain.commands import ReceiveNotice

logger = logging.getLogger(__name__)

K = DepartmentNoticeKind
FROM = {
    K.HOSPITALISED: Department.HEALTH,
    K.UNEMPLOYED: Department.HUMAN_RESOURCES,
    K.PROPERTY_REGISTERED: Department.NATURAL_RESOURCES,
    K.DISABILITY_CERTIFIED: Department.DISABLED_PERSONS,
    K.DEATH: Department.PUBLIC_SECURITY,
}
PATTERN: tuple[tuple[DepartmentNoticeKind, ...], ...] = (
    (K.HOSPITALISED, K.UNEMPLOYED),  # 边缘/刚性支出: illness and job loss; 低保/特困: illness
    (K.PROPERTY_REGISTERED,),  # means changed: a check
    (K.HOSPITALISED,),
    (),
)
"""What the departments report about the head of each demo household in turn (a household
without an active case is not monitored: its notices raise nothing)."""
SENDER = "demo-departments"


async def send_demo_notices(verification: Runtime, households: Sequence[AppliedHousehold], *, today: date) -> int:
    """Notices about the demo households' heads, and the death of the last one's; how many."""
    key = verification.settings.person_ref_secret()
    plan = [(h, PATTERN[i % len(PATTERN)]) for i, h in enumerate(households)]
    if households:
        plan.append((households[-1], (K.DEATH,)))
    sent = 0
    for n, (applied, kinds) in enumerate(plan):
        head = applied.household["members"][0]
        for kind in kinds:
            command = ReceiveNotice(
                sender_client_id=SENDER,
                message_id=f"demo-{n}-{kind.value}",
                department=FROM[kind],
                kind=kind,
                person_name="演示成员",
                resident_id=parse_resident_id(head["resident_id"]),
                occurred_on=today,
                correlation_id="demo-data",
            )
            async with verification.database.transaction() as session:
                await notices.receive_notice(session, command, person_ref_key=key, now=verification.now)
            sent += 1
    logger.info("demo data: %d department notices sent to monitoring", sent)
    return sent


DISCOVERY = {
    "channel": "hotline_12349",
    "hardships": ["elderly_alone", "serious_illness"],
    "contact_name": "演示联系人",
    "contact_phone": "13800000000",
    "description": "12349热线来电：独居老人长期患病，子女在外务工，生活无人照料，请社区入户核实",
}
"""A 12349 hotline report (主动发现) for the first demo county: an open task in its towns' list."""


async def report_one_discovery(client: httpx.AsyncClient, town: Mapping[str, Mapping[str, str]]) -> bool:
    """The first county's caseworker records a hotline report: an open discovery and its task."""
    for county, headers in sorted(town.items()):
        response = await post(client, "/v1/monitoring/discoveries", headers, {**DISCOVERY, "region_code": county})
        if response.status_code == 201:
            return True
        logger.warning("demo data: discovery report refused (%s)", response.status_code)
        return False
    return False


async def dispose_one_alert(
    client: httpx.AsyncClient, town: Mapping[str, Mapping[str, str]], *, wait_s: float = 20.0
) -> bool:
    """Once monitoring has raised the notices' alerts, the first town with one disposes of it
    (交办 → 处置, with its evidence): the dashboard's closed alerts and days to disposition."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while asyncio.get_running_loop().time() < deadline:
        for headers in town.values():
            page = await client.get("/v1/monitoring/alerts", params={"status": "open"}, headers=dict(headers))
            items = page.json().get("items", []) if page.status_code == 200 else []
            if items:
                disposal = {
                    "disposition": "deliver",
                    "evidence": "入户核实：户主住院、配偶失业，已协助申请临时救助并纳入低保边缘监测",
                }
                url = f"/v1/monitoring/alerts/{items[0]['alert_id']}/disposal"
                response = await post(client, url, headers, disposal)
                return response.status_code == 200
        await asyncio.sleep(0.5)
    logger.warning("demo data: no alert raised within %.0f s; none disposed", wait_s)
    return False


ANTI_POVERTY_HOUSEHOLDS = 3
"""Demo 防返贫 households (two members each) on the first county's rural-revitalisation list."""


def _demo_resident(county: str, n: int) -> str:
    body = f"{county}19750101{n:03d}"
    return body + resident_id_check_digit(body)


async def _csv(
    client: httpx.AsyncClient, url: str, headers: Mapping[str, str], params: dict[str, str], body: str
) -> bool:
    response = await client.post(
        url, params=params, content=body.encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    if response.status_code not in (200, 201):
        logger.warning("demo data: %s refused (%s)", url, response.status_code)
    return response.status_code in (200, 201)


async def load_anti_poverty_list(
    client: httpx.AsyncClient, county: Mapping[str, Mapping[str, str]], monitoring: Runtime | None, *, today: date
) -> bool:
    """The first county's approver loads its 防返贫 list (`ANTI_POVERTY_HOUSEHOLDS` households),
    then its serious-illness and unemployment lists naming the first household's head (a hardship
    alert for a 防返贫 household); with the monitoring runtime, every risk score is recomputed
    (what the worker does daily)."""
    if not county:
        return False
    code, headers = sorted(county.items())[0]
    town = f"{code}001000"
    rows = [
        f"FP{code}{h:04d},{_demo_resident(code, 2 * h + m)},演示成员,{town},{today.replace(day=1).isoformat()}"
        for h in range(ANTI_POVERTY_HOUSEHOLDS)
        for m in range(2)
    ]
    listed = await _csv(
        client,
        "/v1/monitoring/imports/anti-poverty-list",
        headers,
        {"source": "演示 乡村振兴局防返贫监测名单"},
        "household_no,resident_id,name,town_code,occurred_on\n" + "\n".join(rows) + "\n",
    )
    head = f"resident_id,name,occurred_on\n{_demo_resident(code, 0)},演示成员,{today.isoformat()}\n"
    for kind, source in (("serious_illness", "演示 卫健委重病名单"), ("unemployment", "演示 人社失业登记")):
        await _csv(client, "/v1/monitoring/imports/signal-list", headers, {"kind": kind, "source": source}, head)
    if monitoring is not None:
        done = await risk.recompute(monitoring.database, today)
        logger.info("demo data: risk scores of %d households (%d at a threshold)", done.households, done.reached)
    return listed
