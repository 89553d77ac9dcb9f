"""Personal data: resident IDs encrypted at rest and found by blind index, masked in every
ordinary response, and shown in full only to holders of `pii:read_full`, with a stated purpose
that lands on the audit trail."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import httpx
import pytest

from eligibility.applications.adapters.orm import APPLICANT_RESIDENT_ID
from jiuzhu_platform.testing import ServiceHarness, TestIssuer
from shared.types import resident_id_check_digit
from tests.access.support import (
    CITIZEN_HOUSEHOLD,
    COUNTY,
    OTHER_COUNTY,
    OTHER_RESIDENT_ID,
    OTHER_TOWN,
    RESIDENT_ID,
    RESIDENT_ID_MASKED,
    TOWN,
    Caller,
    OpenHarness,
    assert_error_shape,
    audit_rows,
    caller,
    cell_text,
    every_cell,
    raw_connection,
)
from verification.adapters.orm import SUBJECT_RESIDENT_ID

APPLICATIONS = "/v1/eligibility/applications"
SEARCH = "/v1/eligibility/applications/search"
CONSENTS = "/v1/verification/consents"
PURPOSE = "home_visit"
CIPHERTEXT = re.compile(r"^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+$")


def application_body(resident_id: str = RESIDENT_ID, region: str = COUNTY, town: str | None = TOWN) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assistance_type": "dibao",
        "region_code": region,
        "member_count": 2,
        "applicant": {"name": "张三", "resident_id": resident_id},
        "household_id": CITIZEN_HOUSEHOLD if town == TOWN else str(uuid.uuid4()),
    }
    if town is not None:
        body["town_code"] = town
    return body


async def stored_directly(h: ServiceHarness, body: dict[str, Any]) -> str:
    """An application row written without the submission rules (a record from before them)."""
    from eligibility.applications.adapters.repository import ApplicationRepository
    from eligibility.applications.api.schemas import ApplicationCreate
    from eligibility.applications.domain import rules

    command = ApplicationCreate.model_validate(body).to_command("history")
    application, _ = rules.submit_application(command, now=h.runtime.now())
    async with h.runtime.database.transaction() as session:
        await ApplicationRepository(session).add(application)
    return str(application.id)


def consent_body(resident_id: str = RESIDENT_ID, region: str = COUNTY) -> dict[str, Any]:
    return {
        "household_id": CITIZEN_HOUSEHOLD,
        "region_code": region,
        "subject_name": "李四",
        "subject_resident_id": resident_id,
        "purpose": "低保申请核对",
        "signed_on": "2026-01-05",
    }


def forms_of(resident_id: str) -> list[str]:
    """The value as it could be stored in the clear: as written, either case of the check
    character, and the 17-digit body."""
    return sorted({resident_id, resident_id.upper(), resident_id.lower(), resident_id[:17]})


def plaintext_cells(h: ServiceHarness, resident_id: str) -> list[str]:
    return [
        f"{table}.{column}"
        for table, column, value in every_cell(h)
        if any(form in cell_text(value) for form in forms_of(resident_id))
    ]


async def create(h: ServiceHarness, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await h.client.post(path, json=body)
    assert response.status_code == 201, response.text
    assert RESIDENT_ID not in response.text
    created = response.json()
    assert isinstance(created, dict)
    return created


@pytest.fixture
async def eligibility(open_harness: OpenHarness) -> ServiceHarness:
    return await open_harness("eligibility")


@pytest.fixture
async def verification(open_harness: OpenHarness) -> ServiceHarness:
    return await open_harness("verification")


# --------------------------------------------------------------------------- at rest


class TestEncryptedAtRest:
    @pytest.mark.parametrize("sent", [RESIDENT_ID, RESIDENT_ID.lower()], ids=["upper-x", "lower-x"])
    async def test_application_stores_a_token_and_a_blind_index_only(
        self, eligibility: ServiceHarness, sent: str
    ) -> None:
        created = await create(eligibility, APPLICATIONS, application_body(sent))

        with raw_connection(eligibility) as connection:
            stored, index, masked = connection.execute(
                f"SELECT {APPLICANT_RESIDENT_ID.name}, {APPLICANT_RESIDENT_ID.index_name}, applicant_masked_id "
                "FROM application WHERE id = ?",
                (uuid.UUID(created["id"]).hex,),
            ).fetchone()
        assert CIPHERTEXT.fullmatch(stored), stored
        assert RESIDENT_ID not in stored
        assert masked == RESIDENT_ID_MASKED
        assert re.fullmatch(r"[0-9a-f]{64}", index)
        assert index != hashlib.sha256(RESIDENT_ID.encode()).hexdigest()  # keyed, not a bare hash
        assert plaintext_cells(eligibility, RESIDENT_ID) == []  # no table, no column (outbox, audit too)

    async def test_equal_numbers_give_different_tokens_and_equal_indexes(self, eligibility: ServiceHarness) -> None:
        await create(eligibility, APPLICATIONS, application_body())
        await create(eligibility, APPLICATIONS, application_body())

        with raw_connection(eligibility) as connection:
            rows = connection.execute(
                f"SELECT {APPLICANT_RESIDENT_ID.name}, {APPLICANT_RESIDENT_ID.index_name} FROM application"
            ).fetchall()
        assert len({token for token, _ in rows}) == 2
        assert len({index for _, index in rows}) == 1

    async def test_consent_stores_a_token_and_a_blind_index_only(self, verification: ServiceHarness) -> None:
        created = await create(verification, CONSENTS, consent_body())

        with raw_connection(verification) as connection:
            stored, index = connection.execute(
                f"SELECT {SUBJECT_RESIDENT_ID.name}, {SUBJECT_RESIDENT_ID.index_name} FROM consent WHERE id = ?",
                (uuid.UUID(created["id"]).hex,),
            ).fetchone()
        assert CIPHERTEXT.fullmatch(stored), stored
        assert re.fullmatch(r"[0-9a-f]{64}", index)
        assert created["subject_masked_id"] == RESIDENT_ID_MASKED
        assert plaintext_cells(verification, RESIDENT_ID) == []

    async def test_the_plaintext_check_finds_a_number_in_the_clear(self, eligibility: ServiceHarness) -> None:
        """Control: `plaintext_cells` does find a number stored in the clear (here written into a
        column that is not encrypted, behind the service's back)."""
        created = await create(eligibility, APPLICATIONS, application_body())
        with raw_connection(eligibility) as connection:
            connection.execute(
                "UPDATE application SET correlation_id = ? WHERE id = ?",
                (f"req-{OTHER_RESIDENT_ID}", uuid.UUID(created["id"]).hex),
            )
            connection.commit()

        assert "application.correlation_id" in plaintext_cells(eligibility, OTHER_RESIDENT_ID)

    async def test_names_are_encrypted_at_rest_everywhere(
        self, eligibility: ServiceHarness, verification: ServiceHarness
    ) -> None:
        """Issue 15 #16: a person's name is in no cell of either database in the clear (the
        application, the household member, the consent; the outbox and audit rows too), and
        reads still give it back."""
        name = "欧阳明珠"
        created = await create(
            eligibility, APPLICATIONS, {**application_body(), "applicant": {"name": name, "resident_id": RESIDENT_ID}}
        )
        await create(verification, CONSENTS, {**consent_body(), "subject_name": name})

        for h in (eligibility, verification):
            clear = [f"{table}.{column}" for table, column, value in every_cell(h) if name in cell_text(value)]
            assert clear == [], f"{h.definition.name}: the name in clear in {clear}"
        with raw_connection(eligibility) as connection:
            (stored,) = connection.execute(
                "SELECT applicant_name FROM application WHERE id = ?", (uuid.UUID(created["id"]).hex,)
            ).fetchone()
        assert CIPHERTEXT.fullmatch(stored), stored
        read = await eligibility.client.get(f"{APPLICATIONS}/{created['id']}")
        assert read.status_code == 200, read.text
        assert name in read.text


# --------------------------------------------------------------------------- masked reads and search


class TestSearchAndMasking:
    @pytest.fixture
    async def applications(self, eligibility: ServiceHarness) -> dict[str, str]:
        bodies = {
            "own_town": application_body(RESIDENT_ID, COUNTY, TOWN),
            "other_town": application_body(RESIDENT_ID, COUNTY, OTHER_TOWN),
            "other_county": application_body(RESIDENT_ID, OTHER_COUNTY, None),
            "someone_else": application_body(OTHER_RESIDENT_ID, COUNTY, TOWN),
        }
        created: dict[str, str] = {}
        for name, body in bodies.items():
            if name in ("other_town", "other_county"):
                # the same person in other households is history now refused on submission
                # (one household per resident ID), stored directly as older records would be
                created[name] = await stored_directly(eligibility, body)
            else:
                created[name] = (await create(eligibility, APPLICATIONS, body))["id"]
        return created

    async def search(
        self, h: ServiceHarness, issuer: TestIssuer, who: Caller | None, resident_id: str
    ) -> httpx.Response:
        headers = who.headers(issuer) if who is not None else None
        return await h.client.post(SEARCH, json={"resident_id": resident_id}, headers=headers)

    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            pytest.param(None, {"own_town", "other_town", "other_county"}, id="superuser"),
            pytest.param(caller("county_approver"), {"own_town", "other_town"}, id="county-approver"),
            pytest.param(caller("town_caseworker"), {"own_town"}, id="town-caseworker"),
            pytest.param(caller("town_caseworker", region=OTHER_TOWN), {"other_town"}, id="other-town-caseworker"),
            pytest.param(caller("county_approver", region=OTHER_COUNTY), {"other_county"}, id="other-county"),
            pytest.param(caller("county_approver", region=None), set(), id="approver-without-region"),
            pytest.param(caller("citizen"), {"own_town"}, id="citizen-own-household"),
        ],
    )
    async def test_search_by_resident_id_is_filtered_to_the_callers_area(
        self,
        eligibility: ServiceHarness,
        applications: dict[str, str],
        issuer: TestIssuer,
        who: Caller | None,
        expected: set[str],
    ) -> None:
        response = await self.search(eligibility, issuer, who, RESIDENT_ID)

        assert response.status_code == 200, response.text
        found = {item["id"] for item in response.json()}
        assert found == {applications[name] for name in expected}
        assert all(item["applicant_masked_id"] == RESIDENT_ID_MASKED for item in response.json())
        assert RESIDENT_ID not in response.text

    async def test_search_normalises_and_tells_people_apart(
        self, eligibility: ServiceHarness, applications: dict[str, str], issuer: TestIssuer
    ) -> None:
        lower = await self.search(eligibility, issuer, None, RESIDENT_ID.lower())
        other = await self.search(eligibility, issuer, None, OTHER_RESIDENT_ID)
        body = "52010219900101123"
        nobody = await self.search(eligibility, issuer, None, body + resident_id_check_digit(body))

        assert {item["id"] for item in lower.json()} == {
            applications["own_town"],
            applications["other_town"],
            applications["other_county"],
        }
        assert [item["id"] for item in other.json()] == [applications["someone_else"]]
        assert (nobody.status_code, nobody.json()) == (200, [])

    async def test_a_malformed_number_is_refused_without_being_echoed(
        self, eligibility: ServiceHarness, applications: dict[str, str], issuer: TestIssuer
    ) -> None:
        bad = "110105194912310021"  # wrong check digit

        response = await self.search(eligibility, issuer, None, bad)

        assert_error_shape(response, 422)
        assert bad not in response.text

    async def test_an_ordinary_read_is_masked(
        self, eligibility: ServiceHarness, applications: dict[str, str], issuer: TestIssuer
    ) -> None:
        response = await eligibility.client.get(f"{APPLICATIONS}/{applications['own_town']}")

        assert response.status_code == 200
        assert response.json()["applicant_masked_id"] == RESIDENT_ID_MASKED
        assert RESIDENT_ID not in response.text
        assert RESIDENT_ID[:17] not in response.text


# --------------------------------------------------------------------------- full-value reads


FULL_VALUE_CASES = [
    pytest.param("eligibility", APPLICATIONS, application_body, "applicant_resident_id", id="application"),
    pytest.param("verification", CONSENTS, consent_body, "subject_resident_id", id="consent"),
]


@pytest.mark.parametrize(("service", "collection", "make_body", "field"), FULL_VALUE_CASES)
class TestFullValueReads:
    async def test_a_county_approver_reads_the_full_number_and_it_is_audited(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        collection: str,
        make_body: Any,
        field: str,
    ) -> None:
        h = await open_harness(service)
        record = await create(h, collection, make_body())
        who = caller("county_approver", subject="approver-0042")

        response = await h.client.get(
            f"{collection}/{record['id']}/personal-data",
            params={"purpose": PURPOSE},
            headers={**who.headers(issuer), "X-Request-ID": "pii-read-1"},
        )

        assert response.status_code == 200, response.text
        assert response.json()[field] == RESIDENT_ID
        (entry,) = await audit_rows(h, kind="pii_read")
        assert entry["purpose"] == PURPOSE
        assert entry["actor"] == "approver-0042"
        assert entry["actor_kind"] == "staff"
        assert entry["role"] == "county_approver"
        assert entry["region_code"] == COUNTY
        assert entry["target_id"] == record["id"]
        assert (
            entry["route"]
            == f"{collection}/{{{'application_id' if service == 'eligibility' else 'consent_id'}}}/personal-data"
        )
        assert entry["method"] == "GET"
        assert entry["outcome"] == "success"
        assert entry["correlation_id"] == "pii-read-1"
        assert entry["details"] == {"fields": [field]}
        assert RESIDENT_ID not in str(entry)

    @pytest.mark.parametrize(
        "params", [{}, {"purpose": ""}, {"purpose": "入户核查"}], ids=["missing", "empty", "free-text"]
    )
    async def test_no_stated_purpose_no_read(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        collection: str,
        make_body: Any,
        field: str,
        params: dict[str, str],
    ) -> None:
        h = await open_harness(service)
        record = await create(h, collection, make_body())

        response = await h.client.get(
            f"{collection}/{record['id']}/personal-data",
            params=params,
            headers=caller("county_approver").headers(issuer),
        )

        assert_error_shape(response, 422)
        assert RESIDENT_ID not in response.text
        assert await audit_rows(h, kind="pii_read") == []

    @pytest.mark.parametrize(
        ("who", "reason"),
        [
            pytest.param(caller("town_caseworker"), "scope_missing", id="town-caseworker"),
            pytest.param(caller("city_admin"), "scope_missing", id="city-admin"),
            pytest.param(caller("auditor"), "scope_missing", id="auditor"),
            pytest.param(caller("citizen"), "scope_missing", id="citizen-own-household"),
            pytest.param(caller("county_approver", region=OTHER_COUNTY), "region_not_allowed", id="other-county"),
        ],
    )
    async def test_others_are_refused_and_nothing_is_read(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        collection: str,
        make_body: Any,
        field: str,
        who: Caller,
        reason: str,
    ) -> None:
        h = await open_harness(service)
        record = await create(h, collection, make_body())

        response = await h.client.get(
            f"{collection}/{record['id']}/personal-data", params={"purpose": PURPOSE}, headers=who.headers(issuer)
        )

        assert_error_shape(response, 403, reason)
        assert RESIDENT_ID not in response.text
        assert await audit_rows(h, kind="pii_read") == []
        (refusal,) = await audit_rows(h, kind="authorization_refused")
        assert refusal["details"] == {"reason": reason}
        assert refusal["purpose"] is None
