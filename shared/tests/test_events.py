"""The event envelope, parse_event, upcasting, JSON Schema snapshots and per-type fixtures."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from uuid import UUID, uuid4

import pytest

from shared.events import (
    LATEST,
    AlertDisposed,
    AlertDisposition,
    ApplicationDecided,
    ApplicationSubmitted,
    ApplicationSubmittedData,
    AssistanceType,
    CaseApproved,
    CaseCategory,
    CaseTerminated,
    CheckCompleted,
    DecisionOutcome,
    Event,
    EventData,
    EventParseError,
    EventRegistry,
    PaymentSettled,
    ReviewReason,
    ReviewRequested,
    SupportMode,
    TerminationReason,
    parse_event,
    registry,
)
from shared.schemas import expected_files
from shared.topics import dlq_topic, events_topic
from shared.types import Period

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def application_event(**overrides: Any) -> ApplicationSubmitted:
    data = {
        "application_id": uuid4(),
        "household_id": uuid4(),
        "assistance_type": AssistanceType.DIBAO,
        "region_code": "520102",
        "member_count": 3,
        "applicant_masked_id": "5201**********123X",
    } | overrides
    return ApplicationSubmitted.create(
        ApplicationSubmittedData(**data), subject=str(data["household_id"]), correlation_id="req-1", now=NOW
    )


class TestEnvelope:
    def test_create_fills_type_source_and_ids(self) -> None:
        event = application_event()
        assert event.type == "eligibility.application_submitted.v2"
        assert event.source == "eligibility"
        assert isinstance(event.id, UUID)
        assert event.causation_id is None
        assert ApplicationSubmitted.version() == 2
        assert ApplicationSubmitted.producer() == "eligibility"

    def test_time_is_normalised_to_utc(self) -> None:
        shanghai = timezone(timedelta(hours=8))
        event = ApplicationSubmitted.create(
            application_event().data, subject="h", correlation_id="c", now=datetime(2026, 3, 1, 16, 30, tzinfo=shanghai)
        )
        assert event.time == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
        assert event.time.utcoffset() == timedelta(0)

    def test_naive_time_is_refused(self) -> None:
        naive = datetime(2026, 3, 1)
        with pytest.raises(ValueError, match="timezone"):
            ApplicationSubmitted.create(application_event().data, subject="h", correlation_id="c", now=naive)

    def test_events_are_immutable(self) -> None:
        event = application_event()
        with pytest.raises(ValueError, match="frozen"):
            event.subject = "other"  # type: ignore[misc]

    def test_type_names_follow_the_scheme(self) -> None:
        with pytest.raises(TypeError, match="does not match"):

            class BadName(Event):
                type: Literal["eligibility.ApplicationSubmitted"] = "eligibility.ApplicationSubmitted"

    def test_topics_follow_the_producer(self) -> None:
        assert events_topic(application_event().source) == "eligibility.events"
        assert dlq_topic("eligibility.events") == "eligibility.events.dlq"


class TestParseEvent:
    def test_round_trip_of_every_latest_type(self) -> None:
        for path in sorted(FIXTURES.glob("*.json")):
            event = parse_event(path.read_bytes())
            again = parse_event(event.to_json_bytes())
            assert again == event
            assert type(event) in LATEST

    def test_round_trip_keeps_the_typed_payload(self) -> None:
        event = application_event()
        parsed = parse_event(event.to_json_bytes())
        assert isinstance(parsed, ApplicationSubmitted)
        assert parsed.data.assistance_type is AssistanceType.DIBAO
        assert parsed == event

    def test_unknown_fields_are_tolerated(self) -> None:
        obj = json.loads(application_event().to_json_bytes())
        obj["data"]["added_later"] = "ok"
        obj["extension"] = 1
        assert isinstance(parse_event(json.dumps(obj)), ApplicationSubmitted)

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (b"not json", "malformed_json"),
            (b"\xff\xfe", "malformed_json"),
            (b"[1, 2]", "not_an_object"),
            (b'{"type": "eligibility.nothing_happened.v1"}', "unknown_type"),
            (b'{"no": "type"}', "unknown_type"),
        ],
    )
    def test_garbage_raises_one_error_type(self, raw: bytes, reason: str) -> None:
        with pytest.raises(EventParseError) as info:
            parse_event(raw)
        assert info.value.reason == reason

    def test_invalid_payload_names_the_fields(self) -> None:
        obj = json.loads(application_event().to_json_bytes())
        obj["data"]["region_code"] = "999999"
        obj["data"]["member_count"] = 0
        with pytest.raises(EventParseError) as info:
            parse_event(json.dumps(obj))
        assert info.value.reason == "invalid_payload"
        assert "region_code" in str(info.value)
        assert "member_count" in str(info.value)


class ThingV2Data(EventData):
    amount_fen: int
    note: str


class ThingV2(Event):
    type: Literal["testing.thing_happened.v2"] = "testing.thing_happened.v2"
    data: ThingV2Data


def upcast_thing_v1_v2(obj: dict[str, Any]) -> dict[str, Any]:
    """v1 carried `amount` in yuan as a string and had no note."""
    data = dict(obj["data"])
    data["amount_fen"] = round(float(data.pop("amount")) * 100)
    data.setdefault("note", "")
    return obj | {"type": "testing.thing_happened.v2", "data": data}


class TestUpcasting:
    registry = EventRegistry([ThingV2], {"testing.thing_happened.v1": upcast_thing_v1_v2})

    def v1(self) -> bytes:
        return json.dumps(
            {
                "id": str(uuid4()),
                "type": "testing.thing_happened.v1",
                "source": "testing",
                "time": "2026-03-01T08:30:00Z",
                "subject": "s",
                "correlation_id": "c",
                "data": {"amount": "12.34"},
            }
        ).encode()

    def test_old_version_is_read_as_the_latest(self) -> None:
        event = self.registry.parse(self.v1())
        assert isinstance(event, ThingV2)
        assert event.data.amount_fen == 1234
        assert event.type == "testing.thing_happened.v2"

    def test_broken_upcaster_raises_parse_error(self) -> None:
        broken = EventRegistry([ThingV2], {"testing.thing_happened.v1": lambda obj: obj | {"data": None}})
        with pytest.raises(EventParseError) as info:
            broken.parse(self.v1())
        assert info.value.reason in {"upcast_failed", "invalid_payload"}

    def test_upcaster_loop_is_detected(self) -> None:
        looping = EventRegistry(
            [ThingV2],
            {
                "testing.thing_happened.v0": lambda obj: obj | {"type": "testing.thing_happened.v1"},
                "testing.thing_happened.v1": lambda obj: obj | {"type": "testing.thing_happened.v0"},
            },
        )
        with pytest.raises(EventParseError, match="loop"):
            looping.parse(self.v1())

    def test_registry_refuses_duplicates_and_upcasters_for_latest_types(self) -> None:
        with pytest.raises(ValueError, match="twice"):
            EventRegistry([ThingV2, ThingV2])
        with pytest.raises(ValueError, match="latest"):
            EventRegistry([ThingV2], {"testing.thing_happened.v2": upcast_thing_v1_v2})


class TestContracts:
    def test_committed_schemas_match_the_code(self) -> None:
        """A changed schema under an unchanged type name fails here: bump the version (a new
        `.vN+1` class plus an upcaster) and run `make schemas`."""
        expected = expected_files()
        committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.json")}
        assert sorted(committed) == sorted(expected), "run `make schemas` to add or remove snapshots"
        changed = [name for name, text in expected.items() if committed[name] != text]
        assert not changed, f"schema changed without a version bump: {changed}"

    def test_every_type_and_legacy_type_has_a_fixture(self) -> None:
        names = {p.stem for p in FIXTURES.glob("*.json")}
        assert names == set(registry().types) | set(registry().legacy_types)

    def test_every_fixture_parses_to_its_latest_version(self) -> None:
        for path in FIXTURES.glob("*.json"):
            event = parse_event(path.read_bytes())
            assert event.type in registry().types
            if path.stem in registry().types:
                assert event.type == path.stem

    def test_the_one_pass_json_parse_agrees_with_decode_then_validate(self) -> None:
        """`parse_event` validates JSON in one pass when it can; the answer must be the one the
        careful path (decode, upcast, validate the object) gives."""
        adapter = registry()._adapter
        for path in FIXTURES.glob("*.json"):
            if path.stem not in registry().types:
                continue
            raw = path.read_bytes()
            assert adapter.validate_json(raw) == adapter.validate_python(json.loads(raw))
            assert parse_event(raw) == adapter.validate_python(json.loads(raw))


class TestApplicationSubmittedV1:
    def test_a_v1_event_reads_as_v2_without_a_town(self) -> None:
        raw = (Path(__file__).parent / "fixtures" / "eligibility.application_submitted.v1.json").read_bytes()

        event = parse_event(raw)

        assert event.type == "eligibility.application_submitted.v2"
        assert isinstance(event, ApplicationSubmitted)
        assert event.data.town_code is None

    def test_a_v1_event_with_a_broken_payload_is_an_invalid_payload(self) -> None:
        with pytest.raises(EventParseError) as caught:
            parse_event(b'{"type": "eligibility.application_submitted.v1", "data": "garbage"}')

        assert caught.value.reason == "invalid_payload"


CATALOGUE = {  # /work/shared/EVENTS.md, as types: a new type is added here on purpose
    "eligibility.application_submitted.v2",
    "eligibility.application_accepted.v1",
    "eligibility.application_decided.v1",
    "eligibility.case_approved.v1",
    "eligibility.benefit_changed.v1",
    "eligibility.case_terminated.v1",
    "eligibility.temporary_assistance_granted.v1",
    "verification.consent_recorded.v1",
    "verification.check_completed.v1",
    "verification.department_notice_received.v1",
    "payment.payroll_run_created.v1",
    "payment.payment_settled.v1",
    "payment.payment_failed.v1",
    "payment.recovery_opened.v1",
    "monitoring.household_registered.v1",
    "monitoring.alert_raised.v1",
    "monitoring.alert_disposed.v1",
    "monitoring.review_requested.v1",
    "procurement.provider_registered.v1",
    "procurement.contract_awarded.v1",
    "procurement.service_delivered.v1",
    "procurement.evaluation_completed.v1",
}


def fixture(event_type: str) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads((FIXTURES / f"{event_type}.json").read_text(encoding="utf-8"))
    return obj


def parse_with(event_type: str, **data: Any) -> Event:
    obj = fixture(event_type)
    obj["data"] = obj["data"] | data
    return parse_event(json.dumps(obj))


def refused(event_type: str, **data: Any) -> str:
    with pytest.raises(EventParseError) as info:
        parse_with(event_type, **data)
    assert info.value.reason == "invalid_payload"
    return str(info.value)


class TestCatalogue:
    def test_the_registry_is_the_catalogue(self) -> None:
        assert set(registry().types) == CATALOGUE

    def test_no_event_carries_a_clear_resident_id(self) -> None:
        """People travel as `PersonRef` (pseudonym + masked ID): no schema has a resident-ID field."""
        for name, text in expected_files().items():
            assert "GB 11643" not in text, name
            assert "[0-9]{17}" not in text, name

    def test_fixtures_name_people_by_reference_only(self) -> None:
        for path in FIXTURES.glob("*.json"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])", text), path.name

    def test_a_person_ref_with_a_clear_id_is_refused(self) -> None:
        person = fixture("verification.department_notice_received.v1")["data"]["person"]
        refused("verification.department_notice_received.v1", person=person | {"masked_id": "52010219800101001" + "3"})
        refused("verification.department_notice_received.v1", person=person | {"ref": "52010219800101001" + "3"})


class TestCaseEvents:
    def test_amounts_are_exact_yuan(self) -> None:
        event = parse_event((FIXTURES / "eligibility.case_approved.v1.json").read_bytes())
        assert isinstance(event, CaseApproved)
        assert event.data.amounts.monthly_total == Decimal("738.50")
        assert event.data.category is CaseCategory.DIBAO
        assert event.data.effective_from == Period(2026, 4)

    def test_a_float_amount_is_refused(self) -> None:
        amounts = fixture("eligibility.case_approved.v1")["data"]["amounts"]
        amounts["lines"][0]["monthly"] = 310.0
        assert "lines.0.monthly: amount must not be a float" in refused("eligibility.case_approved.v1", amounts=amounts)

    def test_the_total_is_the_sum_of_the_lines(self) -> None:
        amounts = fixture("eligibility.case_approved.v1")["data"]["amounts"] | {"monthly_total": "738.49"}
        assert "sum" in refused("eligibility.case_approved.v1", amounts=amounts)

    def test_support_mode_is_for_tekun_only(self) -> None:
        refused("eligibility.case_approved.v1", category="tekun")
        refused("eligibility.case_approved.v1", support_mode="dispersed")
        event = parse_with("eligibility.case_approved.v1", category="tekun", support_mode="dispersed")
        assert isinstance(event, CaseApproved)
        assert event.data.support_mode is SupportMode.DISPERSED

    def test_a_rejection_has_reasons_and_no_case(self) -> None:
        refused("eligibility.application_decided.v1", outcome="rejected", case_id=None)
        refused("eligibility.application_decided.v1", outcome="rejected", reasons=["dibao.income"])
        refused("eligibility.application_decided.v1", outcome="approved", case_id=None)
        refused("eligibility.application_decided.v1", outcome="rejected", case_id=None, reasons=["Income too high"])
        event = parse_with(
            "eligibility.application_decided.v1", outcome="rejected", case_id=None, reasons=["dibao.income"]
        )
        assert isinstance(event, ApplicationDecided)
        assert event.data.outcome is DecisionOutcome.REJECTED

    def test_overpaid_months_were_paid(self) -> None:
        refused("eligibility.case_terminated.v1", overpaid_from="2026-10")
        refused("eligibility.case_terminated.v1", last_paid_month=None)
        event = parse_with("eligibility.case_terminated.v1", last_paid_month=None, overpaid_from=None)
        assert isinstance(event, CaseTerminated)
        assert event.data.reason is TerminationReason.DEATH

    def test_a_town_code_is_twelve_digits_in_a_guiyang_county(self) -> None:
        refused("eligibility.application_accepted.v1", town_code="520102")
        refused("eligibility.application_accepted.v1", members=[])


class TestOtherProducers:
    def test_a_payment_is_for_a_case_or_a_grant(self) -> None:
        refused("payment.payment_settled.v1", grant_id=str(uuid4()))
        refused("payment.payment_failed.v1", case_id=None)
        assert isinstance(parse_with("payment.payment_settled.v1", case_id=None, grant_id=str(uuid4())), PaymentSettled)

    def test_recovery_months_are_distinct_and_in_order(self) -> None:
        refused("payment.recovery_opened.v1", months=["2026-09", "2026-08"])
        refused("payment.recovery_opened.v1", months=[])

    def test_a_discrepancy_carries_values_of_its_kind(self) -> None:
        wrong = {"item": "vehicles", "declared_amount": "1.00", "verified_amount": "2.00"}
        refused("verification.check_completed.v1", discrepancies=[wrong])
        right = {"item": "vehicles", "declared_count": 0, "verified_count": 1}
        event = parse_with("verification.check_completed.v1", discrepancies=[right])
        assert isinstance(event, CheckCompleted)

    def test_a_department_is_answered_or_missing_once(self) -> None:
        refused("verification.check_completed.v1", departments_missing=["public_security"])
        refused("verification.check_completed.v1", departments_missing=["police"])

    def test_a_review_for_an_alert_names_it(self) -> None:
        refused("monitoring.review_requested.v1", alert_id=None)
        refused("monitoring.review_requested.v1", reason="spot_check")
        event = parse_with("monitoring.review_requested.v1", reason="spot_check", alert_id=None)
        assert isinstance(event, ReviewRequested)
        assert event.data.reason is ReviewReason.SPOT_CHECK

    def test_alert_dispositions(self) -> None:
        event = parse_event((FIXTURES / "monitoring.alert_disposed.v1.json").read_bytes())
        assert isinstance(event, AlertDisposed)
        assert event.data.disposition is AlertDisposition.VERIFY_AND_TERMINATE
        refused("monitoring.alert_disposed.v1", disposition="ignored")

    def test_contract_terms_and_scores(self) -> None:
        refused("procurement.contract_awarded.v1", term_end="2026-03-31")
        refused("procurement.contract_awarded.v1", provider_credit_code="91520100MA6DKXXX00")
        refused("procurement.evaluation_completed.v1", score=101)
        refused("procurement.service_delivered.v1", satisfaction=0)
