"""The event envelope, parse_event, upcasting, JSON Schema snapshots and per-type fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal
from uuid import UUID, uuid4

import pytest

from shared.events import (
    LATEST,
    ApplicationSubmitted,
    ApplicationSubmittedData,
    AssistanceType,
    Event,
    EventData,
    EventParseError,
    EventRegistry,
    parse_event,
    registry,
)
from shared.schemas import expected_files
from shared.topics import dlq_topic, events_topic

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
