"""Pure register rules: no database, no HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from monitoring.domain import rules
from monitoring.domain.model import RegisterEntry
from shared.events import HouseholdRegistered, parse_event

FIRST_SEEN = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
LATER = FIRST_SEEN + timedelta(days=3)


def register(existing: RegisterEntry | None, **overrides: Any) -> tuple[RegisterEntry, HouseholdRegistered | None]:
    arguments: dict[str, Any] = {
        "household_id": uuid4() if existing is None else existing.household_id,
        "region_code": "520102",
        "assistance_type": "dibao",
        "source_event_id": uuid4(),
        "correlation_id": "c-1",
        "now": FIRST_SEEN,
    }
    arguments.update(overrides)
    return rules.register_applicant_household(existing, **arguments)


def existing_entry(household_id: UUID, source_event_id: UUID) -> RegisterEntry:
    return RegisterEntry(
        household_id=household_id,
        region_code="520102",
        reason=rules.REASON_APPLICATION,
        assistance_types=("dibao",),
        source_event_id=source_event_id,
        registered_at=FIRST_SEEN,
        updated_at=FIRST_SEEN,
        correlation_id="c-1",
    )


class TestRegisterNewHousehold:
    def test_household_not_yet_in_the_register_is_entered(self) -> None:
        household_id = uuid4()
        source_event_id = uuid4()

        entry, _ = register(
            None,
            household_id=household_id,
            region_code="520123",
            assistance_type="tekun",
            source_event_id=source_event_id,
        )

        assert entry == RegisterEntry(
            household_id=household_id,
            region_code="520123",
            reason="application_submitted",
            assistance_types=("tekun",),
            source_event_id=source_event_id,
            registered_at=FIRST_SEEN,
            updated_at=FIRST_SEEN,
            correlation_id="c-1",
        )

    def test_registration_is_announced_caused_by_the_source_event(self) -> None:
        household_id = uuid4()
        source_event_id = uuid4()

        _, event = register(None, household_id=household_id, source_event_id=source_event_id, correlation_id="c-7")

        assert isinstance(event, HouseholdRegistered)
        assert event.type == "monitoring.household_registered.v1"
        assert event.subject == str(household_id)
        assert event.causation_id == str(source_event_id)
        assert event.correlation_id == "c-7"
        assert event.time == FIRST_SEEN
        assert event.data.household_id == household_id
        assert event.data.region_code == "520102"
        assert event.data.reason == "application_submitted"
        assert event.data.source_event_id == source_event_id

    def test_event_survives_a_round_trip_through_bytes(self) -> None:
        _, event = register(None)

        assert event is not None
        assert parse_event(event.to_json_bytes()) == event


class TestRegisterKnownHousehold:
    def test_new_assistance_type_is_added_without_an_event(self) -> None:
        existing = existing_entry(uuid4(), uuid4())

        entry, event = register(existing, assistance_type="temporary", source_event_id=uuid4(), now=LATER)

        assert event is None
        assert entry.assistance_types == ("dibao", "temporary")
        assert entry.updated_at == LATER

    def test_registration_facts_are_kept(self) -> None:
        source_event_id = uuid4()
        existing = existing_entry(uuid4(), source_event_id)

        entry, _ = register(
            existing, assistance_type="temporary", source_event_id=uuid4(), correlation_id="c-2", now=LATER
        )

        assert entry.household_id == existing.household_id
        assert entry.registered_at == FIRST_SEEN
        assert entry.source_event_id == source_event_id
        assert entry.correlation_id == "c-1"
        assert entry.reason == "application_submitted"

    def test_known_assistance_type_is_not_repeated(self) -> None:
        existing = replace(existing_entry(uuid4(), uuid4()), assistance_types=("dibao", "tekun"))

        entry, event = register(existing, assistance_type="dibao", now=LATER)

        assert event is None
        assert entry.assistance_types == ("dibao", "tekun")
        assert entry.updated_at == LATER

    def test_types_keep_the_order_first_seen(self) -> None:
        entry = existing_entry(uuid4(), uuid4())
        for assistance_type in ("marginal", "dibao", "expenditure", "marginal"):
            entry, _ = register(entry, assistance_type=assistance_type, now=LATER)

        assert entry.assistance_types == ("dibao", "marginal", "expenditure")

    def test_latest_application_region_is_taken(self) -> None:
        existing = existing_entry(uuid4(), uuid4())

        entry, _ = register(existing, region_code="520115", now=LATER)

        assert entry.region_code == "520115"
