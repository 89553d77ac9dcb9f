"""Pure eligibility rules: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from eligibility.applications.domain import rules
from eligibility.applications.domain.commands import SubmitApplication
from eligibility.applications.domain.model import Application, ApplicationStatus
from shared.events import ApplicationSubmitted, AssistanceType, parse_event
from shared.types import ResidentId

NOW = datetime(2026, 3, 15, 2, 30, tzinfo=UTC)
MASKED = "1101**********002X"


def submit(**overrides: Any) -> tuple[Application, ApplicationSubmitted]:
    arguments: dict[str, Any] = {
        "assistance_type": AssistanceType.DIBAO,
        "region_code": "520102",
        "member_count": 3,
        "applicant_name": "张三",
        "applicant_resident_id": ResidentId("11010519491231002X"),
        "correlation_id": "corr-1",
    }
    arguments.update(overrides)
    return rules.submit_application(SubmitApplication(**arguments), now=NOW)


class TestSubmitApplication:
    def test_new_application_is_submitted_with_the_given_facts(self) -> None:
        application, _ = submit(assistance_type=AssistanceType.TEKUN, region_code="520181", member_count=1)

        assert isinstance(application.id, UUID)
        assert application.status is ApplicationStatus.SUBMITTED
        assert application.assistance_type is AssistanceType.TEKUN
        assert application.region_code == "520181"
        assert application.member_count == 1
        assert application.applicant_name == "张三"
        assert application.applicant_masked_id == MASKED
        assert application.submitted_at == NOW
        assert application.correlation_id == "corr-1"

    def test_given_household_id_is_reused(self) -> None:
        household_id = uuid4()

        application, event = submit(household_id=household_id)

        assert application.household_id == household_id
        assert event.data.household_id == household_id
        assert event.subject == str(household_id)

    def test_without_a_household_a_new_one_is_started(self) -> None:
        first, _ = submit()
        second, _ = submit()

        assert isinstance(first.household_id, UUID)
        assert first.household_id != second.household_id
        assert first.id != second.id
        assert first.household_id != first.id

    def test_event_announces_the_application_keyed_by_household(self) -> None:
        application, event = submit(assistance_type=AssistanceType.EMERGENCY, member_count=5)

        assert isinstance(event, ApplicationSubmitted)
        assert event.type == "eligibility.application_submitted.v2"
        assert event.source == "eligibility"
        assert event.subject == str(application.household_id)
        assert event.correlation_id == "corr-1"
        assert event.causation_id is None
        assert event.time == NOW
        assert event.data.application_id == application.id
        assert event.data.household_id == application.household_id
        assert event.data.assistance_type is AssistanceType.EMERGENCY
        assert event.data.region_code == "520102"
        assert event.data.member_count == 5
        assert event.data.applicant_masked_id == MASKED

    def test_event_survives_a_round_trip_through_bytes(self) -> None:
        _, event = submit()

        assert parse_event(event.to_json_bytes()) == event

    def test_each_event_has_its_own_id(self) -> None:
        _, first = submit()
        _, second = submit()

        assert first.id != second.id

    def test_region_outside_guiyang_cannot_be_announced(self) -> None:
        with pytest.raises(ValidationError, match="region_code"):
            submit(region_code="999999")
