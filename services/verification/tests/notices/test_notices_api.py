"""Pushing one department notice (SQLite, and PostgreSQL where writers race): accepted notices
are stored encrypted and announced with the person reference; a resent message is a duplicate
with no second effect; bad input is a 4xx in the common error shape with nothing written; a
kind the department does not report is a NACK; only department clients with the agreement
scope push, staff read (masked)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.pii import key_ring_of
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY, ServiceHarness, staged_unique_race
from shared.events import DepartmentNoticeReceived, parse_event
from shared.types import ResidentId, business_date
from verification.notices.adapters.orm import NOTICE_RESIDENT_ID, department_notice

from .support import (
    GAJ,
    NOTICES,
    OTHER_RESIDENT_ID,
    RESIDENT_ID,
    RESIDENT_ID_MASKED,
    department,
    envelope,
    every_raw_cell,
    notice_count,
)

KEY = person_ref_key_from_config(TEST_PERSON_REF_KEY)


def assert_error(response: Any, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert {"error", "reason", "detail", "message_zh", "correlation_id"} <= set(body), body
    assert body["reason"] == reason, body
    return dict(body)


class TestAcceptedNotice:
    async def test_is_stored_encrypted_and_announced_with_the_person_reference(self, h: ServiceHarness) -> None:
        async with department(h) as gaj:
            response = await gaj.post(NOTICES, json=envelope("gaj-1"))

        assert response.status_code == 201, response.text
        ack = response.json()
        assert ack["message_id"] == "gaj-1"
        assert ack["status"] == "accepted"
        notice_id = UUID(ack["notice_id"])
        assert RESIDENT_ID not in response.text
        # at rest: only ciphertext and the blind index, never the number
        cells = list(every_raw_cell(h))
        assert any(t == "department_notice" for t, _, _ in cells)
        assert [(t, c) for t, c, v in cells if RESIDENT_ID in v] == []
        # the event: the person reference under the city-wide key, no clear ID
        (row,) = await h.outbox_rows()
        assert RESIDENT_ID.encode() not in row["payload"]
        event = parse_event(row["payload"])
        assert isinstance(event, DepartmentNoticeReceived)
        expected = person_ref(ResidentId(RESIDENT_ID), KEY)
        assert event.data.person == expected
        assert event.subject == row["key"] == expected.ref
        assert event.data.notice_id == notice_id
        assert (event.data.department.value, event.data.kind.value) == ("public_security", "death")
        assert str(event.data.occurred_on) == "2026-11-30"
        assert event.type == "verification.department_notice_received.v1"
        assert await h.relay() == 1

    async def test_is_read_back_masked(self, h: ServiceHarness) -> None:
        async with department(h) as gaj:
            notice_id = (await gaj.post(NOTICES, json=envelope("gaj-2"))).json()["notice_id"]

        response = await h.client.get(f"{NOTICES}/{notice_id}")

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["masked_id"] == RESIDENT_ID_MASKED
        assert body["sender_client_id"] == GAJ
        assert body["person_ref"] == person_ref(ResidentId(RESIDENT_ID), KEY).ref
        assert RESIDENT_ID not in response.text


class TestDuplicate:
    async def test_the_same_message_again_is_a_duplicate_with_no_second_effect(self, h: ServiceHarness) -> None:
        async with department(h) as gaj:
            first = await gaj.post(NOTICES, json=envelope("gaj-dup"))
            again = await gaj.post(NOTICES, json=envelope("gaj-dup", resident_id=OTHER_RESIDENT_ID))

        assert first.status_code == 201
        assert again.status_code == 200, again.text
        assert again.json() == {**first.json(), "status": "duplicate"}
        assert await notice_count(h) == 1
        assert len(await h.outbox_rows()) == 1

    async def test_the_same_message_id_from_another_sender_is_another_notice(self, h: ServiceHarness) -> None:
        async with department(h) as gaj, department(h, "dept_gaj_yunyan") as other:
            first = await gaj.post(NOTICES, json=envelope("shared-id"))
            second = await other.post(NOTICES, json=envelope("shared-id"))

        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json()["notice_id"] != second.json()["notice_id"]
        assert await notice_count(h) == 2

    async def test_concurrent_copies_have_one_effect(self, tier_h: ServiceHarness) -> None:
        ring = key_ring_of(tier_h.runtime.database.engine.dialect)
        held = {
            "id": UUID(int=1),
            "sender_client_id": GAJ,
            "message_id": "raced",
            "department": "public_security",
            "kind": "death",
            "person_name": "held by the test",
            **NOTICE_RESIDENT_ID.values(ring, RESIDENT_ID),
            "masked_id": RESIDENT_ID_MASKED,
            "person_ref": "held",
            "occurred_on": business_date(tier_h.runtime.now()),
            "received_at": tier_h.runtime.now(),
            "correlation_id": "held",
        }
        async with department(tier_h) as gaj:
            race = await staged_unique_race(
                tier_h, department_notice, held, lambda: gaj.post(NOTICES, json=envelope("raced"))
            )

        statuses = sorted(r.status_code for r in race.responses)
        assert statuses == [200, 200, 200, 200, 201], [r.text for r in race.responses]
        assert len({r.json()["notice_id"] for r in race.responses}) == 1
        assert {r.json()["status"] for r in race.responses if r.status_code == 200} == {"duplicate"}
        postgres = tier_h.runtime.database.dialect == "postgresql"
        assert len(race.unique_violations) == (4 if postgres else 0)
        assert await notice_count(tier_h) == 1
        assert len(await tier_h.outbox_rows()) == 1


FUTURE = "2999-01-01"


class TestBadInput:
    @pytest.mark.parametrize(
        ("patch", "error_type"),
        [
            pytest.param({"resident_id": "530102192005080119"}, "resident_id_check_digit", id="bad-check-digit"),
            pytest.param({"resident_id": RESIDENT_ID[:17]}, "resident_id_length", id="17-digits"),
            pytest.param({"kind": "abducted_by_aliens"}, "enum", id="unknown-kind"),
            pytest.param({"department": "ministry_of_magic"}, "enum", id="unknown-department"),
            pytest.param({"occurred_on": "1899-12-31"}, "greater_than_equal", id="before-1900"),
            pytest.param({"occurred_on": "2026-02-30"}, "date_from_datetime_parsing", id="impossible-date"),
            pytest.param({"name": "李\u0000四"}, "text_control_char", id="nul-in-name"),
            pytest.param({"name": "李" * 101}, "string_too_long", id="huge-name"),
            pytest.param({"reference": "r" * 10_000}, "string_too_long", id="huge-reference"),
            pytest.param({"surprise": 1}, "extra_forbidden", id="unknown-field"),
        ],
    )
    async def test_a_bad_message_is_422_and_nothing_is_written(
        self, h: ServiceHarness, patch: dict[str, Any], error_type: str
    ) -> None:
        async with department(h) as gaj:
            response = await gaj.post(NOTICES, json=envelope("bad", **patch))

        body = assert_error(response, 422, "request_invalid")
        assert error_type in {e["type"] for e in body["detail"]}, body
        assert await notice_count(h) == 0
        assert await h.outbox_rows() == []

    @pytest.mark.parametrize(
        "message_id",
        [
            pytest.param("", id="empty"),
            pytest.param("m" * 101, id="101-chars"),
            pytest.param("m\u0000", id="nul"),
            pytest.param("with space", id="space"),
            pytest.param("编号", id="not-ascii"),
        ],
    )
    async def test_a_bad_message_id_is_422(self, h: ServiceHarness, message_id: str) -> None:
        async with department(h) as gaj:
            response = await gaj.post(NOTICES, json=envelope(message_id))

        assert_error(response, 422, "request_invalid")
        assert await notice_count(h) == 0

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            pytest.param(b"", "application/json", id="empty-body"),
            pytest.param(b'{"header": {"message_id": "m\x00"}}', "application/json", id="raw-nul-byte"),
            pytest.param(b"\xff\xfe not utf-8", "application/json", id="not-utf8"),
            pytest.param(b"[]", "application/json", id="not-an-object"),
            pytest.param(b'{"header": ' * 5000, "application/json", id="deeply-unclosed"),
            pytest.param(b"kind=death", "application/x-www-form-urlencoded", id="form"),
            pytest.param(b"<notice/>", "application/xml", id="xml"),
        ],
    )
    async def test_a_body_that_is_not_an_envelope_is_4xx_never_500(
        self, h: ServiceHarness, content: bytes, content_type: str
    ) -> None:
        async with department(h) as gaj:
            response = await gaj.post(NOTICES, content=content, headers={"content-type": content_type})

        assert 400 <= response.status_code < 500, response.text
        assert response.json()["reason"], response.text
        assert await notice_count(h) == 0
        assert await h.outbox_rows() == []


class TestRefusals:
    async def test_a_kind_the_department_does_not_report_is_a_nack(self, h: ServiceHarness) -> None:
        async with department(h, "dept_education") as education:
            response = await education.post(NOTICES, json=envelope("edu-1", department="education", kind="death"))

        body = assert_error(response, 422, "kind_not_reported_by_department")
        assert body["error"] == "NoticeRefused"
        assert await notice_count(h) == 0
        assert await h.outbox_rows() == []

    async def test_a_fact_dated_after_tomorrow_is_a_nack(self, h: ServiceHarness) -> None:
        day_after_tomorrow = business_date(h.runtime.now()) + timedelta(days=2)
        tomorrow = day_after_tomorrow - timedelta(days=1)
        async with department(h) as gaj:
            late = await gaj.post(NOTICES, json=envelope("late", occurred_on=str(day_after_tomorrow)))
            ok = await gaj.post(NOTICES, json=envelope("ok", occurred_on=str(tomorrow)))
            far = await gaj.post(NOTICES, json=envelope("far", occurred_on=FUTURE))

        assert_error(late, 422, "occurred_in_future")
        assert_error(far, 422, "occurred_in_future")
        assert ok.status_code == 201, ok.text
        assert await notice_count(h) == 1

    async def test_a_header_naming_another_sender_is_a_nack(self, h: ServiceHarness) -> None:
        body = envelope("spoof")
        body["header"]["sender_id"] = "dept_someone_else"
        async with department(h) as gaj:
            response = await gaj.post(NOTICES, json=body)

        assert_error(response, 422, "sender_mismatch")
        assert await notice_count(h) == 0


class TestWhoMayPushAndRead:
    async def test_a_department_without_the_agreement_scope_is_403(self, h: ServiceHarness) -> None:
        async with department(h, scopes=("monitoring:households:read",)) as gaj:
            response = await gaj.post(NOTICES, json=envelope())

        assert_error(response, 403, "scope_missing")
        assert await notice_count(h) == 0

    async def test_staff_do_not_push_even_with_the_scope(self, h: ServiceHarness) -> None:
        response = await h.client.post(NOTICES, json=envelope())  # every scope, but staff

        assert_error(response, 403, "not_a_department")
        assert await notice_count(h) == 0

    async def test_a_caseworker_has_no_push_scope(self, h: ServiceHarness) -> None:
        async with h.anonymous_client(kind="staff", roles=("town_caseworker",), region="520102001000") as town:
            response = await town.post(NOTICES, json=envelope())

        assert_error(response, 403, "scope_missing")

    async def test_the_pushing_department_does_not_read(self, h: ServiceHarness) -> None:
        async with department(h) as gaj:
            response = await gaj.get(NOTICES)

        assert_error(response, 403, "scope_missing")

    async def test_staff_read_city_wide_filtered_and_paged(self, h: ServiceHarness) -> None:
        async with department(h) as gaj, department(h, "dept_health") as health:
            await gaj.post(NOTICES, json=envelope("a", kind="hukou_moved", occurred_on="2026-10-01"))
            await gaj.post(NOTICES, json=envelope("b", occurred_on="2026-11-01"))
            await health.post(NOTICES, json=envelope("c", department="health", kind="hospitalised"))

        async with h.anonymous_client(kind="staff", roles=("town_caseworker",), region="520102001000") as town:
            everything = await town.get(NOTICES)
            deaths = await town.get(NOTICES, params={"kind": "death"})
            health_only = await town.get(NOTICES, params={"department": "health"})
            october = await town.get(NOTICES, params={"occurred_from": "2026-10-01", "occurred_to": "2026-10-31"})
            page = await town.get(NOTICES, params={"limit": 1, "offset": 1})
            bad = await town.get(NOTICES, params={"kind": "nope"})

        assert everything.json()["total"] == 3
        assert [n["message_id"] for n in deaths.json()["items"]] == ["b"]
        assert [n["message_id"] for n in health_only.json()["items"]] == ["c"]
        assert [n["message_id"] for n in october.json()["items"]] == ["a"]
        assert (page.json()["total"], len(page.json()["items"])) == (3, 1)
        assert RESIDENT_ID not in everything.text
        assert_error(bad, 422, "request_invalid")

    async def test_an_unknown_notice_is_404(self, h: ServiceHarness) -> None:
        response = await h.client.get(f"{NOTICES}/{UUID(int=7)}")

        assert_error(response, 404, "notice_not_found")
