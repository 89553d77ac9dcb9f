"""The verification API over HTTP: a migrated SQLite database, the in-process bus, the real app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import AwareDatetime, TypeAdapter

from jiuzhu_platform.testing import ServiceHarness
from shared.events import ConsentRecorded, parse_event

VALID_ID = "11010519491231002X"
VALID_ID_MASKED = "1101**********002X"
TOPIC = "verification.events"
CONSENTS = "/v1/verification/consents"
FAR_FUTURE = "2999-01-01"
PAST_DAY = "2026-01-05"


def consent_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "household_id": str(uuid4()),
        "region_code": "520102",
        "subject_name": "李四",
        "subject_resident_id": VALID_ID,
        "purpose": "低保申请核对",
        "signed_on": PAST_DAY,
    }
    body.update(overrides)
    return body


class TestRecordConsent:
    async def test_valid_consent_is_stored_with_the_resident_id_masked(self, h: ServiceHarness) -> None:
        household_id = uuid4()

        response = await h.client.post(CONSENTS, json=consent_body(household_id=str(household_id)))

        assert response.status_code == 201
        body = response.json()
        UUID(body["id"])
        assert body["household_id"] == str(household_id)
        assert body["subject_name"] == "李四"
        assert body["subject_masked_id"] == VALID_ID_MASKED
        assert body["purpose"] == "低保申请核对"
        assert body["signed_on"] == PAST_DAY
        assert VALID_ID not in response.text

    async def test_signed_in_the_future_is_400_consent_signed_in_future(self, h: ServiceHarness) -> None:
        response = await h.client.post(
            CONSENTS, json=consent_body(signed_on=FAR_FUTURE), headers={"X-Request-ID": "req-future"}
        )

        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "ConsentSignedInFuture"
        assert body["detail"] == f"the consent cannot be signed in the future ({FAR_FUTURE})"
        assert body["message_zh"] == f"授权书签署日期不能晚于今天 ({FAR_FUTURE})"
        assert body["correlation_id"] == "req-future"

    async def test_refused_consent_is_neither_stored_nor_announced(self, h: ServiceHarness) -> None:
        await h.client.post(CONSENTS, json=consent_body(signed_on=FAR_FUTURE))

        assert await h.outbox_rows() == []
        assert await h.relay() == 0

    @pytest.mark.parametrize(
        ("field", "value", "error_type"),
        [
            pytest.param("subject_resident_id", "530102192005080119", "resident_id_check_digit", id="bad-check-digit"),
            pytest.param("subject_resident_id", VALID_ID[:17], "resident_id_length", id="17-digits"),
            pytest.param("signed_on", "2026-02-30", "date_from_datetime_parsing", id="impossible-date"),
            pytest.param("signed_on", "yesterday", "date_from_datetime_parsing", id="not-a-date"),
            pytest.param("household_id", "nope", "uuid_parsing", id="household-not-uuid"),
            pytest.param("subject_name", " ", "text_empty", id="blank-name"),
            pytest.param("purpose", "", "text_empty", id="empty-purpose"),
            pytest.param("purpose", "p" * 201, "string_too_long", id="purpose-201-chars"),
            pytest.param("relationship", "spouse", "extra_forbidden", id="unknown-field"),
        ],
    )
    async def test_invalid_field_is_a_422_naming_the_field(
        self, h: ServiceHarness, field: str, value: Any, error_type: str
    ) -> None:
        response = await h.client.post(CONSENTS, json=consent_body(**{field: value}))

        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "RequestValidationError"
        assert [(e["loc"], e["type"]) for e in body["detail"]] == [(["body", field], error_type)]
        assert "530102192005080119" not in response.text


class TestReadConsent:
    async def test_stored_consent_round_trips(self, h: ServiceHarness) -> None:
        created = await h.client.post(CONSENTS, json=consent_body())

        response = await h.client.get(f"{CONSENTS}/{created.json()['id']}")

        assert response.status_code == 200
        assert response.json() == created.json()
        recorded_at = response.json()["recorded_at"]
        assert recorded_at.endswith(("Z", "+00:00"))
        assert TypeAdapter(AwareDatetime).validate_python(recorded_at).utcoffset() == timedelta(0)

    async def test_unknown_id_is_404_consent_not_found(self, h: ServiceHarness) -> None:
        unknown = uuid4()

        response = await h.client.get(f"{CONSENTS}/{unknown}")

        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "ConsentNotFound"
        assert body["detail"] == f"consent {unknown} not found"
        assert body["message_zh"] == f"未找到授权书 {unknown}"


class TestConsentRecordedEvent:
    async def test_relay_publishes_one_event_keyed_by_household(self, h: ServiceHarness) -> None:
        household_id = uuid4()
        created = await h.client.post(
            CONSENTS, json=consent_body(household_id=str(household_id)), headers={"X-Request-ID": "req-consent"}
        )

        assert await h.relay() == 1

        (message,) = h.bus.messages(TOPIC)
        assert message.key == str(household_id).encode()
        assert VALID_ID.encode() not in message.value
        event = parse_event(message.value)
        assert isinstance(event, ConsentRecorded)
        assert event.type == "verification.consent_recorded.v1"
        assert event.subject == str(household_id)
        assert event.correlation_id == "req-consent"
        assert event.data.consent_id == UUID(created.json()["id"])
        assert event.data.household_id == household_id
        assert event.data.subject_masked_id == VALID_ID_MASKED
        assert event.data.purpose == "低保申请核对"

    async def test_second_relay_publishes_nothing(self, h: ServiceHarness) -> None:
        await h.client.post(CONSENTS, json=consent_body())
        await h.relay()

        assert await h.relay() == 0
        assert len(h.bus.messages(TOPIC)) == 1

    async def test_outbox_payload_holds_no_full_resident_id(self, h: ServiceHarness) -> None:
        await h.client.post(CONSENTS, json=consent_body())

        (row,) = await h.outbox_rows()
        assert VALID_ID.encode() not in bytes(row["payload"])
