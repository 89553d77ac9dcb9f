"""Working days (工作日), calendar days and the procedural clocks (办理时限) of the assistance
procedures, as pure functions over a calendar passed in (no I/O, no clock: every date is an
argument). The calendar's data (holidays and make-up days) is loaded at the edge by
`eligibility.deadlines.adapters.calendar_file`.

Counting conventions (one rule for every clock):

* The start day never counts. "Within n working days after 受理 on day D" means due by the end
  (24:00, Asia/Shanghai) of `add_working_days(D, n)`, the n-th working day after D, whether or
  not D itself is a working day. This is 《民法典》 Art. 201 ("开始的当日不计入，自下一日开始计算")
  applied to the procedural limits, which state no counting rule of their own.
* Calendar days (自然日) likewise: a 7-day 公示 posted on day D runs D+1 … D+7 and ends at the
  end of D+7 (`add_calendar_days(D, 7)`). DOMAIN-RULES §2.5 reads the 办法's "7天" as calendar
  days. The end is NOT moved when D+7 is a holiday: 《民法典》 Art. 203 would move a civil-law
  period's last day past a 法定休假日, but no assistance rule says it applies to 公示, and a
  caseworker must not stretch a statutory period on their own reading. Revisit if the client
  says otherwise.
* A due date is the last day on which the step is on time; the step is overdue from the next day.

Working-day arithmetic needs holiday data. Inside the calendar's `covers` range it follows the
State Council notices (holidays and 调休 make-up days). After the last loaded year, until that
year's notice is loaded (usually published in October or November of the year before), it
computes with weekends and the fixed-date statutory holidays only (`FIXED_HOLIDAYS`), and marks
every such result **provisional** (`is_provisional`, `Deadline.provisional`): the date may move
when the notice is loaded, by the lunar holidays and make-up days it adds. Loading a new year is
data, not code (`adapters/calendar_file.py`). Before the first loaded year, and more than
`PROVISIONAL_YEARS` after the last one, it raises `CalendarOutOfRange`. Calendar-day arithmetic
needs no data and works for any date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from jiuzhu_platform.errors import BadRequest
from shared.workdays import PROVISIONAL_YEARS, add_calendar_days

__all__ = ["CalendarOutOfRange", "WorkingDayCalendar", "add_calendar_days"]
from shared.workdays import CalendarOutOfRange as SharedCalendarOutOfRange
from shared.workdays import WorkingDayCalendar as SharedWorkingDayCalendar

Unit = Literal["working_days", "calendar_days"]
Basis = Literal["national", "illustrative"]

_ONE_DAY = timedelta(days=1)


class CalendarOutOfRange(BadRequest):
    """A working-day computation needs a date the calendar has no State Council notice for."""

    def __init__(self, day: date, covers: tuple[date, date]) -> None:
        start, end = covers
        super().__init__(
            f"the working-day calendar has State Council notices for {start}..{end} (provisional up to "
            f"{PROVISIONAL_YEARS} years after); {day} is outside that",
            message_zh=f"工作日历收录 {start} 至 {end} 的国务院节假日安排"
            f"（其后{PROVISIONAL_YEARS}年内按周末和固定日期节日暂算），{day} 超出范围",
        )
        self.day = day
        self.covers = covers


@dataclass(frozen=True, slots=True)
class WorkingDayCalendar(SharedWorkingDayCalendar):
    """工作日历 (`shared.workdays.WorkingDayCalendar`, the one every service counts with): a day
    outside its reach is eligibility's `CalendarOutOfRange`, a 400 in the common error shape."""

    def _require(self, day: date) -> None:
        try:
            SharedWorkingDayCalendar._require(self, day)
        except SharedCalendarOutOfRange:
            raise CalendarOutOfRange(day, self.covers) from None


# ----------------------------------------------------------------------- procedural clocks


class Step(StrEnum):
    """A procedural step with a statutory (or demo-policy) time limit."""

    # 低保 (最低生活保障审核确认办法, S1)
    DIBAO_INVESTIGATION_START = "dibao.investigation_start"
    DIBAO_VERIFICATION_START = "dibao.verification_start"
    DIBAO_PUBLICITY = "dibao.publicity"
    DIBAO_COUNTY_CONFIRMATION = "dibao.county_confirmation"
    DIBAO_REJECTION_NOTICE = "dibao.rejection_notice"
    DIBAO_OVERALL = "dibao.overall"
    DIBAO_OVERALL_DELEGATED = "dibao.overall_delegated"
    DIBAO_OVERALL_EXTENDED = "dibao.overall_extended"
    # 特困 (特困人员认定办法, S2)
    TEKUN_INVESTIGATION_OPINION = "tekun.investigation_opinion"
    TEKUN_PUBLICITY = "tekun.publicity"
    TEKUN_OBJECTION_REOPINION = "tekun.objection_reopinion"
    TEKUN_COUNTY_REVIEW = "tekun.county_review"
    TEKUN_REJECTION_NOTICE = "tekun.rejection_notice"
    TEKUN_SELF_CARE_REASSESSMENT = "tekun.self_care_reassessment"
    TEKUN_TERMINATION_PUBLICITY = "tekun.termination_publicity"
    TEKUN_TERMINATION_OBJECTION_DECISION = "tekun.termination_objection_decision"
    # 临时救助
    TEMPORARY_EMERGENCY_BACKFILL = "temporary.emergency_backfill"
    # 刚性支出困难家庭 (刚性支出困难家庭认定办法, S3)
    RIGID_EXPENSE_DECISION = "rigid.decision"
    RIGID_EXPENSE_DECISION_EXTENDED = "rigid.decision_extended"


@dataclass(frozen=True, slots=True)
class Clock:
    """A time limit: `amount` units counted from `start_event` (the start day not counted).

    `source` cites the DOMAIN-RULES / POLICY-DEFAULTS section and the article it rests on;
    `basis` is `national` for a national rule, `illustrative` for a demo-policy value that a
    decision citing it must label as such (POLICY-DEFAULTS).
    """

    amount: int
    unit: Unit
    source: str
    start_event: str
    basis: Basis = "national"

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"a clock counts at least one day, got {self.amount}")


_CLOCKS: dict[Step, Clock] = {
    # ---- 低保: DOMAIN-RULES §2.4–2.7, S1 = 《最低生活保障审核确认办法》 (民政部, 2021)
    Step.DIBAO_INVESTIGATION_START: Clock(
        3,
        "working_days",
        "DOMAIN-RULES §2.4; S1 Art. 15 — 家庭经济状况调查 starts within 3 WD of 受理",
        "受理 (application accepted)",
    ),
    Step.DIBAO_VERIFICATION_START: Clock(
        3,
        "working_days",
        "DOMAIN-RULES §2.4; S1 Art. 17 — county starts 信息核对 within 3 WD of the town's request",
        "乡镇/街道 提请县级民政部门开展信息核对 (the town's 核对 request received)",
    ),
    Step.DIBAO_PUBLICITY: Clock(
        7,
        "calendar_days",
        "DOMAIN-RULES §2.5; S1 Art. 19, S6 §4(2) — 初审意见 公示 7天 (calendar days, interpretation)",
        "公示 posted in the 村/社区",
    ),
    Step.DIBAO_COUNTY_CONFIRMATION: Clock(
        10,
        "working_days",
        "DOMAIN-RULES §2.6; S1 Art. 20 — 县级民政 确认 within 10 WD of receiving the town's materials",
        "县级民政部门 receives the town's materials (审核意见 and 调查材料)",
    ),
    Step.DIBAO_REJECTION_NOTICE: Clock(
        3,
        "working_days",
        "DOMAIN-RULES §2.6; S1 Art. 21 — written reasons via the town within 3 WD of the decision",
        "不予确认 decision",
    ),
    Step.DIBAO_OVERALL: Clock(
        30,
        "working_days",
        "DOMAIN-RULES §2.7; S1 Art. 22, S6 §4(1) — 受理 to 县级 decision within 30 WD",
        "受理 (application accepted)",
    ),
    Step.DIBAO_OVERALL_DELEGATED: Clock(
        20,
        "working_days",
        "DOMAIN-RULES §2.7; S6 §4(1) — 20 WD where 审核确认 is delegated to 乡镇/街道",
        "受理 (application accepted)",
    ),
    Step.DIBAO_OVERALL_EXTENDED: Clock(
        45,
        "working_days",
        "DOMAIN-RULES §2.7; S1 Art. 22, S6 §4(1) — extendable to 45 WD in total "
        "(公示有异议, 人户分离, 异地申办, difficult investigation)",
        "受理 (application accepted); a recorded special-case reason is required",
    ),
    # ---- 特困: DOMAIN-RULES §3.2, §3.3, §3.5, S2 = 《特困人员认定办法》 (民政部, 2021)
    Step.TEKUN_INVESTIGATION_OPINION: Clock(
        15,
        "working_days",
        "DOMAIN-RULES §3.2; S2 Art. 13–14 — 调查 and 初审意见 within 15 WD of 受理",
        "受理 (application accepted)",
    ),
    Step.TEKUN_PUBLICITY: Clock(
        7,
        "calendar_days",
        "DOMAIN-RULES §3.2; S2 Art. 15 — 公示 7天 (calendar days, as DOMAIN-RULES §2.5)",
        "公示 posted in the 村/社区",
    ),
    Step.TEKUN_OBJECTION_REOPINION: Clock(
        15,
        "working_days",
        "DOMAIN-RULES §3.2; S2 Art. 15 — after an objection to 公示, re-investigate and issue a new "
        "初审意见 within 15 WD, then re-publicize",
        "异议 received during 公示 (interpretation: the earliest reading of the start)",
    ),
    Step.TEKUN_COUNTY_REVIEW: Clock(
        15,
        "working_days",
        "DOMAIN-RULES §3.2; S2 Art. 16 — 县级民政 审核确认 within 15 WD (spot-check ≥30%)",
        "县级民政部门 receives the town's materials",
    ),
    Step.TEKUN_REJECTION_NOTICE: Clock(
        3,
        "working_days",
        "DOMAIN-RULES §3.2; S2 Art. 18 — written reasons via the town within 3 WD of the decision",
        "不予认定 decision",
    ),
    Step.TEKUN_SELF_CARE_REASSESSMENT: Clock(
        10,
        "working_days",
        "DOMAIN-RULES §3.3; S2 Art. 23 — 生活自理能力 re-assessed within 10 WD of the report of a change",
        "report that the person's 生活自理能力 has changed",
    ),
    Step.TEKUN_TERMINATION_PUBLICITY: Clock(
        7,
        "calendar_days",
        "DOMAIN-RULES §3.5; S2 Art. 24–27 — 终止救助供养 公示 7天 (calendar days, as DOMAIN-RULES §2.5)",
        "终止 公示 posted in the 村/社区 or the 供养服务机构",
    ),
    Step.TEKUN_TERMINATION_OBJECTION_DECISION: Clock(
        15,
        "working_days",
        "DOMAIN-RULES §3.5; S2 Art. 24–27 — after an objection, investigate and decide on 终止 "
        "within 15 WD, then re-publicize",
        "异议 received during the 终止 公示 (interpretation, as tekun.objection_reopinion)",
    ),
    # ---- 临时救助: DOMAIN-RULES §4.2/§4.4 set no national number; the demo policy does
    Step.TEMPORARY_EMERGENCY_BACKFILL: Clock(
        10,
        "working_days",
        "POLICY-DEFAULTS 临时救助 (illustrative: 'paperwork must follow within 10 working days'); "
        "DOMAIN-RULES §4.2 (S7 §2(2) 先行救助, 事后补充说明情况) and §4.4 (local parameter, [EX] 20 WD)",
        "先行救助 paid",
        basis="illustrative",
    ),
    # ---- 刚性支出困难家庭: DOMAIN-RULES §5.3, S3 = 《刚性支出困难家庭认定办法》 (2025)
    Step.RIGID_EXPENSE_DECISION: Clock(
        30,
        "working_days",
        "DOMAIN-RULES §5.3; S3 Art. 8 — 县级民政 decision within 30 WD of 受理",
        "受理 (application accepted)",
    ),
    Step.RIGID_EXPENSE_DECISION_EXTENDED: Clock(
        45,
        "working_days",
        "DOMAIN-RULES §5.3; S3 Art. 8 — 45 WD in total for 人户分离 or difficult investigations",
        "受理 (application accepted); a recorded special-case reason is required",
    ),
}

CLOCKS: Mapping[Step, Clock] = MappingProxyType(_CLOCKS)
"""Every procedural clock, by step (read-only)."""


def dibao_overall_step(*, confirmation_delegated_to_town: bool, extended: bool) -> Step:
    """Which overall 低保 limit applies (DOMAIN-RULES §2.7): 45 WD for a recorded special case
    (whoever confirms), otherwise 20 WD when 审核确认 is delegated to the town, else 30 WD."""
    if extended:
        return Step.DIBAO_OVERALL_EXTENDED
    if confirmation_delegated_to_town:
        return Step.DIBAO_OVERALL_DELEGATED
    return Step.DIBAO_OVERALL


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a step is due: on time through the end of `due` (24:00), overdue from the next day.

    Keeps the calendar it was computed with, so `days_left` counts in the clock's own unit.
    """

    step: Step
    start: date
    due: date
    clock: Clock
    calendar: WorkingDayCalendar = field(repr=False, compare=False)
    provisional: bool = False
    """Counted past the last loaded year (weekends and fixed-date holidays only): the due date
    may move when that year's State Council notice is loaded."""

    def days_left(self, today: date) -> int:
        """Days still available after `today` up to and including `due`, in the clock's unit.

        0 on the due day itself (last day, still on time); negative once overdue (working days
        or calendar days past `due`). Working-day clocks need `today` inside the calendar.
        """
        if self.clock.unit == "working_days":
            return self.calendar.working_days_between(today, self.due)
        return (self.due - today).days

    def is_overdue(self, today: date) -> bool:
        return today > self.due


def due_date(calendar: WorkingDayCalendar, step: Step, start: date) -> Deadline:
    """The deadline of `step` counted from `start` (the day of the clock's `start_event`)."""
    clock = CLOCKS[step]
    if clock.unit == "working_days":
        due = calendar.add_working_days(start, clock.amount)
        provisional = calendar.is_provisional(due)
    else:
        due = add_calendar_days(start, clock.amount)
        provisional = False
    return Deadline(step=step, start=start, due=due, clock=clock, calendar=calendar, provisional=provisional)
