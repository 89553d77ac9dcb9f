"""Region scoping per record: town caseworkers see their town, county staff their county (and its
towns), city-wide roles everything, citizens their own household, and a staff token of a
non-city-wide role without a region nothing at all. Records are created as the superuser."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from eligibility.applications.adapters.orm import application as application_table
from jiuzhu_platform.testing import ServiceHarness, TestIssuer
from shared.types import resident_id_check_digit
from tests.access.support import (
    CITIZEN_HOUSEHOLD,
    COUNTY,
    OTHER_COUNTY,
    OTHER_COUNTY_TOWN,
    OTHER_TOWN,
    RESIDENT_ID,
    TOWN,
    Caller,
    OpenHarness,
    assert_error_shape,
    caller,
    feed_register,
)

APPLICATIONS = "/v1/eligibility/applications"
CONSENTS = "/v1/verification/consents"
RUNS = "/v1/payment/payroll-runs"
HOUSEHOLDS = "/v1/monitoring/households"

OTHER_HOUSEHOLD = str(uuid.UUID("00000000-0000-4000-8000-0000000000b2"))


def application_body(
    region: str, town: str | None = None, household: str | None = None, resident_id: str = RESIDENT_ID
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "assistance_type": "dibao",
        "region_code": region,
        "member_count": 2,
        "applicant": {"name": "王五", "resident_id": resident_id},
    }
    if town is not None:
        body["town_code"] = town
    if household is not None:
        body["household_id"] = household
    return body


def consent_body(region: str, town: str | None = None, household: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "household_id": household or str(uuid.uuid4()),
        "region_code": region,
        "subject_name": "李四",
        "subject_resident_id": RESIDENT_ID,
        "purpose": "低保申请核对",
        "signed_on": "2026-01-05",
    }
    if town is not None:
        body["town_code"] = town
    return body


def another(n: int) -> str:
    """Another valid resident ID (the check digit computed)."""
    body = f"52010219751010{n:03d}"
    return body + resident_id_check_digit(body)


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


async def get_as(h: ServiceHarness, issuer: TestIssuer, who: Caller, path: str, **params: Any) -> httpx.Response:
    return await h.client.get(path, headers=who.headers(issuer), params=params)


async def post_as(h: ServiceHarness, issuer: TestIssuer, who: Caller, path: str, body: Any) -> httpx.Response:
    return await h.client.post(path, json=body, headers=who.headers(issuer))


def outcome(response: httpx.Response) -> int | str:
    """200, or the refusal reason of a 403 (anything else is returned as the status code)."""
    if response.status_code == 403:
        return str(assert_error_shape(response, 403)["reason"])
    return response.status_code


DENIED = "region_not_allowed"


# --------------------------------------------------------------------------- eligibility


@pytest.fixture
async def eligibility(open_harness: OpenHarness) -> ServiceHarness:
    return await open_harness("eligibility")


@pytest.fixture
async def applications(eligibility: ServiceHarness) -> dict[str, str]:
    """Applications in: the caseworker's town, another town of the county, the county without a
    town, a town of another county. Created by the (city-wide) superuser."""
    h = eligibility
    bodies = {
        # four households, four applicants (one household per resident ID)
        "own_town": application_body(COUNTY, TOWN, household=CITIZEN_HOUSEHOLD),
        "other_town": application_body(COUNTY, OTHER_TOWN, household=OTHER_HOUSEHOLD, resident_id=another(1)),
        "county_only": application_body(COUNTY, resident_id=another(2)),
        "other_county": application_body(OTHER_COUNTY, OTHER_COUNTY_TOWN, resident_id=another(3)),
    }
    ids = {}
    for name, body in bodies.items():
        ids[name] = (await created(await h.client.post(APPLICATIONS, json=body)))["id"]
    return ids


async def read_all(h: ServiceHarness, issuer: TestIssuer, who: Caller, ids: dict[str, str]) -> dict[str, Any]:
    return {name: outcome(await get_as(h, issuer, who, f"{APPLICATIONS}/{id_}")) for name, id_ in ids.items()}


class TestApplications:
    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            pytest.param(
                caller("town_caseworker"),
                {"own_town": 200, "other_town": DENIED, "county_only": DENIED, "other_county": DENIED},
                id="town-caseworker",
            ),
            pytest.param(
                caller("county_approver"),
                {"own_town": 200, "other_town": 200, "county_only": 200, "other_county": DENIED},
                id="county-approver",
            ),
            pytest.param(
                caller("city_admin"),
                {"own_town": 200, "other_town": 200, "county_only": 200, "other_county": 200},
                id="city-admin-no-region",
            ),
            pytest.param(
                caller("auditor"),
                {"own_town": 200, "other_town": 200, "county_only": 200, "other_county": 200},
                id="auditor-no-region",
            ),
            pytest.param(
                caller("city_admin", region=OTHER_COUNTY),
                {"own_town": DENIED, "other_town": DENIED, "county_only": DENIED, "other_county": 200},
                id="city-admin-with-a-region",
            ),
            pytest.param(
                caller("town_caseworker", region=None),
                {"own_town": DENIED, "other_town": DENIED, "county_only": DENIED, "other_county": DENIED},
                id="caseworker-without-region",
            ),
            pytest.param(
                caller("county_approver", region=None),
                {"own_town": DENIED, "other_town": DENIED, "county_only": DENIED, "other_county": DENIED},
                id="approver-without-region",
            ),
            pytest.param(
                caller("citizen"),
                {"own_town": 200, "other_town": DENIED, "county_only": DENIED, "other_county": DENIED},
                id="citizen-own-household",
            ),
            pytest.param(
                caller("citizen", household_id=None),
                {"own_town": DENIED, "other_town": DENIED, "county_only": DENIED, "other_county": DENIED},
                id="citizen-without-household",
            ),
            pytest.param(
                caller("department", extra_scopes=("eligibility:applications:read",), region=COUNTY),
                {"own_town": 200, "other_town": 200, "county_only": 200, "other_county": DENIED},
                id="department-with-an-agreement-in-its-county",
            ),
        ],
    )
    async def test_who_reads_which_application(
        self,
        eligibility: ServiceHarness,
        applications: dict[str, str],
        issuer: TestIssuer,
        who: Caller,
        expected: dict[str, Any],
    ) -> None:
        assert await read_all(eligibility, issuer, who, applications) == expected

    async def test_the_superuser_records_are_where_they_were_put(
        self, eligibility: ServiceHarness, applications: dict[str, str]
    ) -> None:
        towns = {
            name: (await eligibility.client.get(f"{APPLICATIONS}/{id_}")).json()["town_code"]
            for name, id_ in applications.items()
        }

        assert towns == {
            "own_town": TOWN,
            "other_town": OTHER_TOWN,
            "county_only": None,
            "other_county": OTHER_COUNTY_TOWN,
        }

    async def test_a_citizen_applies_for_their_own_household_by_default(
        self, eligibility: ServiceHarness, issuer: TestIssuer
    ) -> None:
        response = await post_as(eligibility, issuer, caller("citizen"), APPLICATIONS, application_body(COUNTY))

        assert (await created(response))["household_id"] == CITIZEN_HOUSEHOLD

    async def test_a_citizen_may_name_their_own_household(
        self, eligibility: ServiceHarness, issuer: TestIssuer
    ) -> None:
        body = application_body(COUNTY, household=CITIZEN_HOUSEHOLD)

        response = await post_as(eligibility, issuer, caller("citizen"), APPLICATIONS, body)

        assert (await created(response))["household_id"] == CITIZEN_HOUSEHOLD

    async def test_a_citizen_cannot_apply_for_another_household(
        self, eligibility: ServiceHarness, issuer: TestIssuer
    ) -> None:
        body = application_body(COUNTY, household=OTHER_HOUSEHOLD)

        response = await post_as(eligibility, issuer, caller("citizen"), APPLICATIONS, body)

        assert_error_shape(response, 403, DENIED)
        async with eligibility.runtime.database.transaction() as session:
            stored = (await session.execute(select(func.count()).select_from(application_table))).scalar_one()
        assert stored == 0

    async def test_an_unbound_citizen_cannot_apply(self, eligibility: ServiceHarness, issuer: TestIssuer) -> None:
        response = await post_as(
            eligibility, issuer, caller("citizen", household_id=None), APPLICATIONS, application_body(COUNTY)
        )

        assert_error_shape(response, 403, "household_not_bound")

    async def test_a_town_caseworker_files_in_their_own_town(
        self, eligibility: ServiceHarness, issuer: TestIssuer
    ) -> None:
        who = caller("town_caseworker")

        omitted = await created(await post_as(eligibility, issuer, who, APPLICATIONS, application_body(COUNTY)))
        explicit = await created(await post_as(eligibility, issuer, who, APPLICATIONS, application_body(COUNTY, TOWN)))

        assert omitted["town_code"] == explicit["town_code"] == TOWN
        assert outcome(await get_as(eligibility, issuer, who, f"{APPLICATIONS}/{omitted['id']}")) == 200

    @pytest.mark.parametrize(
        ("region", "town"),
        [(COUNTY, OTHER_TOWN), (OTHER_COUNTY, None), (OTHER_COUNTY, OTHER_COUNTY_TOWN)],
        ids=["other-town", "other-county", "other-county-town"],
    )
    async def test_a_town_caseworker_cannot_file_elsewhere(
        self, eligibility: ServiceHarness, issuer: TestIssuer, region: str, town: str | None
    ) -> None:
        response = await post_as(
            eligibility, issuer, caller("town_caseworker"), APPLICATIONS, application_body(region, town)
        )

        assert_error_shape(response, 403, DENIED)

    async def test_a_caseworker_without_a_region_cannot_file_anything(
        self, eligibility: ServiceHarness, issuer: TestIssuer
    ) -> None:
        response = await post_as(
            eligibility, issuer, caller("town_caseworker", region=None), APPLICATIONS, application_body(COUNTY, TOWN)
        )

        assert_error_shape(response, 403, DENIED)


# --------------------------------------------------------------------------- verification


class TestConsents:
    @pytest.fixture
    async def consents(self, open_harness: OpenHarness) -> tuple[ServiceHarness, dict[str, str]]:
        h = await open_harness("verification")
        bodies = {
            "own_town": consent_body(COUNTY, TOWN, household=CITIZEN_HOUSEHOLD),
            "county_only": consent_body(COUNTY),
            "other_county": consent_body(OTHER_COUNTY),
        }
        ids = {name: (await created(await h.client.post(CONSENTS, json=body)))["id"] for name, body in bodies.items()}
        return h, ids

    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            pytest.param(
                caller("town_caseworker"),
                {"own_town": 200, "county_only": DENIED, "other_county": DENIED},
                id="town-caseworker",
            ),
            pytest.param(
                caller("county_approver"),
                {"own_town": 200, "county_only": 200, "other_county": DENIED},
                id="county-approver",
            ),
            pytest.param(
                caller("city_admin"), {"own_town": 200, "county_only": 200, "other_county": 200}, id="city-admin"
            ),
            pytest.param(
                caller("county_approver", region=None),
                {"own_town": DENIED, "county_only": DENIED, "other_county": DENIED},
                id="approver-without-region",
            ),
            pytest.param(
                caller("citizen"),
                {"own_town": 200, "county_only": DENIED, "other_county": DENIED},
                id="citizen-own-household",
            ),
            # The department role holds verification:consents:read, but a consent is a household
            # record and the role has no household-data scope (HOUSEHOLD_DATA_SCOPES): documented,
            # and it leaves the role's consents:read with nothing it can read.
            pytest.param(
                # an agreement granting consent reads alone is no household-data scope
                caller("department", extra_scopes=("verification:consents:read",)),
                {"own_town": DENIED, "county_only": DENIED, "other_county": DENIED},
                id="department-without-household-data-scope",
            ),
        ],
    )
    async def test_who_reads_which_consent(
        self,
        consents: tuple[ServiceHarness, dict[str, str]],
        issuer: TestIssuer,
        who: Caller,
        expected: dict[str, Any],
    ) -> None:
        h, ids = consents

        got = {name: outcome(await get_as(h, issuer, who, f"{CONSENTS}/{id_}")) for name, id_ in ids.items()}

        assert got == expected

    async def test_a_town_caseworker_records_consents_in_their_town_only(
        self, open_harness: OpenHarness, issuer: TestIssuer
    ) -> None:
        h = await open_harness("verification")
        who = caller("town_caseworker")

        own = await created(await post_as(h, issuer, who, CONSENTS, consent_body(COUNTY)))
        elsewhere = await post_as(h, issuer, who, CONSENTS, consent_body(OTHER_COUNTY))

        assert own["town_code"] == TOWN
        assert_error_shape(elsewhere, 403, DENIED)

    async def test_a_citizen_records_consents_for_their_own_household_only(
        self, open_harness: OpenHarness, issuer: TestIssuer
    ) -> None:
        h = await open_harness("verification")
        who = caller("citizen")

        own = await post_as(h, issuer, who, CONSENTS, consent_body(COUNTY, household=CITIZEN_HOUSEHOLD))
        other = await post_as(h, issuer, who, CONSENTS, consent_body(COUNTY, household=OTHER_HOUSEHOLD))

        assert (await created(own))["household_id"] == CITIZEN_HOUSEHOLD
        assert_error_shape(other, 403, DENIED)


# --------------------------------------------------------------------------- payment


class TestPayrollRuns:
    @pytest.fixture
    async def runs(self, open_harness: OpenHarness) -> tuple[ServiceHarness, dict[str, str]]:
        h = await open_harness("payment")
        ids = {}
        for name, county in (("own_county", COUNTY), ("other_county", OTHER_COUNTY)):
            response = await h.client.post(RUNS, json={"period": "2026-02", "county_code": county})
            ids[name] = (await created(response))["id"]
        return h, ids

    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            pytest.param(caller("county_approver"), {"own_county": 200, "other_county": DENIED}, id="county-approver"),
            pytest.param(caller("payment_officer"), {"own_county": 200, "other_county": DENIED}, id="payment-officer"),
            pytest.param(caller("city_admin"), {"own_county": 200, "other_county": 200}, id="city-admin"),
            pytest.param(caller("auditor"), {"own_county": 200, "other_county": 200}, id="auditor"),
            pytest.param(
                caller("payment_officer", region=None),
                {"own_county": DENIED, "other_county": DENIED},
                id="payment-officer-without-region",
            ),
            pytest.param(
                caller("county_approver", region=TOWN),
                {"own_county": DENIED, "other_county": DENIED},
                id="town-level-token-and-county-records",
            ),
        ],
    )
    async def test_who_reads_which_run(
        self, runs: tuple[ServiceHarness, dict[str, str]], issuer: TestIssuer, who: Caller, expected: dict[str, Any]
    ) -> None:
        h, ids = runs

        got = {name: outcome(await get_as(h, issuer, who, f"{RUNS}/{id_}")) for name, id_ in ids.items()}

        assert got == expected

    @pytest.mark.parametrize(
        ("who", "county", "expected"),
        [
            pytest.param(caller("payment_officer"), COUNTY, 201, id="own-county"),
            pytest.param(caller("payment_officer"), OTHER_COUNTY, DENIED, id="other-county"),
            pytest.param(caller("payment_officer", region=None), COUNTY, DENIED, id="without-region"),
        ],
    )
    async def test_a_payment_officer_opens_runs_in_their_county_only(
        self, open_harness: OpenHarness, issuer: TestIssuer, who: Caller, county: str, expected: Any
    ) -> None:
        h = await open_harness("payment")

        response = await post_as(h, issuer, who, RUNS, {"period": "2026-03", "county_code": county})

        assert outcome(response) == expected


# --------------------------------------------------------------------------- monitoring


class TestMonitoringRegister:
    @pytest.fixture
    async def register(self, open_harness: OpenHarness) -> tuple[ServiceHarness, dict[str, str]]:
        h = await open_harness("monitoring")
        households = {
            "own_county_1": (uuid.UUID(CITIZEN_HOUSEHOLD), COUNTY, TOWN),
            "own_county_2": (uuid.uuid4(), COUNTY, None),
            "other_county": (uuid.uuid4(), OTHER_COUNTY, None),
            "third_county": (uuid.uuid4(), "520111", None),
        }
        for household_id, region, town in households.values():
            await feed_register(h, household_id, region, town)
        return h, {name: str(household_id) for name, (household_id, _, _) in households.items()}

    @pytest.mark.parametrize(
        ("who", "expected_regions"),
        [
            pytest.param(caller("county_approver"), [COUNTY, COUNTY], id="county-approver"),
            pytest.param(caller("city_admin"), sorted([COUNTY, COUNTY, OTHER_COUNTY, "520111"]), id="city-admin"),
            pytest.param(caller("auditor"), sorted([COUNTY, COUNTY, OTHER_COUNTY, "520111"]), id="auditor"),
            # A town-level caller sees the entries placed in its town only (not the county-only one).
            pytest.param(caller("town_caseworker"), [COUNTY], id="town-caseworker"),
            pytest.param(caller("town_caseworker", region=OTHER_TOWN), [], id="town-caseworker-other-town"),
            pytest.param(caller("department_with_agreement"), [COUNTY, COUNTY], id="department-agreement-in-county"),
            pytest.param(
                caller("department_with_agreement", region=None),
                sorted([COUNTY, COUNTY, OTHER_COUNTY, "520111"]),
                id="department-agreement-city-wide",
            ),
        ],
    )
    async def test_the_list_shows_the_callers_area_only(
        self,
        register: tuple[ServiceHarness, dict[str, str]],
        issuer: TestIssuer,
        who: Caller,
        expected_regions: list[str],
    ) -> None:
        h, _ = register

        response = await get_as(h, issuer, who, HOUSEHOLDS)

        assert response.status_code == 200, response.text
        page = response.json()
        assert sorted(item["region_code"] for item in page["items"]) == expected_regions
        assert page["total"] == len(expected_regions)

    async def test_totals_count_the_callers_area_not_the_page(
        self, register: tuple[ServiceHarness, dict[str, str]], issuer: TestIssuer
    ) -> None:
        h, _ = register

        page = (await get_as(h, issuer, caller("county_approver"), HOUSEHOLDS, limit=1)).json()
        second = (await get_as(h, issuer, caller("county_approver"), HOUSEHOLDS, limit=1, offset=1)).json()
        beyond = (await get_as(h, issuer, caller("county_approver"), HOUSEHOLDS, limit=1, offset=2)).json()

        assert (page["total"], len(page["items"])) == (2, 1)
        assert (second["total"], len(second["items"])) == (2, 1)
        assert page["items"][0]["household_id"] != second["items"][0]["household_id"]
        assert (beyond["total"], beyond["items"]) == (2, [])

    async def test_a_town_caseworker_reads_their_towns_entry_only(
        self, register: tuple[ServiceHarness, dict[str, str]], issuer: TestIssuer
    ) -> None:
        h, ids = register
        who = caller("town_caseworker")

        own = await get_as(h, issuer, who, f"{HOUSEHOLDS}/{ids['own_county_1']}")
        county_only = await get_as(h, issuer, who, f"{HOUSEHOLDS}/{ids['own_county_2']}")
        by_county = await get_as(h, issuer, who, HOUSEHOLDS, region_code=COUNTY)
        other_county = await get_as(h, issuer, who, HOUSEHOLDS, region_code=OTHER_COUNTY)

        assert own.status_code == 200
        assert own.json()["town_code"] == TOWN
        assert_error_shape(county_only, 403, DENIED)
        assert [item["household_id"] for item in by_county.json()["items"]] == [ids["own_county_1"]]
        assert_error_shape(other_county, 403, DENIED)

    async def test_filtering_by_another_area_is_refused(
        self, register: tuple[ServiceHarness, dict[str, str]], issuer: TestIssuer
    ) -> None:
        h, _ = register

        refused = await get_as(h, issuer, caller("county_approver"), HOUSEHOLDS, region_code=OTHER_COUNTY)
        own = await get_as(h, issuer, caller("county_approver"), HOUSEHOLDS, region_code=COUNTY)
        city = await get_as(h, issuer, caller("city_admin"), HOUSEHOLDS, region_code=OTHER_COUNTY)

        assert_error_shape(refused, 403, DENIED)
        assert own.json()["total"] == 2
        assert city.json()["total"] == 1

    async def test_staff_without_a_region_cannot_list(
        self, register: tuple[ServiceHarness, dict[str, str]], issuer: TestIssuer
    ) -> None:
        h, _ = register

        response = await get_as(h, issuer, caller("county_approver", region=None), HOUSEHOLDS)

        assert_error_shape(response, 403, DENIED)

    async def test_a_citizen_with_the_scope_lists_their_own_household_only(
        self, register: tuple[ServiceHarness, dict[str, str]], issuer: TestIssuer
    ) -> None:
        h, ids = register
        who = caller("citizen", extra_scopes=("monitoring:households:read",))

        page = (await get_as(h, issuer, who, HOUSEHOLDS)).json()

        assert [item["household_id"] for item in page["items"]] == [ids["own_county_1"]]
        assert page["total"] == 1

    @pytest.mark.parametrize(
        ("who", "expected"),
        [
            pytest.param(
                caller("county_approver"),
                {"own_county_1": 200, "own_county_2": 200, "other_county": DENIED, "third_county": DENIED},
                id="county-approver",
            ),
            pytest.param(
                caller("town_caseworker"),
                {"own_county_1": 200, "own_county_2": DENIED, "other_county": DENIED, "third_county": DENIED},
                id="town-caseworker",
            ),
            pytest.param(
                caller("city_admin"),
                {"own_county_1": 200, "own_county_2": 200, "other_county": 200, "third_county": 200},
                id="city-admin",
            ),
        ],
    )
    async def test_who_reads_which_household(
        self,
        register: tuple[ServiceHarness, dict[str, str]],
        issuer: TestIssuer,
        who: Caller,
        expected: dict[str, Any],
    ) -> None:
        h, ids = register

        got = {name: outcome(await get_as(h, issuer, who, f"{HOUSEHOLDS}/{id_}")) for name, id_ in ids.items()}

        assert got == expected
