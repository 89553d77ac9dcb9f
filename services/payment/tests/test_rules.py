"""Pure payment rules: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from payment.domain import rules
from payment.domain.commands import OpenPayrollRun
from payment.domain.errors import PayrollPeriodTooFarAhead
from payment.domain.model import PayrollRunStatus
from shared.events import PayrollRunCreated, parse_event
from shared.types import Period

MID_JANUARY = datetime(2026, 1, 15, 4, 0, tzinfo=UTC)
# 2026-01-31 23:59:59 in Shanghai: still January
LAST_SECOND_OF_JANUARY_SHANGHAI = datetime(2026, 1, 31, 15, 59, 59, tzinfo=UTC)
# 2026-02-01 00:30 in Shanghai, while UTC is still on 31 January
FEBRUARY_IN_SHANGHAI_JANUARY_IN_UTC = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
MID_DECEMBER = datetime(2026, 12, 15, 4, 0, tzinfo=UTC)


def open_run(period: Period, now: datetime = MID_JANUARY) -> PayrollRunCreated:
    _, event = rules.open_payroll_run(OpenPayrollRun(period, "520102", "corr-1"), now=now)
    return event


class TestOpenPayrollRun:
    def test_run_is_a_draft_with_the_given_facts(self) -> None:
        run, event = rules.open_payroll_run(OpenPayrollRun(Period(2026, 1), "520121", "corr-1"), now=MID_JANUARY)

        assert run.period == Period(2026, 1)
        assert run.county_code == "520121"
        assert run.status is PayrollRunStatus.DRAFT
        assert run.created_at == MID_JANUARY
        assert run.correlation_id == "corr-1"
        assert isinstance(event, PayrollRunCreated)
        assert event.subject == str(run.id)
        assert event.data.payroll_run_id == run.id
        assert event.data.period == Period(2026, 1)
        assert event.data.county_code == "520121"
        assert event.correlation_id == "corr-1"
        assert event.time == MID_JANUARY

    def test_given_run_id_is_used(self) -> None:
        run_id = uuid4()

        run, event = rules.open_payroll_run(
            OpenPayrollRun(Period(2026, 1), "520102", "c"), now=MID_JANUARY, run_id=run_id
        )

        assert run.id == run_id
        assert event.data.payroll_run_id == run_id

    def test_event_serialises_the_period_as_yyyy_mm(self) -> None:
        event = open_run(Period(2026, 1))

        assert b'"period":"2026-01"' in event.to_json_bytes()
        assert parse_event(event.to_json_bytes()) == event


class TestPayrollMonthWindow:
    @pytest.mark.parametrize(
        "period",
        [
            pytest.param(Period(2026, 1), id="current-month"),
            pytest.param(Period(2026, 2), id="next-month"),
            pytest.param(Period(2025, 12), id="last-month"),
            pytest.param(Period(2019, 7), id="years-back"),
        ],
    )
    def test_current_next_and_past_months_are_allowed(self, period: Period) -> None:
        assert open_run(period, now=MID_JANUARY).data.period == period

    @pytest.mark.parametrize(
        "period",
        [
            pytest.param(Period(2026, 3), id="month-after-next"),
            pytest.param(Period(2027, 1), id="next-year"),
            pytest.param(Period(2099, 1), id="far-ahead"),
        ],
    )
    def test_month_after_next_and_later_are_refused(self, period: Period) -> None:
        with pytest.raises(PayrollPeriodTooFarAhead) as info:
            open_run(period, now=MID_JANUARY)

        assert info.value.status_code == 400
        assert info.value.detail == f"a payroll run can be opened at most for next month, not {period}"

    def test_last_shanghai_second_of_january_still_allows_february(self) -> None:
        assert open_run(Period(2026, 2), now=LAST_SECOND_OF_JANUARY_SHANGHAI).data.period == Period(2026, 2)

    def test_last_shanghai_second_of_january_refuses_march(self) -> None:
        with pytest.raises(PayrollPeriodTooFarAhead):
            open_run(Period(2026, 3), now=LAST_SECOND_OF_JANUARY_SHANGHAI)

    def test_after_shanghai_midnight_february_is_current_so_march_is_allowed(self) -> None:
        assert open_run(Period(2026, 3), now=FEBRUARY_IN_SHANGHAI_JANUARY_IN_UTC).data.period == Period(2026, 3)

    def test_after_shanghai_midnight_april_is_refused(self) -> None:
        with pytest.raises(PayrollPeriodTooFarAhead):
            open_run(Period(2026, 4), now=FEBRUARY_IN_SHANGHAI_JANUARY_IN_UTC)

    def test_december_allows_january_of_the_next_year(self) -> None:
        assert open_run(Period(2027, 1), now=MID_DECEMBER).data.period == Period(2027, 1)

    def test_december_refuses_february_of_the_next_year(self) -> None:
        with pytest.raises(PayrollPeriodTooFarAhead):
            open_run(Period(2027, 2), now=MID_DECEMBER)
