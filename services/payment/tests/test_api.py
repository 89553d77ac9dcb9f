"""The payment API over HTTP: the real app on a migrated SQLite database and the in-process bus
(`h`); the concurrency tests also on a throwaway PostgreSQL database (`tier_h`, marker
`integration`), where writers really race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import AwareDatetime, TypeAdapter

from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.testing import ServiceHarness, staged_unique_race
from payment import service as payment_service
from payment.adapters.orm import payroll_run
from payment.domain.commands import OpenPayrollRun
from shared.events import PayrollRunCreated, parse_event
from shared.types import Period

TOPIC = "payment.events"
RUNS = "/v1/payment/payroll-runs"


def run_body(period: str = "2026-01", county_code: str = "520102") -> dict[str, Any]:
    return {"period": period, "county_code": county_code}


def assert_one_opened_and_the_rest_name_it(responses: list[httpx.Response]) -> None:
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    (opened,) = [r.json()["id"] for r in responses if r.status_code == 201]
    for refused in (r.json() for r in responses if r.status_code == 409):
        assert (refused["error"], refused["reason"]) == ("PayrollRunExists", "payroll_run_exists")
        assert refused["detail"] == f"a payroll run for 520102 2026-03 already exists: {opened}"


class TestOpenPayrollRun:
    async def test_new_run_for_a_county_and_month_is_opened_as_draft(self, h: ServiceHarness) -> None:
        response = await h.client.post(RUNS, json=run_body())

        assert response.status_code == 201
        body = response.json()
        UUID(body["id"])
        assert body["period"] == "2026-01"
        assert body["county_code"] == "520102"
        assert body["status"] == "draft"
        assert body["created_at"].endswith(("Z", "+00:00"))

    async def test_same_county_and_month_again_is_409_payroll_run_exists(self, h: ServiceHarness) -> None:
        first = await h.client.post(RUNS, json=run_body())

        second = await h.client.post(RUNS, json=run_body(), headers={"X-Request-ID": "req-dup"})

        assert second.status_code == 409
        body = second.json()
        existing = first.json()["id"]
        assert body["error"] == "PayrollRunExists"
        assert body["detail"] == f"a payroll run for 520102 2026-01 already exists: {existing}"
        assert body["message_zh"] == f"520102 2026-01 的发放批次已存在: {existing}"
        assert body["correlation_id"] == "req-dup"

    async def test_refused_duplicate_announces_nothing_more(self, h: ServiceHarness) -> None:
        await h.client.post(RUNS, json=run_body())
        await h.client.post(RUNS, json=run_body())

        assert len(await h.outbox_rows()) == 1

    async def test_same_month_in_another_county_is_a_separate_run(self, h: ServiceHarness) -> None:
        first = await h.client.post(RUNS, json=run_body(county_code="520102"))
        second = await h.client.post(RUNS, json=run_body(county_code="520103"))

        assert first.status_code == second.status_code == 201
        assert first.json()["id"] != second.json()["id"]
        assert second.json()["county_code"] == "520103"

    async def test_another_month_in_the_same_county_is_a_separate_run(self, h: ServiceHarness) -> None:
        first = await h.client.post(RUNS, json=run_body(period="2026-01"))
        second = await h.client.post(RUNS, json=run_body(period="2026-02"))

        assert first.status_code == second.status_code == 201

    async def test_back_pay_month_years_ago_is_allowed(self, h: ServiceHarness) -> None:
        response = await h.client.post(RUNS, json=run_body(period="2019-07", county_code="520181"))

        assert response.status_code == 201
        assert response.json()["period"] == "2019-07"

    async def test_month_far_ahead_is_400_payroll_period_too_far_ahead(self, h: ServiceHarness) -> None:
        response = await h.client.post(RUNS, json=run_body(period="2099-01"))

        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "PayrollPeriodTooFarAhead"
        assert body["detail"] == "a payroll run can be opened at most for next month, not 2099-01"
        assert body["message_zh"] == "发放批次最多只能提前一个月建立，不能为 2099-01"
        assert await h.outbox_rows() == []


class TestConcurrentOpening:
    """One run per county and month under concurrent requests, on SQLite and on PostgreSQL.

    On SQLite `BEGIN IMMEDIATE` queues the writers before the service looks for an existing
    run, so the look-up refuses every duplicate and the unique key is never reached. On
    PostgreSQL requests really race: a duplicate that passed the look-up is refused by the
    unique key (`insert_unique` in the repository), which only this tier exercises."""

    async def test_concurrent_identical_requests_open_exactly_one_run(self, tier_h: ServiceHarness) -> None:
        responses = await asyncio.gather(*(tier_h.client.post(RUNS, json=run_body(period="2026-03")) for _ in range(5)))

        assert_one_opened_and_the_rest_name_it(responses)
        assert await tier_h.relay() == 1

    async def test_requests_past_the_look_up_together_are_decided_by_the_unique_key(
        self, tier_h: ServiceHarness
    ) -> None:
        """The race staged: a transaction of the test holds the same county and month
        uncommitted, so every request finds nothing and queues; its rollback releases them
        together. On PostgreSQL all five wait inside their INSERT (seen in pg_stat_activity)
        and four are refused by the database; on SQLite they queued before the look-up."""
        held = {
            "id": uuid4(),
            "period": "2026-03",
            "county_code": "520102",
            "status": "draft",
            "created_at": datetime.now(UTC),
            "correlation_id": "held-by-the-test",
        }

        race = await staged_unique_race(
            tier_h, payroll_run, held, lambda: tier_h.client.post(RUNS, json=run_body(period="2026-03"))
        )

        assert_one_opened_and_the_rest_name_it(race.responses)
        assert await tier_h.relay() == 1
        assert len(race.unique_violations) == (4 if tier_h.runtime.database.dialect == "postgresql" else 0)


class TestRejectInvalidPayrollRun:
    @pytest.mark.parametrize(
        ("field", "value", "error_type"),
        [
            pytest.param("period", "2026-13", "period_month", id="month-13"),
            pytest.param("period", "2026-00", "period_month", id="month-00"),
            pytest.param("period", "2026-1", "period_format", id="one-digit-month"),
            pytest.param("period", "2026/01", "period_format", id="slash"),
            pytest.param("period", 202601, "period_type", id="number"),
            pytest.param("county_code", "520100", "region_not_county", id="city-not-county"),
            pytest.param("county_code", "520000", "region_not_county", id="province-not-county"),
            pytest.param("county_code", "999999", "region_code_unknown", id="unknown-region"),
        ],
    )
    async def test_invalid_field_is_a_422_naming_the_field(
        self, h: ServiceHarness, field: str, value: Any, error_type: str
    ) -> None:
        response = await h.client.post(RUNS, json={**run_body(), field: value})

        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "RequestValidationError"
        assert body["message_zh"] == "请求参数校验失败"
        assert [(e["loc"], e["type"]) for e in body["detail"]] == [(["body", field], error_type)]

    async def test_unknown_field_is_refused(self, h: ServiceHarness) -> None:
        response = await h.client.post(RUNS, json={**run_body(), "amount": "100.00"})

        assert response.status_code == 422
        assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["body", "amount"], "extra_forbidden")]


class TestReadPayrollRun:
    async def test_stored_run_round_trips(self, h: ServiceHarness) -> None:
        created = await h.client.post(RUNS, json=run_body(period="2025-12", county_code="520115"))

        response = await h.client.get(f"{RUNS}/{created.json()['id']}")

        assert response.status_code == 200
        assert response.json() == created.json()
        assert response.json()["period"] == "2025-12"
        created_at = TypeAdapter(AwareDatetime).validate_python(response.json()["created_at"])
        assert created_at.utcoffset() == timedelta(0)

    async def test_unknown_id_is_404_payroll_run_not_found(self, h: ServiceHarness) -> None:
        unknown = uuid4()

        response = await h.client.get(f"{RUNS}/{unknown}")

        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "PayrollRunNotFound"
        assert body["message_zh"] == f"未找到发放批次 {unknown}"


class TestPayrollRunCreatedEvent:
    async def test_relay_publishes_one_event_with_the_period_as_yyyy_mm(self, h: ServiceHarness) -> None:
        created = await h.client.post(RUNS, json=run_body(), headers={"X-Request-ID": "req-run"})
        run_id = created.json()["id"]

        assert await h.relay() == 1

        (message,) = h.bus.messages(TOPIC)
        assert message.key == run_id.encode()
        assert b'"period":"2026-01"' in message.value
        event = parse_event(message.value)
        assert isinstance(event, PayrollRunCreated)
        assert event.type == "payment.payroll_run_created.v1"
        assert event.subject == run_id
        assert event.correlation_id == "req-run"
        assert event.data.payroll_run_id == UUID(run_id)
        assert event.data.period == Period(2026, 1)
        assert event.data.county_code == "520102"

    async def test_second_relay_publishes_nothing(self, h: ServiceHarness) -> None:
        await h.client.post(RUNS, json=run_body())
        await h.relay()

        assert await h.relay() == 0
        assert len(h.bus.messages(TOPIC)) == 1


CITY_WIDE = RegionScope(AccessLevel.CITY)


class TestFailedUnitOfWork:
    async def test_rolled_back_opening_leaves_no_run_behind(self, h: ServiceHarness) -> None:
        async def open_then_crash() -> None:
            async with h.runtime.database.transaction() as session:
                await payment_service.open_payroll_run(
                    session, CITY_WIDE, OpenPayrollRun(Period(2026, 1), "520102", "c-crash"), now=h.runtime.now
                )
                raise RuntimeError("crash before commit")

        with pytest.raises(RuntimeError, match="crash before commit"):
            await open_then_crash()

        assert await h.outbox_rows() == []
        response = await h.client.post(RUNS, json=run_body(period="2026-01", county_code="520102"))
        assert response.status_code == 201
