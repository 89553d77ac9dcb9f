"""Pure procurement rules (DOMAIN-RULES §9): every decision is a function of its inputs and the
policy tables (`domain/policy.py`); dates come in as arguments, the working-day calendar too.
Refusals raise the domain errors of `domain/errors.py` (each a 4xx with its reason)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID, uuid4

from procurement.domain import errors
from procurement.domain.commands import RegisterProvider
from procurement.domain.model import (
    REQUIRED_CONDITIONS,
    Bid,
    BidScore,
    ClockRecord,
    Contract,
    Criterion,
    Grade,
    GradeRecord,
    GradeStatus,
    Indicator,
    Milestone,
    PriorPurchase,
    Project,
    ProjectState,
    Provider,
    Supplement,
    Visit,
)
from procurement.domain.policy import (
    BAR_AFTER_CANCELLATION_YEARS,
    BAR_AFTER_DOWNGRADE_YEARS,
    CLOCKS,
    CONTRACT_TERM_DEFAULT_YEARS,
    CONTRACT_TERM_EXTENDED_YEARS,
    GRADE_VALIDITY_YEARS,
    MAJOR_VIOLATION_LOOKBACK_YEARS,
    METHOD_RULES,
    MIN_PAYABLE_SCORE,
    NEGATIVE_LIST,
    PASS_SCORE,
    PREFERRED_MIN_GRADE,
    SERVICE_LIST,
    SUPPLEMENT_CAP_PERCENT,
    THRESHOLDS,
    Ground,
    Method,
    ServiceItem,
    Step,
    Thresholds,
    province_of,
)
from shared.events import ProviderRegistered, ProviderRegisteredData
from shared.types import registration_category
from shared.workdays import CalendarOutOfRange, WorkingDayCalendar, add_calendar_days

_ONE_DAY = timedelta(days=1)

# --------------------------------------------------------------------------- money


def round_fen(value: Decimal) -> int:
    """The one rounding of procurement: a Decimal amount of fen to whole fen, half up (四舍五入)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def two_places(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- dates


def add_years(day: date, years: int) -> date:
    """The same day `years` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _wd(calendar: WorkingDayCalendar, start: date, n: int) -> date:
    try:
        return calendar.add_working_days(start, n)
    except CalendarOutOfRange as exc:
        raise errors.DateOutsideCalendar(str(exc), exc.message_zh) from exc


def clock(calendar: WorkingDayCalendar, step: Step, start: date, *, amount: int | None = None) -> ClockRecord:
    """The §9.5 clock of `step` started on `start` (the start day not counted). `amount`
    overrides the table's for the method-dependent bid period."""
    spec = CLOCKS[step]
    n = spec.amount if amount is None else amount
    if spec.unit == "working_days":
        due = _wd(calendar, start, n)
        provisional = calendar.is_provisional(due)
    else:
        due, provisional = add_calendar_days(start, n), False
    return ClockRecord(step=step, start=start, due=due, kind=spec.kind, provisional=provisional)


# --------------------------------------------------------------------------- providers


def register_provider(cmd: RegisterProvider, *, now: datetime) -> tuple[Provider, ProviderRegistered]:
    """Register a provider; its category (社会团体, 民办非企业单位, 企业 …) comes from the
    code's first two characters (DOMAIN-RULES §8.2), unknown prefixes are kept as None."""
    category = registration_category(cmd.credit_code)
    provider = Provider(
        id=uuid4(),
        credit_code=cmd.credit_code,
        name=cmd.name,
        registration_category=None if category is None else category.prefix,
        registered_at=now,
        correlation_id=cmd.correlation_id,
        contact=cmd.contact,
    )
    event = ProviderRegistered.create(
        ProviderRegisteredData(provider_id=provider.id, credit_code=cmd.credit_code, name=cmd.name),
        subject=str(provider.id),
        correlation_id=cmd.correlation_id,
        now=now,
    )
    return provider, event


def grade_valid_on(grade: GradeRecord | None, day: date) -> bool:
    """A grade counts on `day` while valid (5 years from its award, S10) and not cancelled or
    replaced."""
    return grade is not None and grade.status is GradeStatus.VALID and grade.awarded_on <= day <= grade.valid_until


def reapplication_barred_until(provider: Provider) -> date | None:
    """The last day a re-application is barred after a downgrade (2 years) or a cancellation
    (3 years) (S10), or None."""
    bars = [
        add_years(
            g.changed_on,
            BAR_AFTER_DOWNGRADE_YEARS if g.status is GradeStatus.DOWNGRADED else BAR_AFTER_CANCELLATION_YEARS,
        )
        for g in [*provider.grade_history, *([provider.grade] if provider.grade else [])]
        if g.changed_on is not None and g.status is not GradeStatus.VALID
    ]
    return max(bars, default=None)


def set_grade(provider: Provider, grade: Grade, awarded_on: date, *, today: date) -> Provider:
    """Record a new 评估等级. Refused while a downgrade or cancellation bars re-application, and
    for an award in the future. A lower grade than the valid one marks the old one downgraded
    (which starts the 2-year bar for the next application)."""
    if awarded_on > today:
        raise errors.InvalidGrade(
            f"a grade cannot be awarded in the future ({awarded_on})", f"评估等级授予日期 {awarded_on} 晚于今天"
        )
    barred = reapplication_barred_until(provider)
    if barred is not None and awarded_on <= barred:
        raise errors.GradeReapplicationBarred(barred)
    history = list(provider.grade_history)
    old = provider.grade
    if old is not None:
        downgraded = grade.rank < old.grade.rank and grade_valid_on(old, awarded_on)
        history.append(
            replace(
                old,
                status=GradeStatus.DOWNGRADED if downgraded else old.status,
                changed_on=awarded_on if downgraded else old.changed_on,
            )
        )
    new = GradeRecord(
        grade=grade, awarded_on=awarded_on, valid_until=add_years(awarded_on, GRADE_VALIDITY_YEARS) - _ONE_DAY
    )
    return replace(provider, grade=new, grade_history=history)


def cancel_grade(provider: Provider, on: date) -> Provider:
    """撤销等级: the grade stops counting and re-application is barred for 3 years."""
    if provider.grade is None or provider.grade.status is not GradeStatus.VALID:
        raise errors.InvalidGrade("the provider has no valid grade to cancel", "该承接主体没有可撤销的有效评估等级")
    return replace(provider, grade=replace(provider.grade, status=GradeStatus.CANCELLED, changed_on=on))


def may_reapply_for_grade(provider: Provider, day: date) -> bool:
    """S10: no bar running, and either no valid grade or one in its last 2 years."""
    barred = reapplication_barred_until(provider)
    if barred is not None and day <= barred:
        return False
    grade = provider.grade
    if not grade_valid_on(grade, day):
        return True
    assert grade is not None
    return day > add_years(grade.valid_until, -2)


def blacklisted_on(provider: Provider, day: date) -> str | None:
    """The reason when the provider is on the blacklist on `day`."""
    return next((b.reason for b in provider.blacklist if b.start <= day <= b.until), None)


def unmet_conditions(provider: Provider, day: date) -> list[str]:
    """The supplier conditions (S11 Art. 22) not met on `day`: each of 1–5 needs evidence
    recorded on or before `day`, and no major violation (S12 Art. 19) in the 3 years before."""
    evidenced = {c.condition for c in provider.conditions if c.checked_on <= day}
    missing = [c.value for c in REQUIRED_CONDITIONS if c not in evidenced]
    cutoff = add_years(day, -MAJOR_VIOLATION_LOOKBACK_YEARS)
    recent = [v for v in provider.violations if cutoff <= v.occurred_on <= day]
    if recent:
        missing.append(f"major_violation_on_{recent[-1].occurred_on.isoformat()}")
    return missing


def check_may_bid(provider: Provider, project: Project, day: date) -> None:
    """May `provider` take part in `project` on `day`? Blacklist first, then the conditions,
    then the project's own stated grade requirement (a grade is never required unless the
    project says so: §9.4's non-discrimination rule), then invitations."""
    reason = blacklisted_on(provider, day)
    if reason is not None:
        raise errors.ProviderBlacklisted(provider.id, reason)
    missing = unmet_conditions(provider, day)
    if missing:
        raise errors.SupplierConditionsUnmet(provider.id, missing)
    required = project.required_min_grade
    if required is not None:
        grade = provider.grade
        if grade is not None and not grade_valid_on(grade, day):
            raise errors.GradeRequirementUnmet(
                provider.id,
                required,
                f"grade {grade.grade} expired on {grade.valid_until}"
                if grade.valid_until < day
                else f"grade {grade.grade} is {grade.status}",
            )
        if grade is None or grade.grade.rank < required.rank:
            raise errors.GradeRequirementUnmet(
                provider.id, required, "no grade" if grade is None else f"grade {grade.grade}"
            )
    if project.invited and provider.id not in project.invited:
        raise errors.NotInvited(provider.id)


# --------------------------------------------------------------------------- service list


def check_purchasable(item_code: str, *, includes_works: bool = False) -> ServiceItem:
    """The service-list entry of `item_code`; refused with the reason when the item is on the
    negative list (102号令 Art. 10), bundles works, or is outside the list (Art. 14)."""
    prohibited = NEGATIVE_LIST.get(item_code)
    if prohibited is not None:
        raise errors.OnNegativeList(prohibited.code, prohibited.article, prohibited.reason_en, prohibited.reason_zh)
    if includes_works:
        works = NEGATIVE_LIST["works_bundle"]
        raise errors.OnNegativeList(works.code, works.article, works.reason_en, works.reason_zh)
    item = SERVICE_LIST.get(item_code)
    if item is None:
        raise errors.NotInServiceList(item_code)
    return item


# --------------------------------------------------------------------------- methods (§9.3)


def thresholds_for(region_code: str, year: int) -> Thresholds:
    found = THRESHOLDS.get((province_of(region_code), year))
    if found is None:
        raise errors.ThresholdsUnknown(province_of(region_code), year)
    return found


def check_method(
    method: Method,
    grounds: Sequence[Ground],
    *,
    budget_fen: int,
    thresholds: Thresholds,
    finance_approval: str | None = None,
    invited: int = 0,
    original_contract_fen: int | None = None,
) -> None:
    """May `method` be used for this purchase (§9.3)? Each method needs one of its grounds; at
    or above the 公开招标 threshold only 公开招标 (or another method with the finance
    department's approval, S11 Art. 27) is allowed; invitation methods need their minimum of
    invited suppliers; a consistency add-on by 单一来源 is ≤10% of the original contract."""
    rule = METHOD_RULES[method]
    if not rule.for_services:
        raise errors.MethodNotAllowed(
            method, "not suited to services (standard goods only)", "该方式仅适用于货物，不适用于服务"
        )
    if rule.grounds and not set(grounds) & rule.grounds:
        allowed = ", ".join(sorted(g.value for g in rule.grounds))
        raise errors.MethodNotAllowed(method, f"needs one of the grounds: {allowed}", f"须具备下列情形之一: {allowed}")
    above = budget_fen >= thresholds.public_tender_fen and method is not Method.PUBLIC_TENDER
    if above and (
        rule.above_threshold == "never" or (rule.above_threshold == "finance_approval" and not finance_approval)
    ):
        raise errors.MethodNotAllowed(
            method,
            f"the budget reaches the 公开招标 threshold ({thresholds.public_tender_fen} fen, {thresholds.basis}): "
            "公开招标 is mandatory unless the finance department approved another method",
            "预算达到公开招标数额标准，应当公开招标（经财政部门批准的除外）",
        )
    if rule.min_invited and method is not Method.SINGLE_SOURCE and 0 < invited < rule.min_invited:
        raise errors.MethodNotAllowed(
            method,
            f"at least {rule.min_invited} suppliers must be invited, got {invited}",
            f"应邀请不少于{rule.min_invited}家供应商",
        )
    if (
        method is Method.SINGLE_SOURCE
        and Ground.CONSISTENCY_ADDON in grounds
        and set(grounds) == {Ground.CONSISTENCY_ADDON}
    ):
        if original_contract_fen is None:
            raise errors.MethodNotAllowed(
                method, "a consistency add-on names the original contract's value", "添购须注明原合同金额"
            )
        if budget_fen * 100 > original_contract_fen * SUPPLEMENT_CAP_PERCENT:
            raise errors.MethodNotAllowed(
                method,
                f"a consistency add-on is at most {SUPPLEMENT_CAP_PERCENT}% of the original contract",
                f"添购资金总额不得超过原合同采购金额的{SUPPLEMENT_CAP_PERCENT}%",
            )


def check_not_split(
    *,
    service_item: str,
    budget_item: str,
    fiscal_year: int,
    method: Method,
    budget_fen: int,
    prior: Sequence[PriorPurchase],
    thresholds: Thresholds,
    budget_adjusted: bool = False,
) -> None:
    """化整为零 (S12 Art. 28): within one fiscal year, non-tender purchases of the same budget
    item and category whose total (this one included) reaches the tender threshold, unless the
    budget was adjusted (or the purchase approved)."""
    if method is Method.PUBLIC_TENDER or budget_adjusted:
        return
    same = [
        p
        for p in prior
        if p.fiscal_year == fiscal_year
        and p.budget_item == budget_item
        and p.service_item == service_item
        and p.method is not Method.PUBLIC_TENDER
    ]
    total = budget_fen + sum(p.budget_fen for p in same)
    if same and total >= thresholds.public_tender_fen:
        raise errors.SplittingDetected(total, thresholds.public_tender_fen, [p.project_id for p in same])


def choose_invitees(
    project: Project, candidates: Sequence[Provider], count: int, *, day: date, seed: int
) -> list[UUID]:
    """邀请招标 / 竞争性谈判 / 磋商 invitations chosen at random (S11 Art. 34) among the
    registered providers that may take part on `day` (not blacklisted, conditions met, the
    project's stated grade). `seed` is recorded on the project so the draw can be replayed."""
    eligible = []
    for provider in sorted(candidates, key=lambda p: str(p.id)):
        try:
            check_may_bid(provider, replace(project, invited=[]), day)
        except errors.RuleRefused:
            continue
        eligible.append(provider.id)
    if len(eligible) < count:
        raise errors.MethodNotAllowed(
            project.method,
            f"only {len(eligible)} qualified providers to invite, {count} needed",
            f"符合条件的供应商仅{len(eligible)}家，少于应邀请的{count}家",
        )
    return random.Random(seed).sample(eligible, count)


def min_days_to_deadline(method: Method) -> int:
    return METHOD_RULES[method].min_days_to_deadline


def plan_project(
    project: Project,
    *,
    calendar: WorkingDayCalendar,
    today: date,
    deadline_day: date,
    thresholds: Thresholds,
) -> Project:
    """Start the clocks of a new project (§9.5). The bid deadline must leave the method's least
    period after the announcement (公开/邀请招标 ≥20 days); a 单一来源 purchase at or above the
    threshold is publicized ≥5 WD first and its bid (the negotiated offer) cannot be due before."""
    clocks: list[ClockRecord] = []
    if project.method is Method.SINGLE_SOURCE and project.budget_fen >= thresholds.public_tender_fen:
        publicity = clock(calendar, Step.SINGLE_SOURCE_PUBLICITY, today)
        clocks.append(publicity)
        project.publicity_until = publicity.due
        earliest = publicity.due + _ONE_DAY  # the 公示 runs through its 5th working day
    else:
        days = min_days_to_deadline(project.method)
        if METHOD_RULES[project.method].deadline_in_working_days:
            earliest = _wd(calendar, today, days)
            period = ClockRecord(
                Step.BID_DEADLINE, today, earliest, "minimum", provisional=calendar.is_provisional(earliest)
            )
        else:
            period = clock(calendar, Step.BID_DEADLINE, today, amount=days)
            earliest = period.due
        clocks.append(period)
    if deadline_day < earliest:
        raise errors.DeadlineTooSoon(project.method, deadline_day, earliest)
    clocks[0].done_on = deadline_day
    project.clocks = clocks
    return project


# --------------------------------------------------------------------------- bids and opening


def check_bid_in_time(project: Project, at: datetime) -> None:
    if project.state is ProjectState.PUBLICITY and project.publicity_until is not None:
        raise errors.PublicityRunning(project.publicity_until)
    if project.state is not ProjectState.OPEN or at >= project.bid_deadline:
        raise errors.BidTooLate(project.id, project.bid_deadline)


def check_bids_readable(project: Project, at: datetime) -> None:
    """Sealed bids: nobody reads a bid before the opening (the deadline) and the opening."""
    if at < project.bid_deadline or project.state in (ProjectState.OPEN, ProjectState.PUBLICITY):
        raise errors.BidsSealed(project.id, project.bid_deadline)


def open_bids(
    project: Project, bids: Sequence[Bid], *, at: datetime, today: date, calendar: WorkingDayCalendar
) -> Project:
    """开标 at or after the deadline. Fewer bids than the method needs (公开招标 3; 竞争性磋商
    for 政府购买服务 2; 单一来源 1) fails the project (废标/终止), whose lawful fall-back is a new
    project (`fallback_method`). Otherwise the evaluation-report clock (2 WD) starts."""
    if project.state is ProjectState.PUBLICITY:
        raise errors.PublicityRunning(project.publicity_until or today)
    if project.state is not ProjectState.OPEN:
        raise errors.WrongState(project.id, project.state, "open")
    if at < project.bid_deadline:
        raise errors.BidsSealed(project.id, project.bid_deadline)
    needed = METHOD_RULES[project.method].min_bids
    distinct = len({b.provider_id for b in bids})
    if distinct < needed:
        project.state = ProjectState.FAILED
        project.failed_reason = f"{distinct} bid(s), {project.method.value} needs {needed}"
        return project
    project.state = ProjectState.OPENED
    project.clocks.append(clock(calendar, Step.EVALUATION_REPORT, today))
    return project


FALLBACKS: dict[Method, frozenset[Method]] = {
    # 废标 of a tender: tender again, or 竞争性谈判 / 竞争性磋商 on the ground of the failed
    # tender (S11 Art. 30(1), S14); 单一来源 only on its own grounds (checked by check_method)
    Method.PUBLIC_TENDER: frozenset(
        {Method.PUBLIC_TENDER, Method.COMPETITIVE_NEGOTIATION, Method.COMPETITIVE_CONSULTATION, Method.SINGLE_SOURCE}
    ),
    Method.INVITED_TENDER: frozenset(
        {Method.INVITED_TENDER, Method.PUBLIC_TENDER, Method.COMPETITIVE_NEGOTIATION, Method.COMPETITIVE_CONSULTATION}
    ),
    # a 磋商 (or 谈判) with one qualified supplier ends and restarts (S14): the same method, or a tender
    Method.COMPETITIVE_CONSULTATION: frozenset({Method.COMPETITIVE_CONSULTATION, Method.PUBLIC_TENDER}),
    Method.COMPETITIVE_NEGOTIATION: frozenset({Method.COMPETITIVE_NEGOTIATION, Method.PUBLIC_TENDER}),
    Method.SINGLE_SOURCE: frozenset({Method.SINGLE_SOURCE, Method.PUBLIC_TENDER}),
    Method.FRAMEWORK_AGREEMENT: frozenset({Method.FRAMEWORK_AGREEMENT, Method.PUBLIC_TENDER}),
}
"""The lawful fall-backs after a failed project (interpretation of S11 Art. 30 and S14)."""


def check_fallback(failed: Project, method: Method, grounds: Sequence[Ground]) -> None:
    """A new purchase standing in for a failed one: the failed project must have failed, the
    method must be one of its fall-backs, and 谈判/磋商 after a failed tender name that ground."""
    if failed.state is not ProjectState.FAILED:
        raise errors.WrongState(failed.id, failed.state, "failed")
    if method not in FALLBACKS[failed.method]:
        raise errors.MethodNotAllowed(
            method, f"not a lawful fall-back after a failed {failed.method}", f"不是{failed.method}失败后的法定替代方式"
        )
    tender = failed.method in (Method.PUBLIC_TENDER, Method.INVITED_TENDER)
    negotiated = method in (Method.COMPETITIVE_NEGOTIATION, Method.COMPETITIVE_CONSULTATION)
    if tender and negotiated and Ground.FAILED_TENDER not in grounds:
        raise errors.MethodNotAllowed(
            method, "after a failed tender name the ground failed_tender", "应注明招标失败情形"
        )


# --------------------------------------------------------------------------- evaluation panel


def check_criteria(criteria: Sequence[Criterion]) -> None:
    if sum(c.weight for c in criteria) != 100 or any(c.weight <= 0 for c in criteria):
        raise errors.InvalidCriteria(
            "criterion weights are positive and add up to 100", "评审因素权重须为正数且合计100"
        )
    if sum(1 for c in criteria if c.price) != 1:
        raise errors.InvalidCriteria("exactly one criterion is the price", "评审因素中须有且仅有一项价格因素")


def score_bids(
    project: Project,
    bids: Sequence[Bid],
    providers: dict[UUID, Provider],
    panel_scores: dict[str, dict[UUID, dict[str, int]]],
    *,
    day: date,
) -> list[BidScore]:
    """综合评分法: the price criterion by formula (lowest price / bid price × weight, 214号
    Art. 24 [MEM]); every other criterion the mean of the panel's scores (0–100) × weight / 100;
    a provider with a valid grade ≥3A earns the project's `grade_preference_points` (a
    preference, never an exclusion). Ranked by total, then price, then submission time.

    `panel_scores`: member → bid id → criterion name → score. Every member scores every bid on
    every non-price criterion; a panel has at least 3 members, an odd number (S11 Art. 38)."""
    if len(panel_scores) < 3 or len(panel_scores) % 2 == 0:
        raise errors.InvalidPanel("the panel has an odd number of members, at least 3", "评审小组成员须为3人以上单数")
    others = [c for c in project.criteria if not c.price]
    (price,) = [c for c in project.criteria if c.price]
    lowest = min(b.price_fen for b in bids)
    rows: list[tuple[Decimal, Bid, Decimal, Decimal, Decimal]] = []
    for bid in bids:
        panel = Decimal(0)
        for criterion in others:
            marks = []
            for member, by_bid in panel_scores.items():
                mark = by_bid.get(bid.id, {}).get(criterion.name)
                if mark is None or not 0 <= mark <= 100:
                    raise errors.InvalidPanel(
                        f"{member} gave no score 0–100 for {criterion.name} of bid {bid.id}",
                        f"评审专家 {member} 未对投标 {bid.id} 的 {criterion.name} 给出0–100分",
                    )
                marks.append(Decimal(mark))
            panel += sum(marks, Decimal(0)) / len(marks) * criterion.weight / 100
        price_score = Decimal(lowest) / Decimal(bid.price_fen) * price.weight
        provider = providers[bid.provider_id]
        preferred = (
            grade_valid_on(provider.grade, day)
            and provider.grade is not None
            and provider.grade.grade.rank >= Grade(PREFERRED_MIN_GRADE).rank
        )
        preference = Decimal(project.grade_preference_points if preferred else 0)
        rows.append((price_score + panel + preference, bid, price_score, panel, preference))
    rows.sort(key=lambda r: (-r[0], r[1].price_fen, r[1].submitted_at))
    return [
        BidScore(
            bid.id,
            bid.provider_id,
            bid.price_fen,
            two_places(p),
            two_places(pa),
            two_places(pr),
            two_places(total),
            rank,
        )
        for rank, (total, bid, p, pa, pr) in enumerate(rows, start=1)
    ]


def submit_evaluation(
    project: Project, scores: list[BidScore], panel: list[str], *, today: date, calendar: WorkingDayCalendar
) -> Project:
    """评审报告 handed to the purchaser: the report clock stops (on time within 2 WD of the
    opening), the award clock (5 WD) starts."""
    if project.state is not ProjectState.OPENED:
        raise errors.WrongState(project.id, project.state, "opened")
    project.scores, project.panel = scores, panel
    _done(project, Step.EVALUATION_REPORT, today)
    project.clocks.append(clock(calendar, Step.AWARD_DECISION, today))
    project.state = ProjectState.EVALUATED
    return project


def award(project: Project, bid_id: UUID | None, *, today: date, calendar: WorkingDayCalendar) -> Project:
    """确定中标/成交供应商 from the report: the first-ranked bid unless the purchaser names
    another ranked one (its reason is the caller's to record). The award decision clock (5 WD)
    stops; the award announcement is made at once (2 WD limit met the same day) and the
    contract clock (≤30 days) starts."""
    if project.state is not ProjectState.EVALUATED:
        raise errors.WrongState(project.id, project.state, "evaluated")
    ranked = {s.bid_id for s in project.scores}
    chosen = bid_id or project.scores[0].bid_id
    if chosen not in ranked:
        raise errors.BidNotRanked(chosen)
    project.winner_bid_id = chosen
    _done(project, Step.AWARD_DECISION, today)
    announcement = clock(calendar, Step.AWARD_ANNOUNCEMENT, today)
    announcement.done_on = today
    project.clocks.append(announcement)
    project.clocks.append(clock(calendar, Step.CONTRACT_SIGNATURE, today))
    project.state = ProjectState.AWARDED
    return project


def clock_status(record: ClockRecord, today: date) -> str:
    """`on_time` / `late` once the step is done; before: `overdue` past a limit's due day,
    else `running`."""
    if record.done_on is not None:
        return "on_time" if record.on_time else "late"
    if record.kind == "limit" and today > record.due:
        return "overdue"
    return "running"


def _done(project: Project, step: Step, day: date) -> None:
    record = project.clock(step)
    if record is not None:
        record.done_on = day


# --------------------------------------------------------------------------- contracts


def check_term(term_start: date, term_end: date, *, budget_assured: bool, stable_service: bool) -> str | None:
    """102号令 Art. 24: normally ≤1 year; ≤3 years when the budget is assured and the service is
    stable, continuous, fixed in content and of low price variation. Returns the recorded ground
    of an extended term (None for ≤1 year). A term is [start, end] inclusive."""
    if term_end < term_start:
        raise errors.InvalidTerm("the term ends before it starts", "合同期限结束日早于开始日")
    if term_end < add_years(term_start, CONTRACT_TERM_DEFAULT_YEARS):
        return None
    if term_end >= add_years(term_start, CONTRACT_TERM_EXTENDED_YEARS):
        raise errors.InvalidTerm(
            f"a contract runs at most {CONTRACT_TERM_EXTENDED_YEARS} years (102号令 Art. 24)",
            f"政府购买服务合同履行期限最长不超过{CONTRACT_TERM_EXTENDED_YEARS}年",
        )
    if not (budget_assured and stable_service):
        raise errors.InvalidTerm(
            "over 1 year needs the budget assured and a stable, continuous service (102号令 Art. 24)",
            "合同期限超过1年须预算有保障且属于持续性、内容相对固定的服务",
        )
    return "budget_assured+stable_service"


def check_milestones(milestones: Sequence[Milestone]) -> None:
    if (
        not milestones
        or sum(m.share_percent for m in milestones) != 100
        or any(m.share_percent <= 0 for m in milestones)
    ):
        raise errors.InvalidMilestones()


def sign_contract(
    project: Project,
    winner: Bid,
    provider: Provider,
    *,
    item: ServiceItem,
    term_start: date,
    term_end: date,
    budget_assured: bool,
    stable_service: bool,
    milestones: list[Milestone],
    today: date,
    calendar: WorkingDayCalendar,
    correlation_id: str,
) -> Contract:
    """签订合同 with the winner at its bid price: the term (Art. 24) and milestones checked, the
    signature clock stopped (≤30 days after the award notice: recorded late, not refused, as a
    late contract is still a contract), the announcement (2 WD) and filing (7 WD) clocks started."""
    if project.state is not ProjectState.AWARDED:
        raise errors.WrongState(project.id, project.state, "awarded")
    grounds = check_term(term_start, term_end, budget_assured=budget_assured, stable_service=stable_service)
    check_milestones(milestones)
    contract = Contract(
        id=uuid4(),
        project_id=project.id,
        provider_id=provider.id,
        provider_credit_code=provider.credit_code,
        region_code=project.region_code,
        service_item=item.code,
        service=item.category,
        value_fen=winner.price_fen,
        term_start=term_start,
        term_end=term_end,
        signed_on=today,
        milestones=milestones,
        extended_term_grounds=grounds,
        correlation_id=correlation_id,
    )
    _done(project, Step.CONTRACT_SIGNATURE, today)
    project.clocks.append(clock(calendar, Step.CONTRACT_ANNOUNCEMENT, today))
    project.clocks.append(clock(calendar, Step.CONTRACT_FILING, today))
    project.contract_id = contract.id
    project.state = ProjectState.CONTRACTED
    return contract


def add_supplement(contract: Contract, amount_fen: int, signed_on: date, reason: str) -> Contract:
    """补充合同: cumulative ≤10% of the original amount (S11 Art. 49)."""
    total = amount_fen + sum(s.amount_fen for s in contract.supplements)
    if amount_fen <= 0 or total * 100 > contract.value_fen * SUPPLEMENT_CAP_PERCENT:
        raise errors.SupplementTooLarge(total, contract.value_fen)
    contract.supplements.append(Supplement(amount_fen, signed_on, reason))
    return contract


def contract_running_on(contract: Contract, day: date) -> bool:
    return contract.term_start <= day <= contract.term_end


# --------------------------------------------------------------------------- evaluation and payment

DEFAULT_INDICATORS = (
    Indicator("visits_delivered", 40, measured="visits"),
    Indicator("recipient_satisfaction", 30, measured="satisfaction"),
    Indicator("records_and_management", 20),
    Indicator("staff_and_training", 10),
)


def evaluate(
    contract: Contract,
    period: str,
    visits: Sequence[Visit],
    *,
    indicators: Sequence[Indicator],
    evaluator_scores: dict[str, int],
    planned_visits: int,
    recipient_opinions: int,
    evaluator: str,
    evaluator_type: str,
    today: date,
) -> tuple[int, dict[str, str], int, Decimal | None]:
    """绩效评价 of one milestone period: measured indicators from the visit records (visits
    delivered against planned, capped at 100; mean satisfaction 1–5 → 0–100), the others from
    the evaluator; acceptance of a public service needs recipients' opinions (S12 Art. 45).
    Returns (score 0–100, the indicator scores, amount due in fen, mean satisfaction)."""
    if sum(i.weight for i in indicators) != 100:
        raise errors.InvalidCriteria("indicator weights add up to 100", "绩效指标权重合计须为100")
    milestone = next((m for m in contract.milestones if m.period == period), None)
    if milestone is None:
        raise errors.NoSuchMilestone(contract.id, period)
    if recipient_opinions < 1:
        raise errors.RecipientOpinionsMissing()
    if planned_visits < 1:
        raise errors.InvalidCriteria("planned visits are at least 1", "计划服务人次至少为1")
    surveyed = [v.satisfaction for v in visits if v.satisfaction is not None]
    mean = (Decimal(sum(surveyed)) / len(surveyed)) if surveyed else None
    scores: dict[str, Decimal] = {}
    for ind in indicators:
        if ind.measured == "visits":
            scores[ind.name] = min(Decimal(100), Decimal(len(visits)) * 100 / planned_visits)
        elif ind.measured == "satisfaction":
            scores[ind.name] = Decimal(0) if mean is None else mean * 20
        else:
            given = evaluator_scores.get(ind.name)
            if given is None or not 0 <= given <= 100:
                raise errors.InvalidCriteria(
                    f"indicator {ind.name} needs a score 0–100", f"绩效指标 {ind.name} 须评分（0–100）"
                )
            scores[ind.name] = Decimal(given)
    total = sum((scores[i.name] * i.weight / 100 for i in indicators), Decimal(0))
    score = round_fen(total)
    return score, {k: two_places(v) for k, v in scores.items()}, amount_due(contract, milestone, score), mean


def amount_due(contract: Contract, milestone: Milestone, score: int) -> int:
    """The payment linkage rule (policy `PASS_SCORE`): the instalment (value × share) in full at
    a passing score, × score/100 between the payable minimum and the pass, nothing below."""
    instalment = Decimal(contract.value_fen) * milestone.share_percent / 100
    if score >= PASS_SCORE:
        return round_fen(instalment)
    if score >= MIN_PAYABLE_SCORE:
        return round_fen(instalment * score / 100)
    return 0
