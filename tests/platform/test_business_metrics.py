"""Business metrics on `/metrics` (`jiuzhu_platform.business_metrics`): eligibility's applications
by stage and payment's payroll runs appear after the change that makes them, are recomputed at
most every `business_metrics_refresh_seconds`, and a failing query never fails a scrape."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.business_metrics import BusinessMetric, BusinessMetrics, Sample
from jiuzhu_platform.testing import service_harness
from tests.access.support import COUNTY, DEFINITIONS, RESIDENT_ID
from tests.conftest import ThrowawayDatabases, server_setting

DEFINITION = {d.name: d for d in DEFINITIONS}
APPLICATION = {
    "assistance_type": "dibao",
    "region_code": COUNTY,
    "member_count": 3,
    "applicant": {"name": "张三", "resident_id": RESIDENT_ID},
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """The harness's SQLite file, or a throwaway PostgreSQL database (the queries run on both)."""
    if request.param == "sqlite":
        yield None
        return
    databases = ThrowawayDatabases(server_setting("JIUZHU_PG_ADMIN_URL"))
    yield await databases.create("metrics")
    await databases.drop_all()


async def test_applications_by_stage_and_county(tmp_path: Path, database_url: str | None) -> None:
    async with service_harness(
        DEFINITION["eligibility"], tmp_path, business_metrics_refresh_seconds=0, database_url=database_url
    ) as h:
        before = (await h.client.get("/metrics")).text
        assert "# TYPE jiuzhu_applications gauge" in before
        assert "jiuzhu_applications{" not in before

        created = await h.client.post("/v1/eligibility/applications", json=APPLICATION)
        assert created.status_code == 201, created.text
        after = (await h.client.get("/metrics")).text

    assert f'jiuzhu_applications{{county="{COUNTY}",stage="submitted"}} 1.0' in after
    assert "jiuzhu_applications_overdue{" not in after, "nothing is past due yet"


async def test_payroll_runs_by_period_and_status(tmp_path: Path, database_url: str | None) -> None:
    async with service_harness(
        DEFINITION["payment"], tmp_path, business_metrics_refresh_seconds=0, database_url=database_url
    ) as h:
        created = await h.client.post("/v1/payment/payroll-runs", json={"period": "2026-01", "county_code": COUNTY})
        assert created.status_code == 201, created.text
        scraped = (await h.client.get("/metrics")).text

    status = created.json()["status"]
    assert f'jiuzhu_payroll_runs{{period="2026-01",status="{status}"}} 1.0' in scraped


async def test_recomputed_at_most_every_interval_and_a_failing_query_keeps_the_scrape(tmp_path: Path) -> None:
    calls: list[datetime] = []

    async def counted(session: AsyncSession, now: datetime) -> Iterable[Sample]:
        calls.append(now)
        value = (await session.execute(text("SELECT 41 + 1"))).scalar_one()
        return [(("a",), float(value))]

    async def broken(session: AsyncSession, now: datetime) -> Iterable[Sample]:
        raise RuntimeError("the query is wrong")

    registry = CollectorRegistry()
    metrics = BusinessMetrics(
        (
            BusinessMetric("jiuzhu_test_counted", "counted", ("label",), counted),
            BusinessMetric("jiuzhu_test_broken", "broken", (), broken),
        ),
        registry,
        refresh_seconds=60,
    )
    clock = [100.0]
    async with service_harness(DEFINITION["payment"], tmp_path) as h:
        now = datetime.now(UTC)
        assert await metrics.refresh(h.runtime.database, now, clock=lambda: clock[0])
        clock[0] += 59
        assert not await metrics.refresh(h.runtime.database, now, clock=lambda: clock[0])
        clock[0] += 2
        assert await metrics.refresh(h.runtime.database, now, clock=lambda: clock[0])

    assert len(calls) == 2
    rendered = generate_latest(registry).decode()
    assert 'jiuzhu_test_counted{label="a"} 42.0' in rendered
    assert "jiuzhu_test_broken 0.0" in rendered  # left as it was


@pytest.mark.parametrize("name", ["eligibility", "payment"])
def test_the_services_declare_their_business_metrics(name: str) -> None:
    names = {metric.name for metric in DEFINITION[name].business_metrics}
    assert names
    assert all(metric.startswith("jiuzhu_") for metric in names)
