"""The eligibility API over HTTP: a migrated SQLite database, the in-process bus, the real app."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import AwareDatetime, TypeAdapter

from eligibility.applications import service as eligibility_service
from eligibility.applications.domain.commands import SubmitApplication
from jiuzhu_platform.auth import AccessLevel, RegionScope
from jiuzhu_platform.testing import ServiceHarness
from shared.events import ApplicationSubmitted, AssistanceType, parse_event
from shared.types import ResidentId, resident_id_check_digit

VALID_ID = "11010519491231002X"
VALID_ID_MASKED = "1101**********002X"
INVALID_CHECK_DIGIT_ID = "530102192005080119"
TOPIC = "eligibility.events"
APPLICATIONS = "/v1/eligibility/applications"
CITY_WIDE = RegionScope(AccessLevel.CITY)


def make_resident_id(body17: str) -> str:
    return body17 + resident_id_check_digit(body17)


def application_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assistance_type": "dibao",
        "region_code": "520102",
        "member_count": 3,
        "applicant": {"name": "张三", "resident_id": VALID_ID},
    }
    body.update(overrides)
    return body


def with_value(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(application_body())
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def parse_instant(text: str) -> Any:
    return TypeAdapter(AwareDatetime).validate_python(text)


class TestSubmitApplication:
    async def test_valid_application_is_stored_with_the_resident_id_masked(self, h: ServiceHarness) -> None:
        response = await h.client.post(APPLICATIONS, json=application_body(), headers={"X-Request-ID": "req-1"})

        assert response.status_code == 201
        body = response.json()
        assert body["applicant_masked_id"] == VALID_ID_MASKED
        assert body["applicant_name"] == "张三"
        assert body["assistance_type"] == "dibao"
        assert body["region_code"] == "520102"
        assert body["member_count"] == 3
        assert body["status"] == "submitted"
        UUID(body["id"])
        UUID(body["household_id"])
        assert VALID_ID not in response.text

    async def test_full_resident_id_is_nowhere_in_the_outbox_nor_the_published_event(self, h: ServiceHarness) -> None:
        response = await h.client.post(APPLICATIONS, json=application_body())
        assert response.status_code == 201

        rows = await h.outbox_rows()
        assert len(rows) == 1
        assert VALID_ID.encode() not in bytes(rows[0]["payload"])
        assert VALID_ID_MASKED.encode() in bytes(rows[0]["payload"])

        assert await h.relay() == 1
        (message,) = h.bus.messages(TOPIC)
        assert VALID_ID.encode() not in message.value
        assert all(VALID_ID.encode() not in value for _, value in message.headers)
        event = parse_event(message.value)
        assert isinstance(event, ApplicationSubmitted)
        assert event.data.applicant_masked_id == VALID_ID_MASKED

    async def test_lowercase_check_character_is_normalised_before_masking(self, h: ServiceHarness) -> None:
        response = await h.client.post(
            APPLICATIONS, json=with_value(("applicant", "resident_id"), "11010519491231002x")
        )

        assert response.status_code == 201
        assert response.json()["applicant_masked_id"] == VALID_ID_MASKED

    async def test_another_valid_resident_id_is_masked_to_its_own_first_and_last_four(self, h: ServiceHarness) -> None:
        resident_id = make_resident_id("52010219800101123")
        response = await h.client.post(APPLICATIONS, json=with_value(("applicant", "resident_id"), resident_id))

        assert response.status_code == 201
        assert response.json()["applicant_masked_id"] == f"5201{'*' * 10}{resident_id[-4:]}"
        assert resident_id not in response.text

    async def test_known_household_id_is_reused(self, h: ServiceHarness) -> None:
        household_id = uuid4()
        response = await h.client.post(APPLICATIONS, json=application_body(household_id=str(household_id)))

        assert response.status_code == 201
        assert response.json()["household_id"] == str(household_id)

    async def test_a_second_application_of_the_same_person_finds_their_household(self, h: ServiceHarness) -> None:
        """One household per resident ID (issue 10): the same applicant never gets a second one;
        another applicant gets their own."""
        first = await h.client.post(APPLICATIONS, json=application_body())
        second = await h.client.post(APPLICATIONS, json=application_body(assistance_type="temporary"))
        other = await h.client.post(
            APPLICATIONS,
            json=application_body(applicant={"name": "李四", "resident_id": make_resident_id("52010219800101001")}),
        )

        assert first.status_code == second.status_code == other.status_code == 201
        assert first.json()["household_id"] == second.json()["household_id"]
        assert other.json()["household_id"] != first.json()["household_id"]
        assert first.json()["id"] != second.json()["id"]

    async def test_a_household_of_another_area_is_neither_moved_nor_revealed(self, h: ServiceHarness) -> None:
        first = await h.client.post(APPLICATIONS, json=application_body())
        household_id = first.json()["household_id"]
        async with h.anonymous_client(kind="staff", roles=("town_caseworker",), region="520103") as other_county:
            moved = await other_county.post(
                APPLICATIONS,
                json=application_body(
                    region_code="520103",
                    household_id=household_id,
                    applicant={"name": "王五", "resident_id": make_resident_id("52010319800101002")},
                ),
            )
            assert moved.status_code == 403
            assert moved.json()["reason"] == "region_not_allowed"
            same_person = await other_county.post(APPLICATIONS, json=application_body(region_code="520103"))
            assert same_person.status_code == 409
            assert same_person.json()["reason"] == "resident_in_other_household"
            assert household_id not in same_person.text


class TestReadApplication:
    async def test_stored_application_round_trips(self, h: ServiceHarness) -> None:
        created = await h.client.post(APPLICATIONS, json=application_body(assistance_type="tekun", member_count=1))
        assert created.status_code == 201

        response = await h.client.get(f"{APPLICATIONS}/{created.json()['id']}")

        assert response.status_code == 200
        assert response.json() == created.json()
        assert response.json()["assistance_type"] == "tekun"
        assert response.json()["member_count"] == 1

    async def test_submitted_at_is_an_aware_utc_instant(self, h: ServiceHarness) -> None:
        created = await h.client.post(APPLICATIONS, json=application_body())
        response = await h.client.get(f"{APPLICATIONS}/{created.json()['id']}")

        submitted_at = response.json()["submitted_at"]
        assert submitted_at.endswith(("Z", "+00:00"))
        assert parse_instant(submitted_at).utcoffset() == timedelta(0)

    async def test_unknown_id_is_404_application_not_found(self, h: ServiceHarness) -> None:
        unknown = uuid4()
        response = await h.client.get(f"{APPLICATIONS}/{unknown}", headers={"X-Request-ID": "req-404"})

        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "ApplicationNotFound"
        assert body["detail"] == f"application {unknown} not found"
        assert body["message_zh"] == f"未找到申请 {unknown}"
        assert body["correlation_id"] == "req-404"

    async def test_malformed_id_in_the_path_is_422(self, h: ServiceHarness) -> None:
        response = await h.client.get(f"{APPLICATIONS}/not-a-uuid")

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["path", "application_id"]]


class TestApplicationSubmittedEvent:
    async def test_relay_publishes_exactly_one_event_keyed_by_household(self, h: ServiceHarness) -> None:
        household_id = uuid4()
        created = await h.client.post(
            APPLICATIONS,
            json=application_body(household_id=str(household_id), assistance_type="temporary", member_count=4),
            headers={"X-Request-ID": "req-event-1"},
        )
        assert created.status_code == 201

        assert await h.relay() == 1

        messages = h.bus.messages(TOPIC)
        assert len(messages) == 1
        message = messages[0]
        assert message.key == str(household_id).encode()
        assert message.header("event_type") == b"eligibility.application_submitted.v2"
        assert message.header("correlation_id") == b"req-event-1"
        event = parse_event(message.value)
        assert isinstance(event, ApplicationSubmitted)
        assert event.type == "eligibility.application_submitted.v2"
        assert event.source == "eligibility"
        assert event.subject == str(household_id)
        assert event.correlation_id == "req-event-1"
        assert event.causation_id is None
        assert event.data.application_id == UUID(created.json()["id"])
        assert event.data.household_id == household_id
        assert event.data.assistance_type is AssistanceType.TEMPORARY
        assert event.data.region_code == "520102"
        assert event.data.member_count == 4
        assert event.data.applicant_masked_id == VALID_ID_MASKED
        assert event.time == parse_instant(created.json()["submitted_at"])

    async def test_second_relay_publishes_nothing(self, h: ServiceHarness) -> None:
        await h.client.post(APPLICATIONS, json=application_body())
        assert await h.relay() == 1

        assert await h.relay() == 0
        assert len(h.bus.messages(TOPIC)) == 1

    async def test_outbox_row_is_marked_published_after_relay(self, h: ServiceHarness) -> None:
        await h.client.post(APPLICATIONS, json=application_body())
        (before,) = await h.outbox_rows()
        assert before["published_at"] is None

        await h.relay()

        (after,) = await h.outbox_rows()
        assert after["published_at"] is not None
        assert after["attempts"] == 1
        assert after["topic"] == TOPIC

    async def test_rejected_application_announces_nothing(self, h: ServiceHarness) -> None:
        response = await h.client.post(APPLICATIONS, json=application_body(member_count=0))
        assert response.status_code == 422

        assert await h.outbox_rows() == []
        assert await h.relay() == 0
        assert h.bus.messages(TOPIC) == []


class TestFailedUnitOfWork:
    async def test_rolled_back_submission_leaves_neither_application_nor_event(self, h: ServiceHarness) -> None:
        stored: list[UUID] = []

        async def submit_then_crash() -> None:
            async with h.runtime.database.transaction() as session:
                command = SubmitApplication(
                    assistance_type=AssistanceType.DIBAO,
                    region_code="520102",
                    member_count=2,
                    applicant_name="张三",
                    applicant_resident_id=ResidentId(VALID_ID),
                    correlation_id="c-crash",
                )
                application = await eligibility_service.submit_application(
                    session, CITY_WIDE, command, now=h.runtime.now
                )
                stored.append(application.id)
                raise RuntimeError("crash before commit")

        with pytest.raises(RuntimeError, match="crash before commit"):
            await submit_then_crash()

        assert (await h.client.get(f"{APPLICATIONS}/{stored[0]}")).status_code == 404
        assert await h.outbox_rows() == []


INVALID_APPLICATIONS = [
    pytest.param(
        ("applicant", "resident_id"),
        INVALID_CHECK_DIGIT_ID,
        ["body", "applicant", "resident_id"],
        "resident_id_check_digit",
        id="resident-id-bad-check-digit",
    ),
    pytest.param(
        ("applicant", "resident_id"),
        VALID_ID[:17],
        ["body", "applicant", "resident_id"],
        "resident_id_length",
        id="resident-id-17-digits",
    ),
    pytest.param(
        ("applicant", "resident_id"),
        make_resident_id("52010220990101001"),
        ["body", "applicant", "resident_id"],
        "resident_id_birth_date_future",
        id="resident-id-born-2099",
    ),
    pytest.param(
        ("applicant", "resident_id"),
        12345,
        ["body", "applicant", "resident_id"],
        "resident_id_type",
        id="resident-id-number",
    ),
    pytest.param(("region_code",), "999999", ["body", "region_code"], "region_code_unknown", id="unknown-region"),
    pytest.param(("region_code",), "520100", ["body", "region_code"], "region_not_county", id="city-not-county"),
    pytest.param(("region_code",), "5201", ["body", "region_code"], "region_code_format", id="region-4-digits"),
    pytest.param(("region_code",), 520102, ["body", "region_code"], "string_type", id="region-as-number"),
    pytest.param(("member_count",), 0, ["body", "member_count"], "greater_than_equal", id="member-count-0"),
    pytest.param(("member_count",), 51, ["body", "member_count"], "less_than_equal", id="member-count-51"),
    pytest.param(("member_count",), "abc", ["body", "member_count"], "int_type", id="member-count-abc"),
    pytest.param(("member_count",), 2.5, ["body", "member_count"], "int_type", id="member-count-2.5"),
    pytest.param(("applicant", "name"), "", ["body", "applicant", "name"], "text_empty", id="empty-name"),
    pytest.param(("applicant", "name"), "   ", ["body", "applicant", "name"], "text_empty", id="blank-name"),
    pytest.param(
        ("applicant", "name"), "a" * 101, ["body", "applicant", "name"], "string_too_long", id="name-101-chars"
    ),
    pytest.param(
        ("applicant", "name"), "张\x00三", ["body", "applicant", "name"], "text_control_char", id="name-control-char"
    ),
    pytest.param(("nickname",), "x", ["body", "nickname"], "extra_forbidden", id="unknown-field"),
    pytest.param(
        ("applicant", "nickname"), "x", ["body", "applicant", "nickname"], "extra_forbidden", id="unknown-nested-field"
    ),
    pytest.param(("assistance_type",), "housing", ["body", "assistance_type"], "enum", id="unknown-assistance-type"),
    pytest.param(("household_id",), "not-a-uuid", ["body", "household_id"], "uuid_parsing", id="household-id-not-uuid"),
    pytest.param(("applicant",), None, ["body", "applicant"], "model_attributes_type", id="applicant-null"),
]


class TestRejectInvalidApplication:
    @pytest.mark.parametrize(("path", "value", "loc", "error_type"), INVALID_APPLICATIONS)
    async def test_invalid_field_is_a_422_naming_the_field(
        self, h: ServiceHarness, path: tuple[str, ...], value: Any, loc: list[Any], error_type: str
    ) -> None:
        response = await h.client.post(APPLICATIONS, json=with_value(path, value), headers={"X-Request-ID": "req-422"})

        assert response.status_code == 422
        body = response.json()
        assert set(body) == {"error", "reason", "detail", "message_zh", "correlation_id"}
        assert body["error"] == "RequestValidationError"
        assert body["message_zh"] == "请求参数校验失败"
        assert body["correlation_id"] == "req-422"
        assert [(e["loc"], e["type"]) for e in body["detail"]] == [(loc, error_type)]
        assert all(set(e) == {"loc", "msg", "type"} for e in body["detail"])

    async def test_missing_applicant_is_reported_as_missing(self, h: ServiceHarness) -> None:
        body = application_body()
        del body["applicant"]

        response = await h.client.post(APPLICATIONS, json=body)

        assert response.status_code == 422
        assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["body", "applicant"], "missing")]

    async def test_rejected_resident_id_is_not_echoed(self, h: ServiceHarness) -> None:
        response = await h.client.post(
            APPLICATIONS, json=with_value(("applicant", "resident_id"), INVALID_CHECK_DIGIT_ID)
        )

        assert response.status_code == 422
        assert INVALID_CHECK_DIGIT_ID not in response.text

    async def test_boolean_member_count_is_rejected(self, h: ServiceHarness) -> None:
        response = await h.client.post(APPLICATIONS, json=application_body(member_count=True))

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body", "member_count"]]

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param(b"{not json", id="broken-json"),
            pytest.param(b'{"assistance_type": "dibao",', id="truncated-json"),
            pytest.param(b"\xff\xfe", id="not-utf8"),
        ],
    )
    async def test_malformed_json_is_a_422_in_the_common_shape(self, h: ServiceHarness, raw: bytes) -> None:
        response = await h.client.post(
            APPLICATIONS, content=raw, headers={"Content-Type": "application/json", "X-Request-ID": "req-json"}
        )

        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "RequestValidationError"
        assert body["correlation_id"] == "req-json"
        assert body["message_zh"] == "请求参数校验失败"
        assert [e["type"] for e in body["detail"]] == ["json_invalid"]

    @pytest.mark.parametrize(
        "raw",
        [pytest.param(b"[]", id="array"), pytest.param(b"null", id="null"), pytest.param(b'"x"', id="string")],
    )
    async def test_json_that_is_not_an_object_is_a_422(self, h: ServiceHarness, raw: bytes) -> None:
        response = await h.client.post(APPLICATIONS, content=raw, headers={"Content-Type": "application/json"})

        assert response.status_code == 422
        assert [e["loc"] for e in response.json()["detail"]] == [["body"]]


class TestApplicantSearchIsScopedInTheQuery:
    """The search filters by the caller's area in SQL: a page is full of the caller's records
    even when newer records of other areas outnumber the page (on SQLite and PostgreSQL)."""

    START = datetime(2026, 3, 1, tzinfo=UTC)

    async def submit(self, h: ServiceHarness, placements: list[tuple[str, UUID | None]]) -> None:
        """One application of the same applicant per (county, household), a minute apart."""
        from eligibility.applications.adapters.repository import ApplicationRepository
        from eligibility.applications.domain import rules as application_rules

        async with h.runtime.database.transaction() as session:
            for n, (county, household_id) in enumerate(placements):
                command = SubmitApplication(
                    assistance_type=AssistanceType.DIBAO,
                    region_code=county,
                    member_count=2,
                    applicant_name="张三",
                    applicant_resident_id=ResidentId(VALID_ID),
                    correlation_id=f"c-{n}",
                    household_id=household_id,
                )
                # stored directly: the same person in several households and counties is history
                # (moves, records before one-household-per-person), which submission now refuses
                application, _ = application_rules.submit_application(command, now=self.START + timedelta(minutes=n))
                await ApplicationRepository(session).add(application)

    async def search(self, h: ServiceHarness, scope: RegionScope, limit: int) -> list[str]:
        async with h.runtime.database.read() as session:
            found = await eligibility_service.applications_of_applicant(
                session, scope, ResidentId(VALID_ID), limit=limit
            )
        return [application.correlation_id for application in found]

    async def test_a_county_page_is_full_when_other_counties_outnumber_the_limit(self, tier_h: ServiceHarness) -> None:
        # three in 520102, then five newer ones in 520103: fetch-then-filter would find none
        await self.submit(tier_h, [("520102", None)] * 3 + [("520103", None)] * 5)

        page = await self.search(tier_h, RegionScope(AccessLevel.COUNTY, region_code="520102"), limit=2)

        assert page == ["c-2", "c-1"]  # full, the county's own, newest first
        assert len(await self.search(tier_h, CITY_WIDE, limit=200)) == 8

    async def test_a_citizen_page_holds_their_own_household_only(self, tier_h: ServiceHarness) -> None:
        own = uuid4()
        await self.submit(tier_h, [("520102", own)] * 2 + [("520102", None)] * 4)

        page = await self.search(tier_h, RegionScope(AccessLevel.HOUSEHOLD, household_id=str(own)), limit=2)

        assert page == ["c-1", "c-0"]

    async def test_a_caller_without_a_region_finds_nothing(self, tier_h: ServiceHarness) -> None:
        await self.submit(tier_h, [("520102", None)] * 2)

        assert await self.search(tier_h, RegionScope(AccessLevel.NONE), limit=200) == []
