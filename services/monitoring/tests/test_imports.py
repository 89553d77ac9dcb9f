"""A department's death list matched against the register in one pass (issue 13), on SQLite and
PostgreSQL: each listed recipient (active case) is an integrity alert and a review request to
eligibility, rows with a bad resident ID or date are reported by line, the same file twice is
one import, a county matches in its county only, and a household whose death alert is still
open gets no second one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from monitoring.testing import COUNTY, approved, person
from monitoring.warnings.domain.rules import DEATH_RULE
from shared.events import Event, parse_event
from shared.events.eligibility import CaseCategory
from shared.topics import ELIGIBILITY_EVENTS
from shared.types import resident_id_check_digit

IMPORT = "/v1/monitoring/imports/death-list"
SIGNALS = "/v1/monitoring/imports/signal-list"
OTHER_COUNTY = "520103"


def number(body17: str) -> str:
    return body17 + resident_id_check_digit(body17)


A, B, C, D = "52010219500101001", "52010219500101002", "52010319500101003", "52010219500101004"


async def consume(h: ServiceHarness, event: Event) -> None:
    await h.bus.publish([OutgoingMessage(ELIGIBILITY_EVENTS, event.subject.encode(), event.to_json_bytes())])
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("warnings"))
    assert await consumer.process(h.bus.messages(ELIGIBILITY_EVENTS)[-1]) == "applied"


async def seed(h: ServiceHarness) -> dict[str, Event]:
    """A and B recipients in the county, C in another; D is nobody the register knows."""
    cases = {
        A: approved(uuid4(), person(A), CaseCategory.DIBAO),
        B: approved(uuid4(), person(B), CaseCategory.TEKUN),
        C: approved(uuid4(), person(C), CaseCategory.DIBAO, region=OTHER_COUNTY),
    }
    for case in cases.values():
        await consume(h, case)
    return cases  # type: ignore[return-value]


def death_list(*rows: str) -> bytes:
    return ("resident_id,name,occurred_on\n" + "".join(f"{r}\n" for r in rows)).encode()


async def staged(h: ServiceHarness, event_type: str) -> list[Event]:
    return [parse_event(bytes(r["payload"])) for r in await h.outbox_rows() if r["event_type"] == event_type]


async def test_listed_recipients_become_integrity_alerts_once(tier_h: ServiceHarness) -> None:
    h = tier_h
    cases = await seed(h)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    body = death_list(
        f"{number(A)},甲,2026-11-20",
        f"{number(B)},乙,2026-11-21",
        f"{number(C)},丙,2026-11-22",
        f"{number(D)},丁,2026-11-23",
        "520102195001010019,错号,2026-11-24",  # a wrong check digit
        f"{number(A)},甲,{tomorrow}",  # a death after today
        f"{number(B)},乙,21/11/2026",
    )
    response = await h.client.post(IMPORT, params={"source": "公安户籍注销 2026-11"}, content=body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["rows"], result["rejected"], result["matched"], result["alerts_raised"]) == (7, 3, 3, 3)
    assert [(r["line"], r["reason"]) for r in result["rejections"]] == [
        (6, "resident_id_check_digit"),
        (7, "date_in_future"),
        (8, "date_invalid"),
    ]
    raised = await staged(h, "monitoring.alert_raised.v1")
    reviews = await staged(h, "monitoring.review_requested.v1")
    assert {e.data.rule for e in raised} == {DEATH_RULE}  # type: ignore[attr-defined]
    assert {e.data.case_id for e in reviews} == {c.data.case_id for c in cases.values()}  # type: ignore[attr-defined]
    assert {e.causation_id for e in reviews} == {result["import_id"]}
    alerts = (await h.client.get("/v1/monitoring/alerts", params={"status": "open"})).json()
    assert alerts["total"] == 3

    again = await h.client.post(IMPORT, params={"source": "公安户籍注销 2026-11"}, content=body)
    assert again.status_code == 200
    assert again.json()["import_id"] == result["import_id"]
    assert len(await staged(h, "monitoring.alert_raised.v1")) == 3

    other = await h.client.post(
        IMPORT, params={"source": "殡葬火化 2026-11"}, content=death_list(f"{number(A)},甲,2026-11-20")
    )
    assert other.status_code == 201
    assert other.json()["matched"] == 0  # A's household has its death alert open

    read = await h.client.get(f"/v1/monitoring/imports/{result['import_id']}")
    assert read.json()["matched"] == 3
    assert number(A) not in read.text  # rows by line and reason, never the number


async def test_a_county_matches_in_its_county(tier_h: ServiceHarness) -> None:
    h = tier_h
    await seed(h)
    county = {"kind": "staff", "roles": ("county_approver",), "region": OTHER_COUNTY}
    body = death_list(f"{number(A)},甲,2026-11-20", f"{number(C)},丙,2026-11-22")
    async with h.anonymous_client(**county) as client:
        response = await client.post(IMPORT, params={"source": "县公安"}, content=body)
        assert response.status_code == 201, response.text
        assert response.json()["region_code"] == OTHER_COUNTY
        assert response.json()["matched"] == 1  # C only
        refused = await client.post(IMPORT, params={"source": "x", "region_code": COUNTY}, content=body)
        assert refused.status_code == 403
    town = {"kind": "staff", "roles": ("town_caseworker",), "region": COUNTY + "001000"}
    async with h.anonymous_client(**town) as client:
        assert (await client.post(IMPORT, params={"source": "x"}, content=body)).status_code == 403


async def test_a_list_that_cannot_be_read_is_a_clear_422(tier_h: ServiceHarness) -> None:
    h = tier_h
    no_date = b"resident_id,name\n110105194912310029,x\n"
    response = await h.client.post(IMPORT, params={"source": "x"}, content=no_date)
    assert response.status_code == 422
    assert response.json()["reason"] == "list_header"
    latin = "resident_id,name,occurred_on\n1,é,2026-01-01\n".encode("latin-1")
    response = await h.client.post(IMPORT, params={"source": "x"}, content=latin)
    assert response.status_code == 422
    assert response.json()["reason"] == "list_encoding"
    assert (await h.client.post(IMPORT, content=death_list())).status_code == 422  # no source


async def test_illness_and_unemployment_lists_score_like_notices(tier_h: ServiceHarness) -> None:
    """A 边缘 household whose head is on the health commission's serious-illness list and the
    human-resources unemployment list reaches the illness-and-job-loss rule: one alert; the 低保
    household on the unemployment list alone stays below every threshold."""
    h = tier_h
    edge, dibao = uuid4(), uuid4()
    await consume(h, approved(edge, person(A), CaseCategory.MARGINAL))
    await consume(h, approved(dibao, person(B), CaseCategory.DIBAO))
    SIGNALS = "/v1/monitoring/imports/signal-list"
    ill = await h.client.post(
        SIGNALS,
        params={"kind": "serious_illness", "source": "卫健委重病名单"},
        content=death_list(f"{number(A)},甲,2026-11-20"),
    )
    assert ill.status_code == 201, ill.text
    assert (ill.json()["matched"], ill.json()["alerts_raised"]) == (1, 0)  # illness alone: below 80
    jobless = await h.client.post(
        SIGNALS,
        params={"kind": "unemployment", "source": "人社失业登记"},
        content=death_list(f"{number(A)},甲,2026-11-21", f"{number(B)},乙,2026-11-21"),
    )
    assert (jobless.json()["matched"], jobless.json()["alerts_raised"]) == (2, 1)
    [raised] = await staged(h, "monitoring.alert_raised.v1")
    assert raised.data.rule == "hardship.illness_and_job_loss"  # type: ignore[attr-defined]
    assert raised.data.household_id == edge  # type: ignore[attr-defined]
    assert await staged(h, "monitoring.review_requested.v1") == []  # help, not a check of eligibility
    assert (await h.client.post(SIGNALS, params={"kind": "deaths", "source": "x"}, content=b"")).status_code == 422
