"""The integrity lists and the 防返贫 list (issue 13), on SQLite and PostgreSQL: a recipient on the
public payroll is a finding for the town (no review request until a worker decides), a declared
staff relative is a finding only where the case was not 单独登记备案, and the rural-revitalisation
list puts its households in the register as 防返贫 households, in the household the register
knows, scored like 边缘 households, and ends the monitoring of those a later list drops."""

from __future__ import annotations

from uuid import uuid4

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from monitoring.testing import COUNTY, approved, notice, person
from monitoring.warnings.domain.rules import PUBLIC_PAYROLL_RULE, STAFF_RELATIVE_RULE
from shared.events import Event, parse_event
from shared.events.eligibility import CaseCategory
from shared.events.verification import Department, DepartmentNoticeKind
from shared.topics import ELIGIBILITY_EVENTS, VERIFICATION_EVENTS
from shared.types import resident_id_check_digit

INTEGRITY = "/v1/monitoring/imports/integrity-list"
ANTI_POVERTY = "/v1/monitoring/imports/anti-poverty-list"
STATS = "/v1/monitoring/statistics"
OTHER_COUNTY = "520103"
TOWN = COUNTY + "001000"
A, B, C, D = "52010219500101001", "52010219500101002", "52010219500101003", "52010219500101004"


def number(body17: str) -> str:
    return body17 + resident_id_check_digit(body17)


async def consume(h: ServiceHarness, event: Event) -> None:
    topic = ELIGIBILITY_EVENTS if event.type.startswith("eligibility.") else VERIFICATION_EVENTS
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("warnings"))
    assert await consumer.process(h.bus.messages(topic)[-1]) == "applied"


def people_list(*rows: str) -> bytes:
    return ("resident_id,name,occurred_on\n" + "".join(f"{r}\n" for r in rows)).encode()


def anti_poverty_list(*rows: tuple[str, str, str]) -> bytes:
    """Rows of (户编号, the resident's 17-digit body, town)."""
    lines = "".join(f"{no},{number(body)},某某,{town},2026-10-08\n" for no, body, town in rows)
    return ("household_no,resident_id,name,town_code,occurred_on\n" + lines).encode()


async def staged(h: ServiceHarness, event_type: str) -> list[Event]:
    return [parse_event(bytes(r["payload"])) for r in await h.outbox_rows() if r["event_type"] == event_type]


async def alerts(h: ServiceHarness) -> list[dict[str, object]]:
    items: list[dict[str, object]] = (await h.client.get("/v1/monitoring/alerts")).json()["items"]
    return items


async def test_a_recipient_on_the_public_payroll_is_a_finding_once(tier_h: ServiceHarness) -> None:
    h = tier_h
    dibao = uuid4()
    await consume(h, approved(dibao, person(A), CaseCategory.DIBAO))
    body = people_list(f"{number(A)},甲,2025-03-01", f"{number(D)},丁,2025-03-01")
    params = {"kind": "public_payroll", "source": "市财政局供养人员 2026Q4"}
    first = await h.client.post(INTEGRITY, params=params, content=body)
    assert first.status_code == 201, first.text
    assert (first.json()["rows"], first.json()["matched"], first.json()["alerts_raised"]) == (2, 1, 1)
    [finding] = await alerts(h)
    assert finding["rule"] == PUBLIC_PAYROLL_RULE
    assert finding["household_id"] == str(dibao)
    assert finding["reasons"] == ["a member on the public payroll since 2025-03-01"]
    assert await staged(h, "monitoring.review_requested.v1") == []  # the town verifies first

    again = await h.client.post(INTEGRITY, params=params, content=body)
    assert again.status_code == 200
    assert again.json()["import_id"] == first.json()["import_id"]
    later = await h.client.post(
        INTEGRITY, params={**params, "source": "2027Q1"}, content=people_list(f"{number(A)},甲,2025-03-01")
    )
    assert (later.json()["matched"], later.json()["alerts_raised"]) == (0, 0)  # one open finding at a time
    assert len(await alerts(h)) == 1


async def test_a_staff_relative_is_a_finding_only_without_a_filing(tier_h: ServiceHarness) -> None:
    h = tier_h
    filed, unfiled = uuid4(), uuid4()
    await consume(h, approved(filed, person(A), CaseCategory.DIBAO, filed=True))
    await consume(h, approved(unfiled, person(B), CaseCategory.TEKUN))
    response = await h.client.post(
        INTEGRITY,
        params={"kind": "staff_relatives", "source": "经办人员近亲属申报 2026"},
        content=people_list(f"{number(A)},甲,2026-01-05", f"{number(B)},乙,2026-01-05"),
    )
    assert response.status_code == 201, response.text
    assert (response.json()["matched"], response.json()["alerts_raised"]) == (1, 1)
    [finding] = await alerts(h)
    assert (finding["rule"], finding["household_id"]) == (STAFF_RELATIVE_RULE, str(unfiled))
    bad = await h.client.post(INTEGRITY, params={"kind": "deaths", "source": "x"}, content=people_list())
    assert bad.status_code == 422


async def test_the_anti_poverty_list_puts_households_under_monitoring(tier_h: ServiceHarness) -> None:
    h = tier_h
    dibao = uuid4()
    await consume(h, approved(dibao, person(A), CaseCategory.DIBAO))
    first = await h.client.post(
        ANTI_POVERTY,
        params={"source": "市乡村振兴局 2026Q3"},
        content=anti_poverty_list(
            ("H-1", A, TOWN),  # a member the register knows: the same household
            ("H-1", B, TOWN),
            ("H-2", C, TOWN),
            ("H-3", D, "520103001000"),
        ),
    )
    assert first.status_code == 201, first.text
    result = first.json()
    assert (result["rows"], result["matched"], result["delisted"], result["rejected"]) == (4, 3, 0, 0)
    total = (await h.client.get(STATS)).json()["total"]
    assert total["active"]["anti_poverty"] == 3
    assert total["active"]["dibao"] == 1

    # 防返贫 households are scored like 边缘 ones: illness plus job loss in H-2 raises help
    await consume(h, notice(person(C), DepartmentNoticeKind.HOSPITALISED, Department.HEALTH))
    await consume(h, notice(person(C), DepartmentNoticeKind.UNEMPLOYED, Department.HUMAN_RESOURCES))
    [help_alert] = await alerts(h)
    assert help_alert["rule"] == "hardship.illness_and_job_loss"
    assert help_alert["case_id"] is None  # not an eligibility case
    # B's notice reaches the 低保 household the list joined
    await consume(h, notice(person(B), DepartmentNoticeKind.HOSPITALISED, Department.HEALTH))
    raised = {a["household_id"] for a in await alerts(h)}
    assert str(dibao) in raised
    # a death in a 防返贫 household alone stops no payment: no integrity finding
    await consume(h, notice(person(D), DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY))
    assert not [a for a in await alerts(h) if a["rule"] == "integrity.recipient_died"]

    # the next quarter's list no longer has H-2 or H-3: their monitoring ends
    second = await h.client.post(
        ANTI_POVERTY, params={"source": "市乡村振兴局 2026Q4"}, content=anti_poverty_list(("H-1", A, TOWN))
    )
    assert (second.json()["matched"], second.json()["delisted"]) == (1, 2)
    assert (await h.client.get(STATS)).json()["total"]["active"]["anti_poverty"] == 1


async def test_a_county_sends_its_own_anti_poverty_list(tier_h: ServiceHarness) -> None:
    h = tier_h
    county = {"kind": "staff", "roles": ("county_approver",), "region": COUNTY}
    async with h.anonymous_client(**county) as client:
        response = await client.post(
            ANTI_POVERTY,
            params={"source": "区乡村振兴局 2026Q4"},
            content=anti_poverty_list(("H-9", A, TOWN), ("H-8", B, "520103001000"), ("H-7", C, "5201")),
        )
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["region_code"], result["matched"], result["rejected"]) == (COUNTY, 1, 2)
    assert [r["reason"] for r in result["rejections"]] == ["town_outside_county", "town_code_format"]
    wrong = people_list(f"{number(A)},甲,2026-01-01")
    header = await h.client.post(ANTI_POVERTY, params={"source": "x"}, content=wrong)
    assert header.status_code == 422
    assert header.json()["reason"] == "list_header"
