"""Early warning, integrity findings and spot checks (issue 13), through the service's real
consumer and API, on SQLite and PostgreSQL (`tier_h`): a death notice for an active recipient
raises an integrity alert and a review request to eligibility; hospitalisation and unemployment
in a 边缘 household raise an alert whose task cannot close without a disposition; a spot-check
draw is reproducible from its seed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.testing import ServiceHarness
from monitoring.testing import COUNTY, TOWN, approved, notice, person
from monitoring.warnings.adapters import rule_files
from monitoring.warnings.adapters.rule_files import rules_in_force
from monitoring.warnings.domain import rules
from shared.events import (
    ApplicationAccepted,
    ApplicationAcceptedData,
    AssistanceType,
    CaseTerminated,
    Event,
    parse_event,
)
from shared.events.eligibility import (
    CaseCategory,
    CaseTerminatedData,
    TerminationReason,
)
from shared.events.verification import Department, DepartmentNoticeKind
from shared.topics import ELIGIBILITY_EVENTS, VERIFICATION_EVENTS
from shared.types import Period

ALERTS = "/v1/monitoring/alerts"
TOWN_WORKER = {"kind": "staff", "roles": ("town_caseworker",), "region": TOWN}


async def consume(h: ServiceHarness, event: Event) -> str:
    topic = ELIGIBILITY_EVENTS if event.type.startswith("eligibility.") else VERIFICATION_EVENTS
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    consumer = next(c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("warnings"))
    return await consumer.process(h.bus.messages(topic)[-1])


async def staged(h: ServiceHarness, event_type: str) -> list[Event]:
    return [parse_event(bytes(r["payload"])) for r in await h.outbox_rows() if r["event_type"] == event_type]


async def test_a_death_notice_for_a_recipient_raises_an_integrity_alert_and_a_review_request(
    tier_h: ServiceHarness,
) -> None:
    h = tier_h
    household, payee = uuid4(), person("52010219500101001")
    case = approved(household, payee, CaseCategory.DIBAO)
    assert await consume(h, case) == "applied"
    death = notice(payee, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY)
    assert await consume(h, death) == "applied"
    assert await consume(h, death) == "duplicate"

    [raised] = await staged(h, "monitoring.alert_raised.v1")
    [review] = await staged(h, "monitoring.review_requested.v1")
    assert raised.data.rule == rules.DEATH_RULE  # type: ignore[attr-defined]
    assert review.data.case_id == case.data.case_id  # type: ignore[attr-defined]
    assert review.data.alert_id == raised.data.alert_id  # type: ignore[attr-defined]
    assert review.causation_id == str(death.id)
    page = (await h.client.get(ALERTS, params={"status": "open"})).json()
    assert [(a["rule"], a["level"], a["case_id"]) for a in page["items"]] == [
        (rules.DEATH_RULE, "high", str(case.data.case_id))
    ]


async def test_a_notice_about_someone_not_in_the_register_or_a_closed_case_changes_nothing(h: ServiceHarness) -> None:
    stranger = person("52010219500101002")
    assert await consume(h, notice(stranger, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY)) == "applied"
    household, payee = uuid4(), person("52010219500101003")
    case = approved(household, payee, CaseCategory.DIBAO)
    await consume(h, case)
    ended = CaseTerminatedData(
        case_id=case.data.case_id,
        household_id=household,
        reason=TerminationReason.INCOME_ABOVE_STANDARD,
        terminated_on=date.today(),
        last_paid_month=Period(2026, 6),
    )
    await consume(h, CaseTerminated.create(ended, subject=str(household), correlation_id="t", now=datetime.now(UTC)))
    await consume(h, notice(payee, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY))
    assert await staged(h, "monitoring.alert_raised.v1") == []
    assert (await h.client.get(ALERTS)).json()["total"] == 0


async def test_illness_and_job_loss_in_a_marginal_household_raise_an_alert_that_closes_only_with_a_disposition(
    tier_h: ServiceHarness,
) -> None:
    h = tier_h
    household, payee = uuid4(), person("52010219700202002")
    await consume(h, approved(household, payee, CaseCategory.MARGINAL))
    await consume(h, notice(payee, DepartmentNoticeKind.HOSPITALISED, Department.HEALTH))
    assert await staged(h, "monitoring.alert_raised.v1") == [], "one signal scores 50 < 80"
    await consume(h, notice(payee, DepartmentNoticeKind.UNEMPLOYED, Department.HUMAN_RESOURCES))

    [raised] = await staged(h, "monitoring.alert_raised.v1")
    assert raised.data.rule == "hardship.illness_and_job_loss"  # type: ignore[attr-defined]
    [task] = (await h.client.get(ALERTS, params={"status": "open"})).json()["items"]
    assert task["score"] == 100
    assert task["reasons"] == ["hospitalised", "unemployed"]
    assert task["town_code"] == COUNTY + "001000"
    assert task["rules_version"] == rules_in_force(date.today()).version
    disposal = f"{ALERTS}/{task['alert_id']}/disposal"

    bare = await h.client.post(disposal, json={})
    assert (bare.status_code, bare.json()["reason"]) == (409, "disposition_required")
    thin = await h.client.post(disposal, json={"disposition": "deliver", "evidence": "ok"})
    assert (thin.status_code, thin.json()["reason"]) == (409, "evidence_required")
    wrong = await h.client.post(disposal, json={"disposition": "somehow", "evidence": "x" * 20})
    assert wrong.status_code == 422
    assert (await h.client.get(f"{ALERTS}/{task['alert_id']}")).json()["status"] == "open", "nothing changed"

    evidence = "入户核实：户主住院、配偶失业，已协助申请临时救助"
    closed = await h.client.post(disposal, json={"disposition": "deliver", "evidence": evidence})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["disposition"]) == ("closed", "deliver")
    [disposed] = await staged(h, "monitoring.alert_disposed.v1")
    assert disposed.data.disposition.value == "deliver"  # type: ignore[attr-defined]
    again = await h.client.post(disposal, json={"disposition": "deliver", "evidence": evidence})
    assert (again.status_code, again.json()["reason"]) == (409, "alert_closed")


async def test_verify_and_terminate_asks_eligibility_for_a_review(h: ServiceHarness) -> None:
    household, payee = uuid4(), person("52010219700202003")
    await consume(h, approved(household, payee, CaseCategory.DIBAO))
    await consume(h, notice(payee, DepartmentNoticeKind.VEHICLE_REGISTERED, Department.PUBLIC_SECURITY))
    [task] = (await h.client.get(ALERTS)).json()["items"]
    assert task["rule"] == "eligibility.means_changed"
    body = {"disposition": "verify_and_terminate", "evidence": "核实名下新登记机动车一辆，报县级复核"}
    assert (await h.client.post(f"{ALERTS}/{task['alert_id']}/disposal", json=body)).status_code == 200
    [review] = await staged(h, "monitoring.review_requested.v1")
    assert review.data.alert_id == UUID(task["alert_id"])  # type: ignore[attr-defined]


async def test_a_town_sees_its_own_alerts_only(h: ServiceHarness) -> None:
    payee_here, payee_there = person("52010219700202004"), person("52010319700202005")
    await consume(h, approved(uuid4(), payee_here, CaseCategory.DIBAO))
    await consume(h, approved(uuid4(), payee_there, CaseCategory.DIBAO, region="520103"))
    for who in (payee_here, payee_there):
        await consume(h, notice(who, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY))
    async with h.anonymous_client(**TOWN_WORKER) as town:
        page = (await town.get(ALERTS)).json()
    assert [a["town_code"] for a in page["items"]] == [TOWN]
    other = [a for a in (await h.client.get(ALERTS)).json()["items"] if a["region_code"] == "520103"]
    async with h.anonymous_client(**TOWN_WORKER) as town:
        refused = await town.get(f"{ALERTS}/{other[0]['alert_id']}")
    assert refused.status_code == 403


async def test_overdue_alerts_escalate_to_the_county(h: ServiceHarness) -> None:
    from monitoring.warnings import service

    await consume(h, approved(uuid4(), payee := person("52010219700202006"), CaseCategory.DIBAO))
    await consume(h, notice(payee, DepartmentNoticeKind.DEATH, Department.PUBLIC_SECURITY))
    later = datetime(2099, 1, 1, tzinfo=UTC)
    assert await service.escalate_overdue(h.runtime.database, later) == 1
    assert [a["status"] for a in (await h.client.get(ALERTS)).json()["items"]] == ["escalated"]


async def test_a_spot_check_draw_is_reproducible_from_its_seed(tier_h: ServiceHarness) -> None:
    h = tier_h
    for n in range(10):
        await consume(h, approved(uuid4(), person(f"52010219500101{n:03d}"), CaseCategory.TEKUN))
    await consume(h, approved(uuid4(), person("52010219500102111"), CaseCategory.DIBAO))
    body = {"region_code": COUNTY, "category": "tekun", "inspectors": ["检查员乙", "检查员甲"], "seed": 20261205}

    first = await h.client.post("/v1/monitoring/spot-checks", json=body)
    again = await h.client.post("/v1/monitoring/spot-checks", json={**body, "inspectors": ["检查员甲", "检查员乙"]})
    other = await h.client.post("/v1/monitoring/spot-checks", json={**body, "seed": 7})
    assert first.status_code == 201, first.text
    drawn = first.json()
    assert (drawn["population"], drawn["share_percent"], len(drawn["drawn"])) == (10, 30, 3)  # ≥30%, rounded up
    assert again.json()["drawn"] == drawn["drawn"]
    assert other.json()["drawn"] != drawn["drawn"]
    recorded = (await h.client.get(f"/v1/monitoring/spot-checks/{drawn['draw_id']}")).json()
    assert recorded["drawn"] == drawn["drawn"]
    assert recorded["seed"] == 20261205
    empty = await h.client.post("/v1/monitoring/spot-checks", json={**body, "region_code": "520113"})
    assert (empty.status_code, empty.json()["reason"]) == (422, "spot_check_empty")


def test_the_rules_file_has_versions_in_force_by_date(tmp_path: Path) -> None:
    """The warning rules are data (rules/warning-rules.yaml): complete versions, each in force
    from its date; an alert raised before the 2026.2 date is scored by 2026.1, which does not
    watch 防返贫 households yet. A file with versions out of order is refused."""
    sets = rule_files.load_rule_sets()
    assert [s.version for s in sets] == ["2026.1", "2026.2"]
    assert rules_in_force(date(2026, 11, 15)).version == "2026.1"
    assert rules_in_force(date(2026, 12, 1)).version == "2026.2"
    assert rules_in_force(date(2020, 1, 1)).version == "2026.1"  # before the first: the first
    hardship = {s.version: next(r for r in s.rules if r.code == "hardship.illness_and_job_loss") for s in sets}
    assert "anti_poverty" not in hardship["2026.1"].categories
    assert "anti_poverty" in hardship["2026.2"].categories

    text = rule_files.RULES_FILE.read_text(encoding="utf-8")
    swapped = tmp_path / "rules.yaml"
    swapped.write_text(text.replace("2026-12-01", "2026-10-01"), encoding="utf-8")
    with pytest.raises(ValueError, match="increasing effective dates"):
        rule_files.load_rule_sets(swapped)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("level: high", "level: urgent", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="level"):
        rule_files.load_rule_sets(unknown)


@pytest.mark.parametrize(
    ("kinds", "category", "rule"),
    [
        ({"hospitalised", "unemployed"}, "marginal", "hardship.illness_and_job_loss"),
        ({"hospitalised"}, "marginal", None),
        ({"hospitalised"}, "dibao", "hardship.illness"),
        ({"property_registered"}, "tekun", "eligibility.means_changed"),
        ({"school_enrolled"}, "dibao", None),
    ],
)
def test_the_rules_as_data(kinds: set[str], category: str, rule: str | None) -> None:
    from monitoring.warnings.domain.model import MonitoredCase, Signal

    case = MonitoredCase(uuid4(), uuid4(), category, COUNTY, None, "pr1_x", None, True, date.today())
    signals = [Signal(uuid4(), case.household_id, "pr1_x", kind, date.today()) for kind in kinds]
    raised = rules.alerts_to_raise(
        ruleset=rules_in_force(date.today()),
        household_id=case.household_id,
        categories=frozenset({category}),
        signals=signals,
        open_rules=frozenset(),
        case=case,
        today=date.today(),
        new_id=uuid4,
    )
    assert [a.rule for a in raised] == ([rule] if rule else [])


async def test_a_person_assisted_in_two_households_is_an_integrity_finding(tier_h: ServiceHarness) -> None:
    """重复享受: B's case opens while one of B's people is a recipient in A, in another county:
    a high alert for B's county naming the county and category, not the person; once while open."""
    h = tier_h
    shared_person, other = person("52010219600101771"), person("52010319600101772")
    a, b = uuid4(), uuid4()
    assert await consume(h, approved(a, shared_person, CaseCategory.DIBAO)) == "applied"
    assert await consume(h, approved(b, other, CaseCategory.TEKUN, region="520103")) == "applied"
    assert await staged(h, "monitoring.alert_raised.v1") == []  # nobody shared yet

    members = ApplicationAcceptedData(
        application_id=uuid4(),
        household_id=b,
        assistance_type=AssistanceType.TEKUN,
        region_code="520103",
        accepted_on=date.today(),
        members=(other, shared_person),
    )
    accepted = ApplicationAccepted.create(members, subject=str(b), correlation_id="dup", now=datetime.now(UTC))
    assert await consume(h, accepted) == "applied"
    assert await consume(h, approved(b, other, CaseCategory.MARGINAL, region="520103")) == "applied"
    assert await consume(h, approved(b, other, CaseCategory.MARGINAL, region="520103")) == "applied"

    [raised] = await staged(h, "monitoring.alert_raised.v1")
    assert raised.data.rule == rules.DUPLICATE_RULE  # type: ignore[attr-defined]
    assert raised.data.household_id == b  # type: ignore[attr-defined]
    [finding] = (await h.client.get(ALERTS, params={"status": "open"})).json()["items"]
    assert finding["reasons"] == [f"also assisted in {COUNTY} (dibao)"]
    assert finding["region_code"] == "520103"
    assert shared_person.ref not in str(finding)


async def test_spot_check_results_are_recorded_once_and_published_as_counts(tier_h: ServiceHarness) -> None:
    """抽查结果 for the drawn cases only, once each; a non-compliant case names its finding and
    asks eligibility for a review; the publication (双随机一公开) is counts, no case or person."""
    h = tier_h
    for n in range(10):
        await consume(h, approved(uuid4(), person(f"52010219500103{n:03d}"), CaseCategory.TEKUN))
    body = {"region_code": COUNTY, "category": "tekun", "inspectors": ["检查员甲", "检查员乙"], "seed": 5}
    draw = (await h.client.post("/v1/monitoring/spot-checks", json=body)).json()
    (first, inspector), (second, _), (third, _) = draw["drawn"]
    results = f"/v1/monitoring/spot-checks/{draw['draw_id']}/results"

    ok = await h.client.post(results, json={"case_id": first, "outcome": "compliant"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["inspector"] == inspector
    bad = {
        "case_id": second,
        "outcome": "non_compliant",
        "finding": "not_resident",
        "note": "入户未见本人，邻居称已外出务工两年",
    }
    assert (await h.client.post(results, json=bad)).status_code == 201
    refusals = [
        ({"case_id": first, "outcome": "compliant"}, "result_recorded"),
        ({"case_id": str(uuid4()), "outcome": "compliant"}, "case_not_drawn"),
        ({"case_id": third, "outcome": "non_compliant"}, "finding_required"),
        ({"case_id": third, "outcome": "compliant", "finding": "deceased"}, "finding_unexpected"),
    ]
    for sent, reason in refusals:
        refused = await h.client.post(results, json=sent)
        assert (refused.status_code, refused.json()["reason"]) == (409, reason)

    [review] = await staged(h, "monitoring.review_requested.v1")
    assert review.data.reason.value == "spot_check"  # type: ignore[attr-defined]
    assert str(review.data.case_id) == second  # type: ignore[attr-defined]
    published = (await h.client.get(f"/v1/monitoring/spot-checks/{draw['draw_id']}/publication")).json()
    assert published == {
        "region_code": COUNTY,
        "category": "tekun",
        "seed": 5,
        "share_percent": 30,
        "population": 10,
        "drawn": 3,
        "checked": 2,
        "compliant": 1,
        "non_compliant": 1,
        "findings": {"not_resident": 1},
    }
