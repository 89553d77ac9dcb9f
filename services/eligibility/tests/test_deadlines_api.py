"""GET /v1/eligibility/deadlines: procedural clocks over the working-day calendar."""

from __future__ import annotations

from jiuzhu_platform.testing import ServiceHarness


class TestDeadlines:
    async def test_working_days_skip_national_day_and_count_the_make_up_sunday(self, h: ServiceHarness) -> None:
        # 受理 Fri 2024-09-27; Sun 09-29 is a make-up working day (1), Mon 09-30 (2),
        # 10-01..10-07 holiday, Tue 10-08 (3) → due 2024-10-08.
        response = await h.client.get(
            "/v1/eligibility/deadlines", params={"step": "dibao.investigation_start", "start": "2024-09-27"}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["due"] == "2024-10-08"
        assert body["unit"] == "working_days"
        assert "§2.4" in body["source"]

    async def test_publicity_is_calendar_days(self, h: ServiceHarness) -> None:
        response = await h.client.get(
            "/v1/eligibility/deadlines", params={"step": "dibao.publicity", "start": "2024-09-27"}
        )
        assert response.json()["due"] == "2024-10-04"

    async def test_a_year_without_holiday_data_is_provisional_not_refused(self, h: ServiceHarness) -> None:
        response = await h.client.get(
            "/v1/eligibility/deadlines", params={"step": "dibao.overall", "start": "2030-01-02"}
        )
        assert response.status_code == 200
        assert response.json()["provisional"] is True
        inside = await h.client.get(
            "/v1/eligibility/deadlines", params={"step": "dibao.overall", "start": "2025-01-02"}
        )
        assert inside.json()["provisional"] is False

    async def test_beyond_the_provisional_reach_is_refused(self, h: ServiceHarness) -> None:
        response = await h.client.get(
            "/v1/eligibility/deadlines", params={"step": "dibao.overall", "start": "2040-01-01"}
        )
        assert response.status_code == 400
        assert response.json()["error"] == "CalendarOutOfRange"

    async def test_unknown_step_is_a_field_error(self, h: ServiceHarness) -> None:
        response = await h.client.get("/v1/eligibility/deadlines", params={"step": "nope", "start": "2024-01-01"})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "step"]
