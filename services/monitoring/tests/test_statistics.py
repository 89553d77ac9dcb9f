"""Statistics and the dashboard (issue 13), through the service's consumer and API on SQLite and
PostgreSQL: the month's figures by county for the city and by town for a county, a town's staff
their town only, the rates computed from counts (集中供养率, 低保零报告), the CSV export, and the
charts with a bar per figure."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from uuid import uuid4

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from monitoring.statistics.domain import rules
from monitoring.statistics.domain.model import AreaCounts, AreaLevel
from monitoring.testing import COUNTY, approved, notice, person
from shared.events import Event
from shared.events.eligibility import CaseCategory, SupportMode
from shared.events.verification import Department, DepartmentNoticeKind
from shared.topics import ELIGIBILITY_EVENTS, VERIFICATION_EVENTS
from shared.types import Period

STATS = "/v1/monitoring/statistics"
OTHER_COUNTY = "520103"
TOWN_A, TOWN_B = COUNTY + "001000", COUNTY + "002000"
MONTH = str(Period.containing(datetime.now(UTC)))


async def consume(h: ServiceHarness, event: Event) -> None:
    topic = ELIGIBILITY_EVENTS if event.type.startswith("eligibility.") else VERIFICATION_EVENTS
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("warnings"))
    assert await consumer.process(h.bus.messages(topic)[-1]) == "applied"


async def seed(h: ServiceHarness) -> None:
    """County A: town 1 two 低保 and a 特困 in a care home, town 2 a dispersed 特困 and a 边缘
    household; county B one 低保. One 低保 recipient of town 1 reported dead (an alert)."""
    n = iter(range(100, 200))

    def someone() -> object:
        return person(f"52010219600101{next(n):03d}")

    dead = someone()
    cases = [
        approved(uuid4(), dead, CaseCategory.DIBAO, town=TOWN_A),  # type: ignore[arg-type]
        approved(uuid4(), someone(), CaseCategory.DIBAO, town=TOWN_A),  # type: ignore[arg-type]
        approved(uuid4(), someone(), CaseCategory.TEKUN, town=TOWN_A, support_mode=SupportMode.CENTRALISED),  # type: ignore[arg-type]
        approved(uuid4(), someone(), CaseCategory.TEKUN, town=TOWN_B),  # type: ignore[arg-type]
        approved(uuid4(), someone(), CaseCategory.MARGINAL, town=TOWN_B),  # type: ignore[arg-type]
        approved(uuid4(), someone(), CaseCategory.DIBAO, region=OTHER_COUNTY),  # type: ignore[arg-type]
    ]
    for case in cases:
        await consume(h, case)
    await consume(h, notice(dead, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY))  # type: ignore[arg-type]


async def test_the_city_sees_a_row_per_county_and_a_county_a_row_per_town(tier_h: ServiceHarness) -> None:
    h = tier_h
    await seed(h)

    city = (await h.client.get(STATS, params={"month": MONTH})).json()
    assert city["level"] == "county"
    assert city["county_code"] is None
    by_area = {a["area_code"]: a for a in city["areas"]}
    assert set(by_area) == {COUNTY, OTHER_COUNTY}
    county = by_area[COUNTY]
    assert county["active"] == {"dibao": 2, "tekun": 2, "marginal": 1}
    assert county["approved"] == county["active"]  # all began this month
    assert county["centralised_rate"] == 0.5
    assert county["zero_report"] is False  # two 低保 approvals this month
    assert county["alerts_raised"] == 1
    assert county["alerts_open"] == 1
    assert city["total"]["active"] == {"dibao": 3, "marginal": 1, "tekun": 2}
    assert city["total"]["centralised_rate"] == 0.5

    towns = (await h.client.get(STATS, params={"month": MONTH, "region_code": COUNTY})).json()
    assert towns["level"] == "town"
    assert towns["county_code"] == COUNTY
    by_town = {a["area_code"]: a for a in towns["areas"]}
    assert by_town[TOWN_A]["active"] == {"dibao": 2, "tekun": 1}
    assert by_town[TOWN_A]["centralised_rate"] == 1.0
    assert by_town[TOWN_B]["active"] == {"tekun": 1, "marginal": 1}
    assert by_town[TOWN_B]["zero_report"] is True  # no 低保 began or ended there
    assert by_town[TOWN_B]["alerts_raised"] == 0

    last_year = (await h.client.get(STATS, params={"month": "2025-01"})).json()
    assert last_year["areas"] == [] or all(not a["active"] for a in last_year["areas"])


async def test_staff_see_only_their_area(tier_h: ServiceHarness) -> None:
    h = tier_h
    await seed(h)
    town = {"kind": "staff", "roles": ("town_caseworker",), "region": TOWN_B}
    async with h.anonymous_client(**town) as client:
        mine = (await client.get(STATS, params={"month": MONTH})).json()
        assert [a["area_code"] for a in mine["areas"]] == [TOWN_B]
        assert mine["total"]["active"] == {"marginal": 1, "tekun": 1}
        refused = await client.get(STATS, params={"region_code": OTHER_COUNTY})
        assert refused.status_code == 403, refused.text
    county = {"kind": "staff", "roles": ("county_approver",), "region": OTHER_COUNTY}
    async with h.anonymous_client(**county) as client:
        mine = (await client.get(STATS, params={"month": MONTH})).json()
        assert mine["county_code"] == OTHER_COUNTY
        assert mine["total"]["active"] == {"dibao": 1}
    async with h.anonymous_client(kind="citizen", roles=("citizen",)) as client:
        assert (await client.get(STATS)).status_code == 403
    async with h.anonymous_client() as client:
        assert (await client.get(STATS)).status_code == 401


async def test_bad_input_is_a_clear_4xx(tier_h: ServiceHarness) -> None:
    for params in ({"month": "2026-13"}, {"month": "december"}, {"region_code": "12"}):
        response = await tier_h.client.get(STATS, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["reason"]


async def test_the_export_is_a_csv_excel_reads(tier_h: ServiceHarness) -> None:
    h = tier_h
    await seed(h)
    response = await h.client.get(f"{STATS}/export", params={"month": MONTH})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f"statistics-{MONTH}.csv" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *body = rows
    assert header[:3] == ["月份 month", "地区代码 area", "监测户数 households"]
    assert [r[1] for r in body] == [COUNTY, OTHER_COUNTY, "total"]
    assert body[0][header.index("低保在保 active_dibao")] == "2"
    assert body[0][header.index("集中供养率% centralised_rate")] == "50.00"
    assert all(len(r) == len(header) for r in body)


async def test_the_charts_draw_a_bar_per_figure_and_link_counties(tier_h: ServiceHarness) -> None:
    h = tier_h
    await seed(h)
    response = await h.client.get(f"{STATS}/charts", params={"month": MONTH})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    charts = response.text
    assert charts.count("<svg") == 4
    assert f'href="#region={COUNTY}"' in charts
    # county A: dibao, tekun, marginal; county B: dibao → 4 category bars, 1 alert bar, 1 rate bar
    assert charts.count('class="bar"') == 6
    assert "低保: 2" in charts
    assert "集中供养率 care-home share: 50.0%" in charts


def test_every_category_has_its_own_colour() -> None:
    from monitoring.statistics.adapters.svg import PALETTE
    from monitoring.statistics.domain.model import CATEGORIES

    assert len(PALETTE) >= len(CATEGORIES)
    assert len(set(PALETTE[: len(CATEGORIES)])) == len(CATEGORIES)


def test_rates_come_from_counts_and_the_total_recomputes_them() -> None:
    a = AreaCounts("520102", households=10, discovered=1, active={"tekun": 4}, tekun_centralised=1)
    b = AreaCounts("520103", households=30, discovered=9, active={"tekun": 1, "dibao": 5}, tekun_centralised=1)
    stats = rules.statistics("2026-12", AreaLevel.COUNTY, None, [b, a])
    assert [x.area_code for x in stats.areas] == ["520102", "520103"]
    assert stats.areas[0].centralised_rate == 0.25
    assert stats.total.centralised_rate == 0.4  # 2 of 5, not the mean of 25% and 100%
    assert stats.total.discovery_rate == 0.25
    assert stats.total.zero_report is True
    assert rules.rate(1, 0) is None
    closed = AreaCounts("x", alerts_closed=3, disposal_days=10, approved={"dibao": 1})
    figures = rules.figures(closed)
    assert figures.mean_disposal_days == 3.3
    assert figures.zero_report is False


def xlsx_sheets(content: bytes) -> dict[str, list[list[str]]]:
    """The sheets of a workbook as rows of cell texts (shared strings resolved), read with the
    standard library: the file is what Excel opens, not what a library says of it."""
    from xml.etree import ElementTree as ET
    from zipfile import ZipFile

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with ZipFile(io.BytesIO(content)) as book:
        strings = [
            "".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
            for si in ET.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", ns)
        ]
        workbook = ET.fromstring(book.read("xl/workbook.xml"))
        sheets = {}
        for n, sheet in enumerate(workbook.find("m:sheets", ns) or [], start=1):
            assert sheet.get(rel)
            rows: list[list[str]] = []
            for row in ET.fromstring(book.read(f"xl/worksheets/sheet{n}.xml")).iter(f"{{{ns['m']}}}row"):
                while len(rows) < int(row.get("r", "0")) - 1:
                    rows.append([])  # a row with nothing written is not in the file
                cells = []
                for cell in row.findall("m:c", ns):
                    value = cell.findtext("m:v", default="", namespaces=ns)
                    cells.append(strings[int(value)] if cell.get("t") == "s" else value)
                rows.append(cells)
            sheets[str(sheet.get("name"))] = rows
    return sheets


async def test_the_excel_export_has_the_table_and_the_upward_report(tier_h: ServiceHarness) -> None:
    h = tier_h
    await seed(h)
    response = await h.client.get(f"{STATS}/export", params={"month": MONTH, "format": "xlsx"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f"statistics-{MONTH}.xlsx" in response.headers["content-disposition"]
    sheets = xlsx_sheets(response.content)
    assert list(sheets) == ["统计 figures", "上报 report"]
    table = sheets["统计 figures"]
    assert [r[1] for r in table[1:]] == [COUNTY, OTHER_COUNTY, "total"]
    assert table[1][table[0].index("低保在保 active_dibao")] == "2"  # a number, not text
    report = sheets["上报 report"]
    assert report[3][3:] == [COUNTY, OTHER_COUNTY, "total"]
    codes = [r[0] for r in report[4:]]
    assert codes[0] == "A01"
    assert codes[-1] == "H01"
    assert len(codes) == len(set(codes))
    dibao = next(r for r in report if r[:1] == ["B01"])
    assert dibao[3:] == ["2", "1", "3"]
    assert (await h.client.get(f"{STATS}/export", params={"format": "pdf"})).status_code == 422
