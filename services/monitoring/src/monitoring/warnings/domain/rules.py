"""Pure rules of early warning, integrity and spot checks (no I/O, no clock)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

from monitoring.warnings.domain.errors import DispositionIncomplete, SpotCheckEmpty, SpotCheckResultRefused
from monitoring.warnings.domain.model import (
    Alert,
    AlertStatus,
    MonitoredCase,
    RuleSet,
    Signal,
    SpotCheckDraw,
    SpotCheckFinding,
    SpotCheckOutcome,
    SpotCheckResult,
    WarningRule,
)
from shared.events.monitoring import AlertDisposition, RiskLevel
from shared.types import Period

DEATH_RULE = "integrity.recipient_died"
DUPLICATE_RULE = "integrity.person_in_two_households"
"""A person of a household with an active case is also a member of another household with an
active case (the same person assisted twice: two households, counties or programmes)."""
PUBLIC_PAYROLL_RULE = "integrity.recipient_on_public_payroll"
"""A member of an assisted household is on the public payroll (财政供养人员: 机关事业单位在编
在岗), per the finance/HR list: the household's income is to be verified."""
PAID_AFTER_DEATH_RULE = "integrity.paid_after_death"
"""Money was paid for a month after the month the payee died (stop from the next month): the
payment is to be checked and recovered (追缴)."""
STAFF_RELATIVE_RULE = "integrity.staff_relative_not_filed"
"""A member of an assisted household is a declared close relative of 经办人员 or of a 村(居)委会
member, and the case was not 单独登记备案 (§2.3, S1 Art. 11): file it and visit (county)."""
SPOT_CHECK_MIN_PERCENT = 30
"""§5.4/§3: the county checks at least 30% of its 特困 cases each year (抽查比例不低于30%)."""


def check_versions(sets: Sequence[RuleSet]) -> None:
    """Versions of the warning rules must be named once and dated in increasing order."""
    names = [s.version for s in sets]
    if len(names) != len(set(names)):
        raise ValueError("a warning-rules version is named twice")
    dates = [s.effective_from for s in sets]
    if dates != sorted(set(dates)) or len(dates) != len(set(dates)):
        raise ValueError("warning-rules versions must have increasing effective dates")


def in_force(sets: Sequence[RuleSet], day: date) -> RuleSet:
    """The version in force on `day`: the last to take effect on or before it (before the first,
    the first: alerts are never raised without rules)."""
    current = sets[0]
    for candidate in sets:
        if candidate.effective_from <= day:
            current = candidate
    return current


def score(rule: WarningRule, signals: Iterable[Signal], today: date) -> tuple[int, tuple[str, ...]]:
    """The household's score under `rule` and the reasons (kinds seen in the window)."""
    since = today - timedelta(days=rule.window_days)
    kinds = sorted({s.kind for s in signals if s.occurred_on >= since and s.kind in rule.weights})
    return sum(rule.weights[k] for k in kinds), tuple(kinds)


def alerts_to_raise(
    *,
    ruleset: RuleSet,
    household_id: UUID,
    categories: frozenset[str],
    signals: Sequence[Signal],
    open_rules: frozenset[str],
    case: MonitoredCase,
    today: date,
    new_id: Callable[[], UUID],
) -> list[Alert]:
    """The alerts the household's signals raise now: each rule that watches one of its
    categories, scores at or over its threshold and has no open alert for it already."""
    raised = []
    for rule in ruleset.rules:
        if rule.code in open_rules or not (rule.categories & categories):
            continue
        total, reasons = score(rule, signals, today)
        if total >= rule.threshold:
            raised.append(
                Alert(
                    alert_id=new_id(),
                    household_id=household_id,
                    rule=rule.code,
                    rules_version=ruleset.version,
                    level=rule.level,
                    score=total,
                    reasons=reasons,
                    region_code=case.region_code,
                    town_code=case.town_code,
                    raised_on=today,
                    due_on=today + timedelta(days=rule.due_days),
                    case_id=case.eligibility_case_id,
                )
            )
    return raised


INTEGRITY_FINDINGS: dict[str, tuple[RiskLevel, int, str]] = {
    DEATH_RULE: (RiskLevel.HIGH, 3, "death reported on {on}"),
    PUBLIC_PAYROLL_RULE: (RiskLevel.HIGH, 10, "a member on the public payroll since {on}"),
    STAFF_RELATIVE_RULE: (RiskLevel.MEDIUM, 10, "a member declared a close relative of staff on {on}; case not filed"),
    PAID_AFTER_DEATH_RULE: (RiskLevel.HIGH, 3, "paid for months after the payee's death on {on}"),
}
"""Per integrity rule: its level, the calendar days to dispose of it, and its reason (dates and
codes only, never the person)."""


def integrity_finding(
    rule: str,
    case: MonitoredCase,
    occurred_on: date,
    today: date,
    alert_id: UUID,
    *,
    version: str,
    detail: str = "",
) -> Alert:
    """An integrity finding (监督检查) of `rule` for the household of `case`, about a fact dated
    `occurred_on` (and a `detail` of codes or months, never the person): a task with its
    evidence, never a score."""
    level, due_days, reason = INTEGRITY_FINDINGS[rule]
    return Alert(
        alert_id=alert_id,
        household_id=case.household_id,
        rule=rule,
        rules_version=version,
        level=level,
        score=100,
        reasons=(reason.format(on=occurred_on.isoformat()) + (f": {detail}" if detail else ""),),
        region_code=case.region_code,
        town_code=case.town_code,
        raised_on=today,
        due_on=today + timedelta(days=due_days),
        case_id=case.eligibility_case_id,
    )


def paid_after_death(periods: Iterable[Period], died: date) -> list[Period]:
    """The months paid that the payee's death ended: those after the month of the death (a
    case is paid to the end of the month its payee died, and stops from the next)."""
    last = Period.from_date(died)
    return sorted(p for p in periods if p > last)


def death_finding(case: MonitoredCase, signal: Signal, today: date, alert_id: UUID, *, version: str) -> Alert:
    """A recipient reported dead (死亡): payments after the death are to stop and be checked,
    so it is a high alert whose disposition is the review eligibility makes (verify and
    terminate), due in 3 days."""
    return integrity_finding(DEATH_RULE, case, signal.occurred_on, today, alert_id, version=version)


def dispose(alert: Alert, disposition: AlertDisposition | None, evidence: str | None, by: str, today: date) -> Alert:
    """Close an alert (处置). Nothing closes without a disposition and its evidence (what was
    done, seen or decided, at least 10 characters); a closed alert stays closed."""
    if alert.status is AlertStatus.CLOSED:
        raise DispositionIncomplete("alert_closed", "the alert is closed already", "该预警已处置")
    if disposition is None:
        raise DispositionIncomplete(
            "disposition_required", "an alert closes with one of the dispositions", "预警须选择处置方式后方可关闭"
        )
    text = (evidence or "").strip()
    if len(text) < 10:
        raise DispositionIncomplete(
            "evidence_required",
            "the disposition needs its evidence (what was done, seen or decided; 10 characters or more)",
            "处置须填写佐证材料说明（不少于10个字符）",
        )
    return replace(
        alert,
        status=AlertStatus.CLOSED,
        disposition=disposition,
        evidence=text[:2000],
        disposed_by=by,
        disposed_on=today,
    )


def overdue(alert: Alert, today: date) -> bool:
    """An open alert past its due day escalates to the county (逾期上报)."""
    return alert.status is AlertStatus.OPEN and today > alert.due_on


def draw_spot_check(
    cases: Sequence[UUID],
    inspectors: Sequence[str],
    *,
    seed: int,
    share_percent: int,
    draw_id: UUID,
    region_code: str,
    category: str,
) -> SpotCheckDraw:
    """双随机: `share_percent` of `cases` (rounded up; at least the statutory 30%) drawn at random
    and each given a random inspector, from `seed`. The same seed and the same cases (in any
    order) give the same draw: anyone can redo it from the published seed."""
    if not cases:
        raise SpotCheckEmpty()
    if not inspectors:
        raise SpotCheckEmpty("inspectors_required", "name at least one inspector", "须至少指定一名检查人员")
    share = max(share_percent, SPOT_CHECK_MIN_PERCENT)
    population = sorted(set(cases))
    count = math.ceil(len(population) * share / 100)
    chooser = random.Random(seed)
    drawn = sorted(chooser.sample(population, count))
    people = sorted(set(inspectors))
    pairs = tuple((case, chooser.choice(people)) for case in drawn)
    return SpotCheckDraw(
        draw_id=draw_id,
        region_code=region_code,
        category=category,
        seed=seed,
        share_percent=share,
        population=len(population),
        case_ids=tuple(drawn),
        inspectors=pairs,
    )


def duplicate_finding(
    case: MonitoredCase, others: Iterable[tuple[str, str]], today: date, alert_id: UUID, *, version: str
) -> Alert:
    """重复享受: a member of `case`'s household is also in other assisted households, given as
    (county, category) pairs; a check for the county, due in 7 days. The reasons name counties
    and categories, never the person."""
    reasons = tuple(sorted({f"also assisted in {county} ({category})" for county, category in others}))
    return Alert(
        alert_id=alert_id,
        household_id=case.household_id,
        rule=DUPLICATE_RULE,
        rules_version=version,
        level=RiskLevel.HIGH,
        score=100,
        reasons=reasons,
        region_code=case.region_code,
        town_code=case.town_code,
        raised_on=today,
        due_on=today + timedelta(days=7),
        case_id=case.eligibility_case_id,
    )


def spot_check_result(
    draw: SpotCheckDraw,
    recorded: Collection[UUID],
    *,
    case_id: UUID,
    outcome: SpotCheckOutcome,
    finding: SpotCheckFinding | None,
    note: str | None,
    by: str,
    today: date,
) -> SpotCheckResult:
    """The result of checking one drawn case, once; a non-compliant one names its finding."""
    inspector = next((who for case, who in draw.inspectors if case == case_id), None)
    if inspector is None:
        raise SpotCheckResultRefused(
            "case_not_drawn", "that case was not drawn in this spot check", "该对象不在本次抽查名单中"
        )
    if case_id in recorded:
        raise SpotCheckResultRefused(
            "result_recorded", "that case's result is recorded already", "该对象的抽查结果已录入"
        )
    if outcome is SpotCheckOutcome.NON_COMPLIANT and finding is None:
        raise SpotCheckResultRefused(
            "finding_required", "a non-compliant result names what was found", "发现问题须选择问题类型"
        )
    if outcome is SpotCheckOutcome.COMPLIANT and finding is not None:
        raise SpotCheckResultRefused(
            "finding_unexpected", "a compliant result has no finding", "核查合规的结果不应有问题类型"
        )
    return SpotCheckResult(
        draw_id=draw.draw_id,
        case_id=case_id,
        inspector=inspector,
        outcome=outcome,
        finding=finding,
        note=(note or "").strip()[:500] or None,
        recorded_by=by,
        recorded_on=today,
    )


def publication(draw: SpotCheckDraw, results: Iterable[SpotCheckResult]) -> dict[str, object]:
    """双随机一公开 — what is published: the draw and the counts of its results, by finding; no
    case, household, person or inspector."""
    done = list(results)
    findings: dict[str, int] = {}
    for r in done:
        if r.finding is not None:
            findings[r.finding.value] = findings.get(r.finding.value, 0) + 1
    return {
        "region_code": draw.region_code,
        "category": draw.category,
        "seed": draw.seed,
        "share_percent": draw.share_percent,
        "population": draw.population,
        "drawn": len(draw.inspectors),
        "checked": len(done),
        "compliant": sum(r.outcome is SpotCheckOutcome.COMPLIANT for r in done),
        "non_compliant": sum(r.outcome is SpotCheckOutcome.NON_COMPLIANT for r in done),
        "findings": dict(sorted(findings.items())),
    }
