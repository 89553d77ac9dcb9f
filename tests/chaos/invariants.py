"""The chaos run's invariants, as a pure function of what the client recorded as accepted and
what the databases and Kafka hold afterwards (no I/O here, so it is unit-tested on its own).

"Exactly once downstream" is checked per effect, against the set of commands the client saw
accepted:

- every application the client saw created exists once in eligibility (a retried create never
  makes a second one), once in monitoring's register and, when accepted, once in verification's
  checks, with exactly one 核对报告 recorded back on it;
- every approval the client saw confirmed is one case in eligibility and one entitlement in
  payment; a payroll run owes each of them exactly one instruction per month;
- every event a consumer handles that a producer's outbox published is in that consumer's inbox
  (not lost), at most once (not duplicated); every outbox row is published, and every one
  marked published is on Kafka;
- the dead-letter topics are empty (or each message is listed with its error: a violation still);
- every service's audit chain verifies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Accepted:
    """What the client saw accepted (a 2xx, or a retried command found applied afterwards)."""

    created: dict[str, str] = field(default_factory=dict)
    """application id → household id"""
    accepted: set[str] = field(default_factory=set)
    approved: set[str] = field(default_factory=set)


@dataclass
class Observed:
    """What the databases and Kafka hold after the drain."""

    applications_per_household: Counter[str] = field(default_factory=Counter)
    """eligibility: household id → applications (only households the harness made exist)"""
    application_ids: set[str] = field(default_factory=set)
    register_households: Counter[str] = field(default_factory=Counter)
    checks_per_application: Counter[str] = field(default_factory=Counter)
    reports_per_application: Counter[str] = field(default_factory=Counter)
    """eligibility: application id → `receive-verification-report` steps"""
    case_of_application: dict[str, str] = field(default_factory=dict)
    entitlements_per_case: Counter[str] = field(default_factory=Counter)
    instructions_per_case_month: Counter[tuple[str, str]] | None = None
    """payment: (case id, period) → instructions; None when no payroll run was made"""
    payroll_period: str | None = None
    unpublished_outbox: dict[str, int] = field(default_factory=dict)
    """service → outbox rows not yet published"""
    published_not_on_kafka: dict[str, int] = field(default_factory=dict)
    """service → outbox rows marked published whose event id is on no topic"""
    lost_events: dict[str, int] = field(default_factory=dict)
    """"producer → consumer (event type)" → events in the producer's outbox missing from the inbox"""
    inbox_duplicates: dict[str, int] = field(default_factory=dict)
    dlq_messages: list[str] = field(default_factory=list)
    audit: dict[str, str | None] = field(default_factory=dict)
    """service → None when the chain verifies, else why not"""


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations


def _compare(report: Report, what: str, expected: set[str], seen: Counter[str]) -> None:
    """Each of `expected` seen exactly once; anything else seen is unexplained."""
    missing = sorted(expected - set(seen))
    doubled = sorted(k for k in expected if seen.get(k, 0) > 1)
    extra = sorted(set(seen) - expected)
    if missing:
        report.lost += len(missing)
        report.violations.append(f"{what}: {len(missing)} lost, e.g. {missing[:3]}")
    if doubled:
        report.duplicated += sum(seen[k] - 1 for k in doubled)
        report.violations.append(f"{what}: {len(doubled)} more than once, e.g. {doubled[:3]}")
    if extra:
        report.duplicated += sum(seen[k] for k in extra)
        report.violations.append(f"{what}: {len(extra)} without an accepted command, e.g. {extra[:3]}")


def check(accepted: Accepted, observed: Observed) -> Report:
    report = Report()
    households = set(accepted.created.values())
    _compare(report, "applications per household in eligibility", households, observed.applications_per_household)
    unknown = sorted(set(accepted.created) - observed.application_ids)
    if unknown:
        report.lost += len(unknown)
        report.violations.append(f"accepted applications missing in eligibility: {unknown[:3]}")
    _compare(report, "households in monitoring's register", households, observed.register_households)
    _compare(report, "verification checks per accepted application", accepted.accepted, observed.checks_per_application)
    _compare(report, "核对报告 recorded per accepted application", accepted.accepted, observed.reports_per_application)
    cases = Counter(observed.case_of_application.values())
    approved_without_case = sorted(accepted.approved - set(observed.case_of_application))
    if approved_without_case:
        report.lost += len(approved_without_case)
        report.violations.append(f"approvals without a case in eligibility: {approved_without_case[:3]}")
    expected_cases = {observed.case_of_application[a] for a in accepted.approved if a in observed.case_of_application}
    _compare(report, "cases decided without an approval the client saw", expected_cases, cases)
    _compare(report, "entitlements per approved case in payment", expected_cases, observed.entitlements_per_case)
    if observed.instructions_per_case_month is not None:
        per_case = Counter(case for case, _ in observed.instructions_per_case_month.elements())
        _compare(report, f"payment instructions per case for {observed.payroll_period}", expected_cases, per_case)
    for service, count in sorted(observed.unpublished_outbox.items()):
        if count:
            report.violations.append(f"{service}: {count} outbox rows never published")
    for service, count in sorted(observed.published_not_on_kafka.items()):
        if count:
            report.lost += count
            report.violations.append(f"{service}: {count} outbox rows marked published but on no Kafka topic")
    for flow, count in sorted(observed.lost_events.items()):
        if count:
            report.lost += count
            report.violations.append(f"{flow}: {count} events published but never consumed")
    for consumer, count in sorted(observed.inbox_duplicates.items()):
        if count:
            report.duplicated += count
            report.violations.append(f"{consumer}: {count} events in the inbox more than once")
    if observed.dlq_messages:
        report.violations.append(f"{len(observed.dlq_messages)} dead-lettered: " + "; ".join(observed.dlq_messages[:5]))
    for service, problem in sorted(observed.audit.items()):
        if problem is not None:
            report.violations.append(f"{service}: audit chain does not verify: {problem}")
    return report
