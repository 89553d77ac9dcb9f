"""Issue 15 #8: the purpose of a full-value read is a code from a fixed list, and its optional
note passes the redaction filter and a length bound, so no resident ID, phone or bank account
number (nor a blank purpose) reaches the audit trail through it."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu_platform.purpose import MAX_NOTE_LENGTH, ReadPurpose, check_note
from jiuzhu_platform.testing import TestIssuer
from tests.access.support import RESIDENT_ID, OpenHarness, assert_error_shape, audit_rows, caller
from tests.access.test_personal_data import APPLICATIONS, CONSENTS, application_body, consent_body, create

PHONE = "13812345678"
BANK_CARD = "6222021234567890123"

CASES = [
    pytest.param("eligibility", APPLICATIONS, application_body, id="application"),
    pytest.param("verification", CONSENTS, consent_body, id="consent"),
]


class TestTheList:
    def test_every_code_has_both_labels(self) -> None:
        for code in ReadPurpose:
            assert code.label("zh-CN")
            assert code.label("en")
            assert code.label("zh-CN") != code.label("en")
        assert ReadPurpose.HOME_VISIT.label() == "入户核查"
        assert ReadPurpose.HOME_VISIT.label("en") == "home visit"

    @pytest.mark.parametrize(
        "note",
        [
            "   ",
            "\u3000",
            f"核查 {RESIDENT_ID}",
            f"电话 {PHONE}",
            f"卡号 {BANK_CARD}",
            "x" * (MAX_NOTE_LENGTH + 1),
            "a\nb",
        ],
        ids=["blank", "ideographic-space", "resident-id", "phone", "bank-card", "too-long", "newline"],
    )
    def test_a_note_that_could_carry_personal_data_is_refused(self, note: str) -> None:
        with pytest.raises(ValueError, match="/"):  # every refusal is worded in English / zh-CN
            check_note(note)

    def test_an_ordinary_note_passes(self) -> None:
        assert check_note("群众来电反映收入变化，第2次入户") == "群众来电反映收入变化，第2次入户"


@pytest.mark.parametrize(("service", "collection", "make_body"), CASES)
class TestFullValueReadPurpose:
    @pytest.mark.parametrize(
        "purpose",
        ["入户核查", f"入户核查 {RESIDENT_ID}", f"联系 {PHONE}", "   ", "HOME_VISIT"],
        ids=["free-text", "resident-id", "phone", "whitespace", "wrong-case"],
    )
    async def test_a_purpose_outside_the_list_is_422_and_not_recorded(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        collection: str,
        make_body: Any,
        purpose: str,
    ) -> None:
        h = await open_harness(service)
        record = await create(h, collection, make_body())

        response = await h.client.get(
            f"{collection}/{record['id']}/personal-data",
            params={"purpose": purpose},
            headers=caller("county_approver").headers(issuer),
        )

        body = assert_error_shape(response, 422)
        assert any(error["loc"][-1] == "purpose" for error in body["detail"]), body
        assert await audit_rows(h, kind="pii_read") == []

    @pytest.mark.parametrize(
        "note",
        [f"核查 {RESIDENT_ID}", f"电话 {PHONE}", f"卡号 {BANK_CARD}", " \t ", "长" * (MAX_NOTE_LENGTH + 1)],
        ids=["resident-id", "phone", "bank-card", "whitespace", "too-long"],
    )
    async def test_a_note_with_personal_data_or_blank_is_422(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        collection: str,
        make_body: Any,
        note: str,
    ) -> None:
        h = await open_harness(service)
        record = await create(h, collection, make_body())

        response = await h.client.get(
            f"{collection}/{record['id']}/personal-data",
            params={"purpose": "home_visit", "purpose_note": note},
            headers=caller("county_approver").headers(issuer),
        )

        body = assert_error_shape(response, 422)
        assert any(error["loc"][-1] == "purpose_note" for error in body["detail"]), body
        assert RESIDENT_ID not in response.text
        assert PHONE not in response.text
        assert await audit_rows(h, kind="pii_read") == []

    async def test_the_code_and_a_clean_note_are_recorded(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        collection: str,
        make_body: Any,
    ) -> None:
        h = await open_harness(service)
        record = await create(h, collection, make_body())

        response = await h.client.get(
            f"{collection}/{record['id']}/personal-data",
            params={"purpose": "complaint", "purpose_note": "信访件第12号"},
            headers=caller("county_approver").headers(issuer),
        )

        assert response.status_code == 200, response.text
        (entry,) = await audit_rows(h, kind="pii_read")
        assert entry["purpose"] == "complaint"
        assert entry["details"]["purpose_note"] == "信访件第12号"

    async def test_the_openapi_lists_the_codes(
        self, open_harness: OpenHarness, service: str, collection: str, make_body: Any
    ) -> None:
        h = await open_harness(service)
        schema = (await h.client.get("/openapi.json")).json()
        path = f"{collection}/{{{'application_id' if service == 'eligibility' else 'consent_id'}}}/personal-data"
        (purpose,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "purpose"]
        listed = (
            purpose["schema"].get("enum")
            or schema["components"]["schemas"][purpose["schema"]["$ref"].rsplit("/", 1)[-1]]["enum"]
        )
        assert set(listed) == {code.value for code in ReadPurpose}


async def test_a_consent_purpose_with_a_resident_id_is_refused(open_harness: OpenHarness) -> None:
    h = await open_harness("verification")

    response = await h.client.post(CONSENTS, json={**consent_body(), "purpose": f"低保核对 {PHONE}"})

    assert_error_shape(response, 422)
    assert PHONE not in response.text
