"""The chaos harness's invariant checker (pure): a clean drain passes; a lost, a duplicated or an
unexplained effect, an unpublished outbox row, a dead letter or a broken audit chain fails."""

from __future__ import annotations

from collections import Counter

from tests.chaos.invariants import Accepted, Observed, check


def clean() -> tuple[Accepted, Observed]:
    accepted = Accepted(created={"a1": "h1", "a2": "h2"}, accepted={"a1", "a2"}, approved={"a1"})
    observed = Observed(
        applications_per_household=Counter({"h1": 1, "h2": 1}),
        application_ids={"a1", "a2"},
        register_households=Counter({"h1": 1, "h2": 1}),
        checks_per_application=Counter({"a1": 1, "a2": 1}),
        reports_per_application=Counter({"a1": 1, "a2": 1}),
        case_of_application={"a1": "c1"},
        entitlements_per_case=Counter({"c1": 1}),
        instructions_per_case_month=Counter({("c1", "2026-12"): 1}),
        payroll_period="2026-12",
        unpublished_outbox={"eligibility": 0},
        published_not_on_kafka={"eligibility": 0},
        lost_events={"eligibility → monitoring.register": 0},
        audit={"eligibility": None},
    )
    return accepted, observed


def test_a_clean_drain_passes() -> None:
    report = check(*clean())
    assert (report.ok, report.lost, report.duplicated) == (True, 0, 0), report.violations


def test_a_lost_register_entry_is_counted() -> None:
    accepted, observed = clean()
    del observed.register_households["h2"]
    report = check(accepted, observed)
    assert (report.ok, report.lost, report.duplicated) == (False, 1, 0)
    assert "monitoring's register" in report.violations[0]


def test_a_retried_create_that_made_a_second_application_is_a_duplicate() -> None:
    accepted, observed = clean()
    observed.applications_per_household["h1"] = 2
    report = check(accepted, observed)
    assert (report.ok, report.duplicated) == (False, 1)


def test_an_entitlement_nobody_approved_and_a_second_instruction_are_duplicates() -> None:
    accepted, observed = clean()
    observed.case_of_application["a2"] = "c2"
    observed.entitlements_per_case["c2"] = 1
    assert observed.instructions_per_case_month is not None
    observed.instructions_per_case_month[("c1", "2026-12")] = 2
    report = check(accepted, observed)
    assert not report.ok
    assert report.duplicated == 3  # the case and entitlement of c2, the second line of c1


def test_plumbing_failures_are_violations() -> None:
    accepted, observed = clean()
    observed.unpublished_outbox["payment"] = 3
    observed.lost_events["eligibility → payment.ledger"] = 2
    observed.dlq_messages.append("e2e.eligibility.events.dlq [ledger] ValueError")
    observed.audit["payment"] = "entry 4 is missing"
    report = check(accepted, observed)
    assert report.lost == 2
    assert len(report.violations) == 4


def test_an_event_marked_published_but_on_no_topic_is_lost() -> None:
    accepted, observed = clean()
    observed.published_not_on_kafka["verification"] = 1
    report = check(accepted, observed)
    assert (report.ok, report.lost) == (False, 1)
    assert "on no Kafka topic" in report.violations[0]
