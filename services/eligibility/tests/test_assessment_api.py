"""Assessments and policy versions over HTTP: the real app on a migrated SQLite file.

POST /v1/eligibility/assessments is a what-if (nothing is stored); GET /v1/eligibility/policies
lists the effective-dated versions. Amounts come back as yuan strings with two places.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

import pytest
import yaml
from sqlalchemy import func, select

from eligibility.adapters.orm import outbox
from eligibility.applications.adapters.orm import application
from eligibility.policy.adapters.policy_files import POLICY_DIR
from eligibility.policy.domain.model import REQUIRED_PARAMETERS
from jiuzhu_platform.testing import ServiceHarness
from shared.types import resident_id_check_digit

ASSESSMENTS = "/v1/eligibility/assessments"
POLICIES = "/v1/eligibility/policies"
ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}


def resident_id(born: str, sequence: str = "001", area: str = "520102") -> str:
    body = area + born + sequence
    return body + resident_id_check_digit(body)


SELF_ID = resident_id("19840315", "011")  # 40 on 2024-07-01
SPOUSE_ID = resident_id("19850620", "022")
KID_ID = resident_id("20140315", "033")  # 10
ELDER_ID = resident_id("19490315", "045")  # 75
ALL_IDS = (SELF_ID, SPOUSE_ID, KID_ID, ELDER_ID)


def six_months(amount: str) -> list[str]:
    return [amount] * 6


def dibao_body() -> dict[str, Any]:
    """3 members in 520102, 2024-07: wage 1000 − 20% = 800; 3 × 850 − 800 = 1750; the child (10)
    adds 10% × 850 = 85 → 1835."""
    return {
        "region_code": "520102",
        "hukou_type": "urban",
        "benefit_month": "2024-07",
        "members": [
            {
                "member_id": "self",
                "resident_id": SELF_ID,
                "relationship": "self",
                "incomes": [{"category": "wage", "monthly": six_months("1000.00")}],
            },
            {"member_id": "spouse", "resident_id": SPOUSE_ID, "relationship": "spouse"},
            {"member_id": "kid", "resident_id": KID_ID, "relationship": "child"},
        ],
        "assets": {"financial": "10000.00", "dwellings": 1, "floor_area_m2": "60"},
        "applicant_name": "张三",
    }


def changed(path: tuple[str | int, ...], value: Any, body: dict[str, Any] | None = None) -> dict[str, Any]:
    out = copy.deepcopy(body or dibao_body())
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def assert_no_resident_id(text: str) -> None:
    for number in ALL_IDS:
        assert number not in text
        assert number[:17] not in text  # not even the body without the check digit


def assert_error_shape(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == error
    assert body["message_zh"]
    assert body["correlation_id"]
    assert_no_resident_id(response.text)
    return body


def field_errors(body: dict[str, Any]) -> list[tuple[list[Any], str]]:
    assert isinstance(body["detail"], list)
    return [(e["loc"], e["type"]) for e in body["detail"]]


# ------------------------------------------------------------------------------ assessments


class TestAssessDibaoHousehold:
    async def test_amounts_category_and_policy(self, module_h: ServiceHarness) -> None:
        response = await module_h.client.post(ASSESSMENTS, json=dibao_body())

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["category"] == "dibao"
        assert body["benefit_month"] == "2024-07"
        assert body["policy"] == {
            "version": "2024-07",
            "effective_from": "2024-07-01",
            "illustrative": True,
            "area_group": "six_districts",
            "hukou": "urban",
        }
        assert body["household_members"] == ["self", "spouse", "kid"]
        assert body["excluded_members"] == []
        assert body["household_income_monthly"] == "800.00"
        assert body["dibao_base"] == "1750.00"
        assert body["supplements"] == [{"member_id": "kid", "group": "minor", "amount": "85.00"}]
        assert body["dibao_total"] == "1835.00"
        assert body["monthly_total"] == "1835.00"
        assert body["tekun_persons"] == []
        assert body["phase_out_amount"] == "0.00"
        assert body["phase_out_until"] is None
        assert body["price_subsidy_per_person"] == "0.00"
        assert body["next_review"] == "2025-07"
        assert body["termination"] == []
        assert_no_resident_id(response.text)

    async def test_every_step_and_reason_is_explained_and_cited(self, module_h: ServiceHarness) -> None:
        body = (await module_h.client.post(ASSESSMENTS, json=dibao_body())).json()

        assert body["steps"]
        assert body["reasons"]
        for item in body["steps"] + body["reasons"]:
            assert item["message_zh"]
            assert item["message_en"]
            for parameter in item["parameters"]:
                assert parameter["version"] == "2024-07"
                assert parameter["source"] in ("illustrative", "national")
                assert parameter["value"]
        steps = {(s["code"], s["subject"]): s for s in body["steps"]}
        assert steps[("dibao.gap", None)]["value"] == "1750.00"
        assert steps[("dibao.gap", None)]["unit"] == "yuan"
        assert steps[("income.employment_cost_deduction", "self")]["value"] == "200.00"
        standard = steps[("policy.standard", None)]
        assert standard["value"] == "850.00"
        assert standard["parameters"] == [
            {
                "name": "dibao_standard.six_districts.urban",
                "value": "850",
                "unit": "yuan/person/month",
                "version": "2024-07",
                "source": "illustrative",
            }
        ]
        income = next(r for r in body["reasons"] if r["code"] == "dibao.income")
        assert income["passed"] is True
        assert (income["actual"], income["limit"]) == ("800.00", "2550.00")

    async def test_summary_in_both_languages(self, module_h: ServiceHarness) -> None:
        body = (await module_h.client.post(ASSESSMENTS, json=dibao_body())).json()

        assert "最低生活保障" in body["summary_zh"]
        assert "1835.00" in body["summary_zh"]
        assert "2024-07" in body["summary_zh"]
        assert "演示参数" in body["summary_zh"]
        assert "1835.00" in body["summary_en"]
        assert "2024-07" in body["summary_en"]
        assert "illustrative" in body["summary_en"]

    async def test_a_refusal_summary_names_the_failed_tests(self, module_h: ServiceHarness) -> None:
        body = changed(("assets", "company_shareholding"), True)

        result = (await module_h.client.post(ASSESSMENTS, json=body)).json()

        assert result["category"] == "not_eligible"
        assert result["monthly_total"] == "0.00"
        assert "不满足" in result["summary_zh"]
        assert "not met" in result["summary_en"]
        assert "2024-07" in result["summary_en"]

    async def test_nothing_is_stored(self, module_h: ServiceHarness) -> None:
        for _ in range(3):
            assert (await module_h.client.post(ASSESSMENTS, json=dibao_body())).status_code == 200

        assert await module_h.relay() == 0
        async with module_h.runtime.database.transaction() as session:
            assert (await session.execute(select(func.count()).select_from(outbox))).scalar_one() == 0
            assert (await session.execute(select(func.count()).select_from(application))).scalar_one() == 0

    async def test_the_june_benefit_month_uses_the_2023_version(self, module_h: ServiceHarness) -> None:
        # 2024-06 → version 2023-07, standard 800: 3 × 800 − 800 = 1600 + minor 10% × 800 = 80 → 1680
        body = (await module_h.client.post(ASSESSMENTS, json=changed(("benefit_month",), "2024-06"))).json()

        assert body["policy"]["version"] == "2023-07"
        assert body["policy"]["effective_from"] == "2023-07-01"
        assert body["dibao_total"] == "1680.00"


class TestAssessEdgeConversions:
    """What `AssessmentCreate.to_command` turns into the engine's facts."""

    async def test_self_care_tekun_and_prices(self, module_h: ServiceHarness) -> None:
        # 75, alone, no able supporter: 特困. Four self-care indicators failed → 全护理 1890;
        # basic ⌈1.3 × 850⌉ = 1105 → 2995. CPI 3.6%: ⌈850 × 3.6%⌉ = 31 for 1 person.
        body = {
            "region_code": "520103",
            "hukou_type": "rural",
            "benefit_month": "2024-07",
            "members": [
                {
                    "member_id": "elder",
                    "resident_id": ELDER_ID,
                    "relationship": "self",
                    "has_able_supporter": False,
                    "self_care": {"eating": False, "dressing": False, "bathing": False, "toileting": False},
                }
            ],
            "assets": {"financial": "0", "floor_area_m2": "40"},
            "prices": {"cpi_yoy_percent": "3.6", "food_cpi_yoy_percent": "2"},
        }

        response = await module_h.client.post(ASSESSMENTS, json=body)

        assert response.status_code == 200, response.text
        result = response.json()
        assert result["category"] == "tekun"
        assert result["tekun_persons"] == [
            {"member_id": "elder", "basic": "1105.00", "care_tier": "full", "care": "1890.00", "total": "2995.00"}
        ]
        assert result["monthly_total"] == "2995.00"
        assert result["price_subsidy_per_person"] == "31.00"
        assert result["price_subsidy_total"] == "31.00"
        assert result["next_review"] == "2025-07"
        assert "特困人员" in result["summary_zh"]

    async def test_phase_out_from_a_current_case(self, module_h: ServiceHarness) -> None:
        # wage 1500 × 0.8 = 1200 ≥ 850 for one person: 渐退 at the current 500 until 2024-12
        body = changed(("members",), [dibao_body()["members"][0]])
        body["members"][0]["incomes"] = [{"category": "wage", "monthly": six_months("1500")}]
        body["current_case"] = {"monthly_benefit": "500.00", "income_rise_from_employment": True}

        result = (await module_h.client.post(ASSESSMENTS, json=body)).json()

        assert result["category"] == "dibao_phase_out"
        assert result["phase_out_amount"] == "500.00"
        assert result["phase_out_until"] == "2024-12"
        assert result["monthly_total"] == "500.00"

    async def test_temporary_emergency(self, module_h: ServiceHarness) -> None:
        body = changed(("temporary",), {"kind": "emergency", "cause": "火灾", "requested": "3000"})

        result = (await module_h.client.post(ASSESSMENTS, json=body)).json()

        assert result["temporary"]["granted"] == "2550.00"  # 3 × 850
        assert result["temporary"]["case_by_case"] is True
        assert result["temporary"]["approval_level"] == "town"
        assert result["temporary"]["reasons"][0]["message_en"]

    async def test_dwellings_area_and_excluded_members(self, module_h: ServiceHarness) -> None:
        # The imprisoned spouse leaves the unit: 2 members, so 2 dwellings may total 30 × 2 = 60 m²;
        # 2 × 850 − 800 = 900 + the child's 85 = 985
        body = changed(("assets",), {"financial": "0", "dwellings": 2, "floor_area_m2": "60.00"})
        body["members"][1]["status"] = "imprisoned"

        result = (await module_h.client.post(ASSESSMENTS, json=body)).json()

        assert result["excluded_members"] == [{"member_id": "spouse", "reason": "imprisoned"}]
        assert result["dibao_total"] == "985.00"
        dwellings = next(r for r in result["reasons"] if r["code"] == "assets.dwellings")
        assert dwellings["passed"] is True
        assert dwellings["unit"] == "m2"
        assert (dwellings["actual"], dwellings["limit"]) == ("60", "60")

        body["assets"]["floor_area_m2"] = "60.01"
        result = (await module_h.client.post(ASSESSMENTS, json=body)).json()
        assert result["category"] != "dibao"

    async def test_integer_json_amounts_are_accepted(self, module_h: ServiceHarness) -> None:
        body = changed(("members", 0, "incomes", 0, "monthly"), [1000] * 6)

        result = (await module_h.client.post(ASSESSMENTS, json=body)).json()

        assert result["dibao_total"] == "1835.00"


class TestAssessInvalidInput:
    async def test_invalid_resident_id_check_digit(self, module_h: ServiceHarness) -> None:
        wrong = SPOUSE_ID[:17] + ("0" if SPOUSE_ID[17] != "0" else "1")

        response = await module_h.client.post(ASSESSMENTS, json=changed(("members", 1, "resident_id"), wrong))

        body = assert_error_shape(response, 422, "RequestValidationError")
        assert field_errors(body) == [(["body", "members", 1, "resident_id"], "resident_id_check_digit")]
        assert wrong not in response.text

    async def test_negative_income(self, module_h: ServiceHarness) -> None:
        body = changed(
            ("members", 1, "incomes"), [{"category": "transfer", "monthly": ["-1.00", *six_months("0")[1:]]}]
        )

        response = await module_h.client.post(ASSESSMENTS, json=body)

        body = assert_error_shape(response, 422, "RequestValidationError")
        assert (["body", "members", 1, "incomes", 0, "monthly", 0], "money_negative") in field_errors(body)

    @pytest.mark.parametrize(
        ("path", "loc"),
        [
            (("members", 0, "incomes", 0, "monthly", 0), ["body", "members", 0, "incomes", 0, "monthly", 0]),
            (("assets", "financial"), ["body", "assets", "financial"]),
        ],
    )
    async def test_float_money_is_refused(
        self, module_h: ServiceHarness, path: tuple[Any, ...], loc: list[Any]
    ) -> None:
        # JSON number 1000.5 parses to a float: Money refuses floats (money_float), never rounds them
        response = await module_h.client.post(ASSESSMENTS, json=changed(path, 1000.5))

        body = assert_error_shape(response, 422, "RequestValidationError")
        assert field_errors(body) == [(loc, "money_float")]

    async def test_more_than_two_decimals_is_refused(self, module_h: ServiceHarness) -> None:
        response = await module_h.client.post(ASSESSMENTS, json=changed(("assets", "financial"), "1.234"))

        body = assert_error_shape(response, 422, "RequestValidationError")
        assert field_errors(body) == [(["body", "assets", "financial"], "money_precision")]

    @pytest.mark.parametrize(
        ("code", "kind"),
        [("999999", "region_code_unknown"), ("520100", "region_not_county"), ("110105", "region_code_unknown")],
    )
    async def test_region_must_be_a_guiyang_county(self, module_h: ServiceHarness, code: str, kind: str) -> None:
        response = await module_h.client.post(ASSESSMENTS, json=changed(("region_code",), code))

        body = assert_error_shape(response, 422, "RequestValidationError")
        assert field_errors(body) == [(["body", "region_code"], kind)]

    @pytest.mark.parametrize(
        ("mutate", "expected"),
        [
            # no applicant
            (lambda b: b["members"][0].update(relationship="spouse"), [(["body", "members"], "applicant_count")]),
            # two applicants
            (lambda b: b["members"][1].update(relationship="self"), [(["body", "members"], "applicant_count")]),
            # the same member_id twice
            (lambda b: b["members"][2].update(member_id="self"), [(["body", "members"], "duplicate_member_id")]),
            # single_person_member_id naming nobody
            (
                lambda b: b.update(single_person_member_id="nobody"),
                [(["body", "single_person_member_id"], "unknown_member")],
            ),
            # a counted income over fewer than 6 months
            (
                lambda b: b["members"][0]["incomes"][0].update(monthly=["1000"] * 5),
                [(["body", "members", 0, "incomes", 0, "monthly"], "income_window_incomplete")],
            ),
            # a member born during the benefit month
            (
                lambda b: b["members"][2].update(resident_id=resident_id("20240715", "051")),
                [(["body", "members", 2, "resident_id"], "born_after_month")],
            ),
        ],
    )
    async def test_inconsistent_household(
        self, module_h: ServiceHarness, mutate: Any, expected: list[tuple[list[Any], str]]
    ) -> None:
        body = dibao_body()
        mutate(body)

        response = await module_h.client.post(ASSESSMENTS, json=body)

        error = assert_error_shape(response, 422, "InconsistentHousehold")
        assert field_errors(error) == expected
        assert all(e["msg"] for e in error["detail"])

    async def test_excluded_income_may_cover_fewer_months(self, module_h: ServiceHarness) -> None:
        body = changed(("members", 1, "incomes"), [{"category": "excluded_reward", "monthly": ["500"]}])

        assert (await module_h.client.post(ASSESSMENTS, json=body)).status_code == 200

    @pytest.mark.parametrize("month", ["2020-01", "2023-06"])
    async def test_a_month_before_any_policy_version(self, module_h: ServiceHarness, month: str) -> None:
        response = await module_h.client.post(ASSESSMENTS, json=changed(("benefit_month",), month))

        assert 400 <= response.status_code < 500
        body = assert_error_shape(response, 404, "PolicyNotInForce")
        assert "没有生效的政策参数版本" in body["message_zh"]

    @pytest.mark.parametrize("month", ["2024-13", "2024-7", "July"])
    async def test_a_malformed_month(self, module_h: ServiceHarness, month: str) -> None:
        response = await module_h.client.post(ASSESSMENTS, json=changed(("benefit_month",), month))

        body = assert_error_shape(response, 422, "RequestValidationError")
        assert [loc for loc, _ in field_errors(body)] == [["body", "benefit_month"]]

    async def test_no_resident_id_in_any_response(self, module_h: ServiceHarness) -> None:
        bodies = [
            dibao_body(),
            changed(("members", 0, "relationship"), "spouse"),
            changed(("members", 0, "resident_id"), SELF_ID[:17] + "Y"),
            changed(("members", 0, "incomes", 0, "monthly"), ["1"] * 3),
            changed(("benefit_month",), "2020-01"),
            changed(("members", 2, "sanwu"), "not-a-bool"),
        ]
        for body in bodies:
            response = await module_h.client.post(ASSESSMENTS, json=body)
            assert response.status_code != 500
            assert_no_resident_id(response.text)


# ------------------------------------------------------------------------------ policies


def demo_yaml() -> dict[str, Any]:
    with (POLICY_DIR / "guiyang-demo.yaml").open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict)
    return data


class TestPolicies:
    async def test_list_both_versions_with_effective_dates(self, module_h: ServiceHarness) -> None:
        response = await module_h.client.get(POLICIES)

        assert response.status_code == 200
        assert [(v["version"], v["effective_from"], v["illustrative"]) for v in response.json()] == [
            ("2023-07", "2023-07-01", True),
            ("2024-07", "2024-07-01", True),
        ]
        assert all(v["policy_set"] == "guiyang-demo" and v["title"] for v in response.json())

    async def test_one_version_has_every_parameter_with_its_source(self, module_h: ServiceHarness) -> None:
        response = await module_h.client.get(f"{POLICIES}/2024-07")

        assert response.status_code == 200
        body = response.json()
        assert body["version"] == "2024-07"
        assert body["effective_from"] == "2024-07-01"
        parameters = body["parameters"]
        expected_names = set(demo_yaml()["versions"][1]["parameters"])
        assert set(parameters) == expected_names
        assert set(parameters) >= REQUIRED_PARAMETERS
        for name, parameter in parameters.items():
            assert parameter["source"] in ("illustrative", "national"), name
            assert parameter["unit"], name
            assert parameter["value"], name
        assert parameters["dibao_standard.six_districts.urban"]["value"] == "850"
        assert parameters["dibao_standard.six_districts.urban"]["source"] == "illustrative"
        assert parameters["dibao_standard.three_counties_one_city.rural"]["value"] == "525"
        assert parameters["marginal.income_multiple"]["source"] == "national"

    async def test_the_older_version_keeps_its_values(self, module_h: ServiceHarness) -> None:
        parameters = (await module_h.client.get(f"{POLICIES}/2023-07")).json()["parameters"]

        assert parameters["dibao_standard.six_districts.urban"]["value"] == "800"
        assert parameters["dibao_standard.three_counties_one_city.urban"]["value"] == "760"
        assert parameters["dibao_standard.three_counties_one_city.rural"]["value"] == "500"

    @pytest.mark.parametrize("version", ["2099-01", "2024-06"])
    async def test_unknown_version(self, module_h: ServiceHarness, version: str) -> None:
        response = await module_h.client.get(f"{POLICIES}/{version}")

        body = assert_error_shape(response, 404, "PolicyVersionNotFound")
        assert version in body["detail"]

    @pytest.mark.parametrize("version", ["nope", "11010519491231002X"])
    async def test_a_malformed_version_is_a_422_that_does_not_echo_it(
        self, module_h: ServiceHarness, version: str
    ) -> None:
        response = await module_h.client.get(f"{POLICIES}/{version}")

        assert_error_shape(response, 422, "RequestValidationError")
        assert version not in response.text


class TestSelfCheck:
    """Citizens check their own household (the README's promise; it was a 403)."""

    async def test_a_citizen_self_checks_in_plain_words(self, module_h: ServiceHarness) -> None:
        async with module_h.anonymous_client(kind="citizen", roles=("citizen",), household_id=str(uuid4())) as citizen:
            response = await citizen.post("/v1/eligibility/self-check", json=dibao_body())
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["category"] == "dibao"
            assert body["monthly_total"] == "1835.00"
            assert "1835.00" in body["message"]
            assert "not a decision" in body["message_en"]
            assert_no_resident_id(response.text)
            staff_only = await citizen.post(ASSESSMENTS, json=dibao_body())
            assert staff_only.status_code == 403

    async def test_a_city_administrator_may_run_assessments(self, module_h: ServiceHarness) -> None:
        async with module_h.anonymous_client(kind="staff", roles=("city_admin",)) as admin:
            assert (await admin.post(ASSESSMENTS, json=dibao_body())).status_code == 200


class TestBirthDateWithoutAnId:
    """A what-if may say "aged 10" without forging a resident ID (issue 10)."""

    def kid_by_birth(self, born: str, **extra: Any) -> dict[str, Any]:
        body = dibao_body()
        body["members"][2] = {"member_id": "kid", "birth_date": born, "relationship": "child", **extra}
        return body

    async def test_a_birth_date_gives_the_same_answer_as_the_id(self, module_h: ServiceHarness) -> None:
        by_id = (await module_h.client.post(ASSESSMENTS, json=dibao_body())).json()
        by_birth = await module_h.client.post(ASSESSMENTS, json=self.kid_by_birth("2014-03-15"))
        assert by_birth.status_code == 200, by_birth.text
        assert by_birth.json()["monthly_total"] == by_id["monthly_total"] == "1835.00"

    @pytest.mark.parametrize(
        ("member", "error"),
        [
            ({"member_id": "kid", "relationship": "child"}, "member_birth_unknown"),
            (
                {"member_id": "kid", "relationship": "child", "resident_id": KID_ID, "birth_date": "2014-03-16"},
                "birth_date_mismatch",
            ),
            ({"member_id": "kid", "relationship": "child", "birth_date": "1800-01-01"}, "greater_than_equal"),
            ({"member_id": "kid", "relationship": "child", "birth_date": "2014-02-30"}, "date_from_datetime_parsing"),
        ],
    )
    async def test_refusals(self, module_h: ServiceHarness, member: dict[str, Any], error: str) -> None:
        body = dibao_body()
        body["members"][2] = member
        response = await module_h.client.post(ASSESSMENTS, json=body)
        assert response.status_code == 422, response.text
        assert error in response.text


class TestMixedHukou:
    """A mixed urban/rural household: each member's 户籍 type; the standard follows the applicant's."""

    async def test_the_applicants_hukou_sets_the_standard(self, module_h: ServiceHarness) -> None:
        urban = (await module_h.client.post(ASSESSMENTS, json=dibao_body())).json()
        body = dibao_body()
        del body["hukou_type"]
        body["members"][0]["hukou_type"] = "rural"
        body["members"][1]["hukou_type"] = "urban"
        rural = await module_h.client.post(ASSESSMENTS, json=body)
        assert rural.status_code == 200, rural.text
        assert rural.json()["policy"]["hukou"] == "rural"
        assert urban["policy"]["hukou"] == "urban"

    async def test_no_hukou_anywhere_is_a_clear_422(self, module_h: ServiceHarness) -> None:
        body = dibao_body()
        del body["hukou_type"]
        response = await module_h.client.post(ASSESSMENTS, json=body)
        assert response.status_code == 422
        assert "hukou_type_missing" in response.text
