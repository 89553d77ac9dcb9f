"""Working-day calendar and procedural deadlines (pure domain + the YAML loader).

Hand counts below list every day after the start: "(n)" is the n-th working day, "-" a day that
does not count (weekend or holiday), "make-up" a 调休上班 weekend day that does count.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from eligibility.deadlines.adapters.calendar_file import (
    CalendarFileError,
    default_calendar_path,
    load_calendar,
    parse_calendar,
)
from eligibility.deadlines.domain.calendar import (
    CLOCKS,
    CalendarOutOfRange,
    Clock,
    Deadline,
    Step,
    WorkingDayCalendar,
    add_calendar_days,
    dibao_overall_step,
    due_date,
)
from jiuzhu_platform.errors import BadRequest

CAL = load_calendar(default_calendar_path())
FIRST, LAST = date(2024, 1, 1), date(2026, 12, 31)


def d(text: str) -> date:
    return date.fromisoformat(text)


class TestCalendarData:
    def test_covers_2024_to_2026(self) -> None:
        assert CAL.covers == (FIRST, LAST)

    def test_totals_per_notice(self) -> None:
        # 2024: 1+8+3+5+1+3+7 = 28 days off, 2+1+2+1+2 = 8 make-up days
        # 2025: 1+8+3+5+3+8 = 28 days off, 2+1+2 = 5 make-up days
        # 2026: 3+9+3+5+3+3+7 = 33 days off, 1+2+1+2 = 6 make-up days
        by_year = {
            y: (sum(h.year == y for h in CAL.holidays), sum(m.year == y for m in CAL.makeup_workdays))
            for y in (2024, 2025, 2026)
        }
        assert by_year == {2024: (28, 8), 2025: (28, 5), 2026: (33, 6)}

    def test_every_makeup_day_is_a_weekend_day(self) -> None:
        assert all(day.weekday() >= 5 for day in CAL.makeup_workdays)


class TestClassification:
    @pytest.mark.parametrize(
        ("day", "working"),
        [
            # 2024
            ("2024-01-01", False),  # 元旦, Monday
            ("2024-01-02", True),  # ordinary Tuesday
            ("2024-02-04", True),  # Sunday, 春节 make-up
            ("2024-02-09", True),  # 除夕: the notice only "encourages" leave; still a working day
            ("2024-02-12", False),  # 春节, Monday
            ("2024-02-18", True),  # Sunday, 春节 make-up
            ("2024-04-07", True),  # Sunday, 清明 make-up
            ("2024-05-11", True),  # Saturday, 劳动节 make-up
            ("2024-06-10", False),  # 端午, Monday
            ("2024-09-14", True),  # Saturday, 中秋 make-up
            ("2024-09-16", False),  # 中秋, Monday
            ("2024-10-07", False),  # 国庆, Monday
            ("2024-10-13", False),  # ordinary Sunday
            # 2025
            ("2025-01-01", False),  # 元旦, Wednesday, no make-up day
            ("2025-01-26", True),  # Sunday, 春节 make-up
            ("2025-01-28", False),  # 除夕 is a holiday from 2025
            ("2025-02-04", False),  # 正月初七, Tuesday
            ("2025-02-08", True),  # Saturday, 春节 make-up
            ("2025-04-27", True),  # Sunday, 劳动节 make-up
            ("2025-05-05", False),  # 劳动节, Monday
            ("2025-06-02", False),  # 端午, Monday
            ("2025-09-28", True),  # Sunday, 国庆 make-up
            ("2025-10-08", False),  # 国庆+中秋, Wednesday
            ("2025-10-11", True),  # Saturday, 国庆 make-up
            ("2025-10-12", False),  # ordinary Sunday
            # 2026
            ("2026-01-02", False),  # 元旦, Friday
            ("2026-01-04", True),  # Sunday, 元旦 make-up
            ("2026-02-14", True),  # Saturday, 春节 make-up
            ("2026-02-23", False),  # 春节, Monday
            ("2026-02-24", True),  # first Tuesday back
            ("2026-02-28", True),  # Saturday, 春节 make-up
            ("2026-05-05", False),  # 劳动节, Tuesday
            ("2026-05-09", True),  # Saturday, 劳动节 make-up
            ("2026-06-19", False),  # 端午, Friday
            ("2026-09-20", True),  # Sunday, 国庆 make-up
            ("2026-09-25", False),  # 中秋, Friday
            ("2026-10-10", True),  # Saturday, 国庆 make-up
            ("2026-12-31", True),  # ordinary Thursday, last covered day
        ],
    )
    def test_day(self, day: str, working: bool) -> None:
        assert CAL.is_working_day(d(day)) is working


class TestAddWorkingDays:
    def test_across_national_day_2024(self) -> None:
        # 受理 Fri 2024-09-27: Sat 28 -, Sun 29 make-up (1), Mon 30 (2), Oct 1–7 -, Tue Oct 8 (3)
        assert CAL.add_working_days(d("2024-09-27"), 3) == d("2024-10-08")

    def test_across_spring_festival_2026(self) -> None:
        # 受理 Thu 2026-02-12: Fri 13 (1), Sat 14 make-up (2), Feb 15–23 -, Tue 24 (3)
        assert CAL.add_working_days(d("2026-02-12"), 3) == d("2026-02-24")
        # … Wed 25 (4), Thu 26 (5), Fri 27 (6), Sat 28 make-up (7), Sun Mar 1 -, Mon 2 (8), Tue 3 (9), Wed 4 (10)
        assert CAL.add_working_days(d("2026-02-12"), 10) == d("2026-03-04")

    def test_start_on_a_holiday_does_not_count(self) -> None:
        # 受理 (online) Thu 2024-10-03, a holiday: Oct 4–7 -, Tue 8 (1), Wed 9 (2), Thu 10 (3)
        assert CAL.add_working_days(d("2024-10-03"), 3) == d("2024-10-10")

    def test_start_on_a_makeup_day_does_not_count_either(self) -> None:
        # Sun 2024-09-29 is a working day, but the start day never counts: Mon 30 (1), Tue Oct 8 (2)
        assert CAL.add_working_days(d("2024-09-29"), 2) == d("2024-10-08")

    def test_zero_returns_the_start_day(self) -> None:
        assert CAL.add_working_days(d("2024-10-03"), 0) == d("2024-10-03")
        assert CAL.add_working_days(d("2024-10-08"), 0) == d("2024-10-08")

    def test_negative_is_refused(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            CAL.add_working_days(d("2024-10-08"), -1)


class TestWorkingDaysBetween:
    def test_counts_after_the_first_up_to_and_including_the_second(self) -> None:
        assert CAL.working_days_between(d("2024-09-27"), d("2024-10-08")) == 3
        assert CAL.working_days_between(d("2024-10-01"), d("2024-10-07")) == 0
        assert CAL.working_days_between(d("2024-10-08"), d("2024-10-08")) == 0

    def test_reversed_is_negative(self) -> None:
        assert CAL.working_days_between(d("2024-10-08"), d("2024-09-27")) == -3


class TestOutOfRange:
    @pytest.mark.parametrize("day", ["2023-12-29", "2032-01-02"])
    def test_classifying_a_day_without_data_or_provisional_reach(self, day: str) -> None:
        with pytest.raises(CalendarOutOfRange) as caught:
            CAL.is_working_day(d(day))
        assert isinstance(caught.value, BadRequest)
        assert caught.value.day == d(day)
        assert "2024-01-01..2026-12-31" in caught.value.detail
        assert caught.value.message_zh

    def test_a_start_before_the_data(self) -> None:
        with pytest.raises(CalendarOutOfRange):
            CAL.add_working_days(d("2023-12-31"), 1)
        with pytest.raises(CalendarOutOfRange):
            due_date(CAL, Step.DIBAO_OVERALL, d("2023-12-15"))


class TestPastTheLoadedYears:
    """After the last loaded notice: weekends and fixed-date statutory holidays only, provisional."""

    @pytest.mark.parametrize(
        ("day", "working"),
        [
            ("2027-01-01", False),  # 元旦
            ("2027-05-03", True),  # Monday after 劳动节 (1–2 May): no make-up guess
            ("2027-05-01", False),
            ("2027-05-02", False),
            ("2027-10-01", False),
            ("2027-10-04", True),  # Monday, 国庆 is 1–3 October by the law; the notice may add more
            ("2027-03-10", True),  # a Wednesday in March
            ("2027-03-13", False),  # a Saturday
            ("2027-02-08", True),  # 春节 2027 is lunar: not guessed (the notice will say)
        ],
    )
    def test_fallback_days(self, day: str, working: bool) -> None:
        assert CAL.is_working_day(d(day)) is working
        assert CAL.is_provisional(d(day))

    def test_a_deadline_running_past_the_data_is_provisional(self) -> None:
        # Thu 2026-12-24: 25 (1), 28 (2), 29 (3), 30 (4), 31 (5); 1 Jan 2027 元旦, Mon 4 Jan (6)
        assert CAL.add_working_days(d("2026-12-24"), 5) == d("2026-12-31")
        assert CAL.add_working_days(d("2026-12-24"), 6) == d("2027-01-04")
        inside = due_date(CAL, Step.DIBAO_INVESTIGATION_START, d("2026-12-24"))
        assert inside.due == d("2026-12-29")
        assert not inside.provisional
        crossing = due_date(CAL, Step.DIBAO_OVERALL, d("2026-12-24"))
        assert crossing.provisional
        assert crossing.due > LAST

    def test_calendar_day_clocks_are_never_provisional(self) -> None:
        assert not due_date(CAL, Step.DIBAO_PUBLICITY, d("2027-03-01")).provisional

    def test_between_across_the_boundary(self) -> None:
        assert CAL.working_days_between(d("2026-12-31"), d("2027-01-04")) == 1


class TestLoadingANewYear:
    """A new year's notice is data: a `calendar-years/<year>.yaml` beside the calendar file."""

    NOTICE_2027: ClassVar[dict[str, Any]] = {
        "year": 2027,
        "notice": "国务院办公厅关于2027年部分节假日安排的通知 (test data, not the real notice)",
        "doc_no": "test",
        "issued": date(2026, 11, 1),
        "festivals": [
            {"name": "元旦", "holidays": [date(2027, 1, 1)], "makeup_workdays": []},
            {"name": "劳动节", "holidays": [date(2027, 5, 1), date(2027, 5, 3)], "makeup_workdays": [date(2027, 5, 8)]},
        ],
    }

    def test_the_year_file_extends_the_data_and_the_same_deadline_is_no_longer_provisional(
        self, tmp_path: Path
    ) -> None:
        base = tmp_path / "calendar-cn.yaml"
        base.write_text(default_calendar_path().read_text(encoding="utf-8"), encoding="utf-8")
        (tmp_path / "calendar-years").mkdir()
        (tmp_path / "calendar-years" / "2027.yaml").write_text(yaml.safe_dump(self.NOTICE_2027), encoding="utf-8")
        loaded = load_calendar(base)
        assert loaded.covers == (FIRST, date(2027, 12, 31))
        assert not loaded.is_working_day(d("2027-05-03"))  # the notice's holiday
        assert loaded.is_working_day(d("2027-05-08"))  # its 调休 Saturday
        assert not loaded.is_provisional(d("2027-05-08"))
        assert not due_date(loaded, Step.DIBAO_OVERALL, d("2026-12-24")).provisional

    def test_a_gap_between_years_is_refused(self, tmp_path: Path) -> None:
        base = tmp_path / "calendar-cn.yaml"
        base.write_text(default_calendar_path().read_text(encoding="utf-8"), encoding="utf-8")
        (tmp_path / "calendar-years").mkdir()
        notice = {**self.NOTICE_2027, "year": 2028, "festivals": [{"name": "元旦", "holidays": [date(2028, 1, 1)]}]}
        (tmp_path / "calendar-years" / "2028.yaml").write_text(yaml.safe_dump(notice), encoding="utf-8")
        with pytest.raises(CalendarFileError, match=r"without a State Council notice: \[2027\]"):
            load_calendar(base)


@given(start=st.dates(min_value=FIRST, max_value=LAST), n=st.integers(min_value=0, max_value=60))
def test_counting_holds_across_the_boundary(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end) == n


class TestCalendarDays:
    def test_publicity_posted_on_d_ends_at_the_end_of_d_plus_7(self) -> None:
        # posted Fri 2024-09-27: runs Sep 28 … Oct 4 (D+1 … D+7); a holiday at the end does not extend it
        assert add_calendar_days(d("2024-09-27"), 7) == d("2024-10-04")
        deadline = due_date(CAL, Step.DIBAO_PUBLICITY, d("2024-09-27"))
        assert deadline.due == d("2024-10-04")
        assert deadline.clock.unit == "calendar_days"

    def test_need_no_holiday_data(self) -> None:
        deadline = due_date(CAL, Step.TEKUN_PUBLICITY, d("2027-03-01"))
        assert deadline.due == d("2027-03-08")


class TestClocks:
    def test_every_step_has_a_clock_with_a_source(self) -> None:
        assert set(CLOCKS) == set(Step)
        for step, clock in CLOCKS.items():
            assert "DOMAIN-RULES" in clock.source or "POLICY-DEFAULTS" in clock.source, step
            assert clock.start_event, step

    @pytest.mark.parametrize(
        ("step", "amount", "unit"),
        [
            (Step.DIBAO_INVESTIGATION_START, 3, "working_days"),
            (Step.DIBAO_VERIFICATION_START, 3, "working_days"),
            (Step.DIBAO_PUBLICITY, 7, "calendar_days"),
            (Step.DIBAO_COUNTY_CONFIRMATION, 10, "working_days"),
            (Step.DIBAO_REJECTION_NOTICE, 3, "working_days"),
            (Step.DIBAO_OVERALL, 30, "working_days"),
            (Step.DIBAO_OVERALL_DELEGATED, 20, "working_days"),
            (Step.DIBAO_OVERALL_EXTENDED, 45, "working_days"),
            (Step.TEKUN_INVESTIGATION_OPINION, 15, "working_days"),
            (Step.TEKUN_PUBLICITY, 7, "calendar_days"),
            (Step.TEKUN_OBJECTION_REOPINION, 15, "working_days"),
            (Step.TEKUN_COUNTY_REVIEW, 15, "working_days"),
            (Step.TEKUN_REJECTION_NOTICE, 3, "working_days"),
            (Step.TEKUN_SELF_CARE_REASSESSMENT, 10, "working_days"),
            (Step.TEKUN_TERMINATION_PUBLICITY, 7, "calendar_days"),
            (Step.TEKUN_TERMINATION_OBJECTION_DECISION, 15, "working_days"),
            (Step.TEMPORARY_EMERGENCY_BACKFILL, 10, "working_days"),
            (Step.RIGID_EXPENSE_DECISION, 30, "working_days"),
            (Step.RIGID_EXPENSE_DECISION_EXTENDED, 45, "working_days"),
        ],
    )
    def test_values(self, step: Step, amount: int, unit: str) -> None:
        assert (CLOCKS[step].amount, CLOCKS[step].unit) == (amount, unit)

    def test_only_the_backfill_is_illustrative(self) -> None:
        illustrative = {step for step, clock in CLOCKS.items() if clock.basis == "illustrative"}
        assert illustrative == {Step.TEMPORARY_EMERGENCY_BACKFILL}

    def test_clocks_are_read_only(self) -> None:
        with pytest.raises(TypeError):
            CLOCKS[Step.DIBAO_OVERALL] = Clock(1, "working_days", "x", "y")  # type: ignore[index]

    @pytest.mark.parametrize(
        ("delegated", "extended", "step"),
        [
            (False, False, Step.DIBAO_OVERALL),
            (True, False, Step.DIBAO_OVERALL_DELEGATED),
            (False, True, Step.DIBAO_OVERALL_EXTENDED),
            (True, True, Step.DIBAO_OVERALL_EXTENDED),
        ],
    )
    def test_dibao_overall_step(self, delegated: bool, extended: bool, step: Step) -> None:
        assert dibao_overall_step(confirmation_delegated_to_town=delegated, extended=extended) is step


class TestDueDate:
    def test_dibao_overall_30_working_days_by_hand(self) -> None:
        # 受理 Fri 2024-09-13, across 中秋 and 国庆 2024:
        #   Sat Sep 14 make-up (1), Sep 15–17 -, Wed 18 (2), Thu 19 (3), Fri 20 (4), 21–22 -,
        #   Mon 23 (5) … Fri 27 (9), Sat 28 -, Sun 29 make-up (10), Mon 30 (11), Oct 1–7 -,
        #   Tue Oct 8 (12) … Fri 11 (15), Sat 12 make-up (16), Sun 13 -, Mon 14 (17) … Fri 18 (21),
        #   Mon 21 (22) … Fri 25 (26), Mon 28 (27), Tue 29 (28), Wed 30 (29), Thu 31 (30)
        deadline = due_date(CAL, Step.DIBAO_OVERALL, d("2024-09-13"))
        assert deadline.due == d("2024-10-31")
        assert deadline.step is Step.DIBAO_OVERALL
        assert deadline.start == d("2024-09-13")
        assert deadline.clock == CLOCKS[Step.DIBAO_OVERALL]

    def test_dibao_investigation_start_across_national_day(self) -> None:
        assert due_date(CAL, Step.DIBAO_INVESTIGATION_START, d("2024-09-27")).due == d("2024-10-08")

    def test_tekun_county_review_across_spring_festival_2025(self) -> None:
        # materials received Fri 2025-01-24: Sat 25 -, Sun 26 make-up (1), Mon 27 (2), Jan 28–Feb 4 -,
        #   Wed Feb 5 (3), Thu 6 (4), Fri 7 (5), Sat 8 make-up (6), Mon 10 (7) … Fri 14 (11),
        #   Mon 17 (12), Tue 18 (13), Wed 19 (14), Thu 20 (15)
        assert due_date(CAL, Step.TEKUN_COUNTY_REVIEW, d("2025-01-24")).due == d("2025-02-20")

    def test_days_left_and_overdue_in_working_days(self) -> None:
        deadline = due_date(CAL, Step.DIBAO_INVESTIGATION_START, d("2024-09-27"))  # due Tue 2024-10-08
        assert deadline.days_left(d("2024-09-27")) == 3
        assert deadline.days_left(d("2024-09-30")) == 1  # only Oct 8 is left
        assert deadline.days_left(d("2024-10-05")) == 1  # holidays do not use the clock up
        assert deadline.days_left(d("2024-10-08")) == 0  # last day, still on time
        assert not deadline.is_overdue(d("2024-10-08"))
        assert deadline.is_overdue(d("2024-10-09"))
        assert deadline.days_left(d("2024-10-12")) == -4  # Oct 9, 10, 11 and make-up Sat 12 late

    def test_days_left_in_calendar_days(self) -> None:
        deadline = due_date(CAL, Step.DIBAO_PUBLICITY, d("2024-09-27"))  # due 2024-10-04
        assert deadline.days_left(d("2024-09-27")) == 7
        assert deadline.days_left(d("2024-10-04")) == 0
        assert deadline.days_left(d("2024-10-06")) == -2
        assert deadline.is_overdue(d("2024-10-05"))

    def test_deadline_is_a_value(self) -> None:
        a = due_date(CAL, Step.DIBAO_OVERALL, d("2024-09-13"))
        b = due_date(load_calendar(default_calendar_path()), Step.DIBAO_OVERALL, d("2024-09-13"))
        assert a == b
        assert isinstance(a, Deadline)


class TestDomainInvariants:
    def test_makeup_day_on_a_weekday_is_refused(self) -> None:
        with pytest.raises(ValueError, match="Saturdays or Sundays"):
            WorkingDayCalendar(frozenset(), frozenset({d("2024-02-05")}), (FIRST, LAST))

    def test_holiday_outside_covers_is_refused(self) -> None:
        with pytest.raises(ValueError, match="outside"):
            WorkingDayCalendar(frozenset({d("2027-01-01")}), frozenset(), (FIRST, LAST))

    def test_a_day_both_holiday_and_makeup_is_refused(self) -> None:
        with pytest.raises(ValueError, match="both"):
            WorkingDayCalendar(frozenset({d("2024-02-04")}), frozenset({d("2024-02-04")}), (FIRST, LAST))


# ----------------------------------------------------------------------------- the loader


def calendar_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(default_calendar_path().read_text(encoding="utf-8"))
    data.update(changes)
    return data


class TestLoader:
    def test_default_path_is_the_service_policies_folder(self) -> None:
        path = default_calendar_path()
        assert path.name == "calendar-cn.yaml"
        assert path.parent.name == "policies"
        assert path.is_file()

    def test_makeup_day_on_a_weekday_is_rejected(self) -> None:
        data = calendar_data()
        data["years"][0]["festivals"][1]["makeup_workdays"].append(date(2024, 2, 19))  # a Monday
        with pytest.raises(CalendarFileError, match=r"Saturdays or Sundays: 2024-02-19"):
            parse_calendar(data)

    def test_duplicate_date_is_rejected(self) -> None:
        data = calendar_data()
        data["years"][0]["festivals"][0]["holidays"].append(date(2024, 1, 1))
        with pytest.raises(CalendarFileError, match=r"more than once: 2024-01-01"):
            parse_calendar(data)

    def test_date_both_holiday_and_makeup_is_rejected_as_duplicate(self) -> None:
        data = calendar_data()
        data["years"][1]["festivals"][0]["makeup_workdays"].append(date(2025, 2, 1))  # a 春节 holiday
        with pytest.raises(CalendarFileError, match=r"more than once: 2025-02-01"):
            parse_calendar(data)

    def test_holiday_outside_covers_is_rejected(self) -> None:
        data = calendar_data(covers={"start": date(2024, 1, 1), "end": date(2026, 10, 5)})
        with pytest.raises(CalendarFileError, match=r"outside covers .*2026-10-06"):
            parse_calendar(data)

    def test_covered_year_without_a_notice_is_rejected(self) -> None:
        data = calendar_data(covers={"start": date(2024, 1, 1), "end": date(2027, 12, 31)})
        with pytest.raises(CalendarFileError, match=r"without a State Council notice: \[2027\]"):
            parse_calendar(data)

    def test_unknown_field_is_rejected(self) -> None:
        with pytest.raises(CalendarFileError, match="typo"):
            parse_calendar(calendar_data(typo=1))

    def test_loads_from_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "calendar.yaml"
        path.write_text(yaml.safe_dump(calendar_data(), allow_unicode=True), encoding="utf-8")
        assert load_calendar(path) == CAL

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(CalendarFileError, match="cannot read"):
            load_calendar(tmp_path / "nope.yaml")

    def test_broken_yaml(self, tmp_path: Path) -> None:
        path = tmp_path / "calendar.yaml"
        path.write_text("covers: [unclosed\n", encoding="utf-8")
        with pytest.raises(CalendarFileError, match="not valid YAML"):
            load_calendar(path)


# ------------------------------------------------------------------------------ properties

DAYS_IN_RANGE = st.dates(min_value=FIRST, max_value=LAST)


@given(start=DAYS_IN_RANGE, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_a_working_day_n_working_days_later(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)  # past the data: provisional, never refused
    assert end > start
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end) == n
    assert CAL.working_days_between(start, end - timedelta(days=1)) == n - 1  # the n-th, not later


@given(a=DAYS_IN_RANGE, b=DAYS_IN_RANGE)
def test_working_days_between_is_antisymmetric(a: date, b: date) -> None:
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
