"""Who may call what: every caller (one per role, plus citizens, departments, third parties and
edge cases) against every operation of every service.

Two layers:

1. The automatic matrix sends a request per cell and checks the service's decision against
   the route's declared requirement and the caller's effective scopes: refused (403
   `scope_missing`) exactly when a declared scope is missing, never 401/403/5xx otherwise. The
   operations are enumerated from the apps' routes, so new routes join without editing this file.
2. `REVIEWED` is the human-reviewed expectation of today's operations: which callers may reach
   each one. It is compared with what the declarations and `ROLE_SCOPES` grant, so a change of
   either that widens (or narrows) access fails here until someone reviews it; a route missing
   from the table fails with a message saying what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from jiuzhu_platform.auth import PRIVILEGED_SCOPES, ROLE_SCOPES, Requirement
from jiuzhu_platform.testing import ServiceHarness, TestIssuer
from tests.access.support import CALLERS, SERVICE_NAMES, Caller, Operation, dummy_request, operations

# --------------------------------------------------------------------------- the reviewed table

STAFF_READERS = frozenset({"town_caseworker", "county_approver", "city_admin", "auditor"})
POLICY_READERS = frozenset(
    {
        "town_caseworker",
        "county_approver",
        "city_admin",
        "auditor",
        "procurement_officer",
        "citizen",
        "department",
        "department_with_agreement",
        "department_pushing",
        "department_exchanging",
        "bank_with_agreement",
        "third_party",
        "provider_with_agreement",
    }
)
AUDITORS = frozenset({"auditor"})
APPLICANT_OR_TOWN = frozenset({"town_caseworker", "citizen"})
CASE_HANDLERS = frozenset({"town_caseworker", "county_approver"})
COUNTY_APPROVERS = frozenset({"county_approver"})
PAYMENT_OFFICERS = frozenset({"payment_officer"})
PAYMENT_READERS = frozenset({"payment_officer", "county_approver", "city_admin", "auditor"})
PROCUREMENT_OFFICERS = frozenset({"procurement_officer"})
PROVIDERS = frozenset({"provider_with_agreement"})  # a social organisation's client, by agreement
PROCUREMENT_READERS = frozenset({"city_admin", "auditor", "procurement_officer"}) | PROVIDERS

REVIEWED: Mapping[str, frozenset[str]] = {
    # eligibility
    "POST /v1/eligibility/applications": frozenset({"town_caseworker", "citizen"}),
    "GET /v1/eligibility/applications/{application_id}": STAFF_READERS | {"citizen"},
    "GET /v1/eligibility/applications/{application_id}/personal-data": frozenset({"county_approver"}),
    "POST /v1/eligibility/applications/search": STAFF_READERS | {"citizen"},
    "POST /v1/eligibility/assessments": frozenset({"town_caseworker", "county_approver", "city_admin"}),
    "POST /v1/eligibility/self-check": frozenset({"citizen"}),
    "GET /v1/eligibility/policies": POLICY_READERS,
    "GET /v1/eligibility/policies/{version}": POLICY_READERS,
    "GET /v1/eligibility/deadlines": POLICY_READERS,
    # the procedure: the route's scope admits the people of the action's capacities; the
    # service then checks the capacity itself (a citizen only as the applicant of their own
    # household, four-eyes, 回避) — see eligibility.procedure.api.routes._scope_for
    **{
        f"POST /v1/eligibility/applications/{{application_id}}/{action}": APPLICANT_OR_TOWN
        for action in (
            "request-supplement",
            "resubmit",
            "accept",
            "start-investigation",
            "record-home-visit",
            "record-placement",
            "request-verification",
            "notify-ineligible",
            "object",
            "close",
            "preliminary-review",
            "close-publicity",
            "record-publicity-objection",
            "revise-opinion",
            "withdraw",
        )
    },
    **{
        f"POST /v1/eligibility/applications/{{application_id}}/{action}": CASE_HANDLERS
        for action in ("record-self-care", "record-complaint", "approve", "reject", "terminate", "extend")
    },
    "POST /v1/eligibility/applications/{application_id}/record-county-visit": COUNTY_APPROVERS,
    "GET /v1/eligibility/applications/{application_id}/procedure": STAFF_READERS | {"citizen"},
    "GET /v1/eligibility/worklist": STAFF_READERS | {"citizen"},
    "GET /v1/eligibility/notices": STAFF_READERS | {"citizen"},
    "POST /v1/eligibility/staff-relatives": CASE_HANDLERS,
    "POST /v1/eligibility/applications/{application_id}/assign": CASE_HANDLERS,
    "GET /v1/eligibility/households/{household_id}": STAFF_READERS | {"citizen"},
    "GET /v1/eligibility/households/{household_id}/versions": STAFF_READERS | {"citizen"},
    "POST /v1/eligibility/households/search": STAFF_READERS | {"citizen"},
    "POST /v1/eligibility/households/citizen-binding": frozenset({"gateway_service"}),
    "POST /v1/eligibility/households/{household_id}/members": CASE_HANDLERS,
    "POST /v1/eligibility/households/{household_id}/members/{member_id}/leave": CASE_HANDLERS,
    "PATCH /v1/eligibility/households/{household_id}/members/{member_id}": CASE_HANDLERS,
    "POST /v1/eligibility/applications/{application_id}/assessments": CASE_HANDLERS,
    "GET /v1/eligibility/applications/{application_id}/assessments": STAFF_READERS | {"citizen"},
    "GET /v1/eligibility/cases": STAFF_READERS | {"citizen"},
    "GET /v1/eligibility/cases/{case_id}": STAFF_READERS | {"citizen"},
    "POST /v1/eligibility/cases/{case_id}/open-review": CASE_HANDLERS,
    "POST /v1/eligibility/cases/{case_id}/suspend": CASE_HANDLERS,
    "POST /v1/eligibility/cases/{case_id}/object-to-termination": APPLICANT_OR_TOWN,
    **{
        f"POST /v1/eligibility/cases/{{case_id}}/{action}": COUNTY_APPROVERS
        for action in ("complete-review", "change-amount", "resume", "terminate")
    },
    "POST /v1/eligibility/cases/housekeeping": COUNTY_APPROVERS,
    "POST /v1/eligibility/emergency-grants": CASE_HANDLERS,
    "POST /v1/eligibility/emergency-grants/{grant_id}/backfill": CASE_HANDLERS,
    "GET /v1/eligibility/temporary-grants": STAFF_READERS | {"citizen"},
    "GET /v1/eligibility/audit": AUDITORS,
    "GET /v1/eligibility/audit/verify": AUDITORS,
    # verification
    "POST /v1/verification/consents": frozenset({"town_caseworker", "citizen"}),
    # departments read consents only if their agreement grants verification:consents:read
    "GET /v1/verification/consents/{consent_id}": STAFF_READERS | {"citizen"},
    "GET /v1/verification/consents/{consent_id}/personal-data": frozenset({"county_approver"}),
    # a citizen may withdraw their own authorisation (citizens hold consents:write)
    "POST /v1/verification/consents/{consent_id}/revoke": frozenset({"town_caseworker", "citizen"}),
    # checks: the staff who handle cases ask the departments; readers of cases read the report
    "POST /v1/verification/checks": CASE_HANDLERS,
    "POST /v1/verification/checks/{check_id}/requery": CASE_HANDLERS,
    "GET /v1/verification/checks": STAFF_READERS,
    "GET /v1/verification/checks/{check_id}": STAFF_READERS,
    "GET /v1/verification/checks/{check_id}/report.html": STAFF_READERS,
    # department notices: pushed only by a department client whose agreement grants the push
    # scope (no role has it); read by the staff who act on them, city-wide (a notice is about a
    # person, not a household: it has no region; resident IDs masked)
    "POST /v1/verification/notices": frozenset({"department_pushing"}),
    "POST /v1/verification/notices/batch": frozenset({"department_pushing"}),
    "GET /v1/verification/notices": STAFF_READERS,
    "GET /v1/verification/notices/{notice_id}": STAFF_READERS,
    # the inter-department exchange (救助对象信息共享): departments whose agreement grants it ask who
    # receives assistance and subscribe to changes; no staff role (staff read cases in
    # eligibility); a transaction or subscription is only its own client's (checked in the service)
    "POST /v1/verification/exchange/search": frozenset({"department_exchanging"}),
    "GET /v1/verification/exchange/transactions/{transaction_id}": frozenset({"department_exchanging"}),
    "POST /v1/verification/exchange/subscribe": frozenset({"department_exchanging"}),
    "DELETE /v1/verification/exchange/subscriptions/{subscription_id}": frozenset({"department_exchanging"}),
    "GET /v1/verification/audit": AUDITORS,
    "GET /v1/verification/audit/verify": AUDITORS,
    # payment
    "POST /v1/payment/payroll-runs": frozenset({"payment_officer"}),
    "GET /v1/payment/payroll-runs/{payroll_run_id}": frozenset(
        {"county_approver", "city_admin", "auditor", "payment_officer"}
    ),
    # the payroll: payment officers run it; readers of payments follow it
    "GET /v1/payment/payroll-runs": PAYMENT_READERS,
    "GET /v1/payment/payroll-runs/{payroll_run_id}/detail": PAYMENT_READERS,
    "GET /v1/payment/payroll-runs/{payroll_run_id}/instructions": PAYMENT_READERS,
    "POST /v1/payment/payroll-runs/{payroll_run_id}/calculate": PAYMENT_OFFICERS,
    "POST /v1/payment/payroll-runs/{payroll_run_id}/approve": PAYMENT_OFFICERS,
    "POST /v1/payment/payroll-runs/{payroll_run_id}/export": PAYMENT_OFFICERS,
    # the bank file and its results: the bank (its agreement's scopes) or the payment office by hand
    "GET /v1/payment/payroll-runs/{payroll_run_id}/bank-file": frozenset({"payment_officer", "bank_with_agreement"}),
    "POST /v1/payment/payroll-runs/{payroll_run_id}/bank-results": frozenset(
        {"payment_officer", "bank_with_agreement"}
    ),
    # payee accounts: recorded at the town or by the payment office; confirmed by a second officer
    "POST /v1/payment/payee-accounts": frozenset({"town_caseworker", "payment_officer"}),
    "POST /v1/payment/payee-accounts/{account_id}/confirm": frozenset({"town_caseworker", "payment_officer"}),
    "GET /v1/payment/payee-accounts/{account_id}": PAYMENT_READERS,
    # recoveries: the payment office records repayments; the county decides write-offs and fines
    "GET /v1/payment/recoveries": PAYMENT_READERS,
    "GET /v1/payment/recoveries/{recovery_id}": PAYMENT_READERS,
    "POST /v1/payment/recoveries/{recovery_id}/repayments": PAYMENT_OFFICERS,
    "POST /v1/payment/recoveries/{recovery_id}/schedule": PAYMENT_OFFICERS,
    "POST /v1/payment/recoveries/{recovery_id}/write-off": COUNTY_APPROVERS,
    "POST /v1/payment/recoveries/{recovery_id}/fine": COUNTY_APPROVERS,
    # funds
    "PUT /v1/payment/budgets/{county_code}/{year}/{programme}": PAYMENT_OFFICERS,
    "GET /v1/payment/budgets/{county_code}/{year}": PAYMENT_READERS,
    "GET /v1/payment/audit": AUDITORS,
    "GET /v1/payment/audit/verify": AUDITORS,
    # monitoring
    "GET /v1/monitoring/households": STAFF_READERS | {"department_with_agreement"},
    "GET /v1/monitoring/households/{household_id}": STAFF_READERS | {"department_with_agreement"},
    "GET /v1/monitoring/households/{household_id}/chain": STAFF_READERS | {"department_with_agreement"},
    # early warning: the town disposes of its alerts (the county too, and it gets the escalated
    # ones); admins and auditors read; the county draws spot checks (双随机)
    "GET /v1/monitoring/alerts": STAFF_READERS,
    "GET /v1/monitoring/alerts/{alert_id}": STAFF_READERS,
    "POST /v1/monitoring/alerts/{alert_id}/disposal": CASE_HANDLERS,
    "POST /v1/monitoring/spot-checks": frozenset({"county_approver"}),
    "GET /v1/monitoring/spot-checks/{draw_id}": STAFF_READERS,
    "POST /v1/monitoring/spot-checks/{draw_id}/results": frozenset({"county_approver"}),
    "GET /v1/monitoring/spot-checks/{draw_id}/publication": STAFF_READERS,
    "GET /v1/monitoring/risk-scores": STAFF_READERS,
    "GET /v1/monitoring/statistics": STAFF_READERS,
    "GET /v1/monitoring/statistics/export": STAFF_READERS,
    "GET /v1/monitoring/statistics/charts": STAFF_READERS,
    "POST /v1/monitoring/imports/death-list": frozenset({"county_approver", "city_admin"}),
    "POST /v1/monitoring/imports/signal-list": frozenset({"county_approver", "city_admin"}),
    "POST /v1/monitoring/imports/integrity-list": frozenset({"county_approver", "city_admin"}),
    "POST /v1/monitoring/imports/anti-poverty-list": frozenset({"county_approver", "city_admin"}),
    "POST /v1/monitoring/discoveries": CASE_HANDLERS,
    "GET /v1/monitoring/discoveries": STAFF_READERS,
    "GET /v1/monitoring/discoveries/{discovery_id}": STAFF_READERS,
    "GET /v1/monitoring/imports/{import_id}": STAFF_READERS,
    "GET /v1/monitoring/audit": AUDITORS,
    "GET /v1/monitoring/audit/verify": AUDITORS,
    # procurement
    "POST /v1/procurement/providers": frozenset({"procurement_officer"}),
    "GET /v1/procurement/providers/{provider_id}": frozenset({"city_admin", "auditor", "procurement_officer"}),
    "GET /v1/procurement/providers": frozenset({"city_admin", "auditor", "procurement_officer"}),
    "GET /v1/procurement/providers/{provider_id}/profile": frozenset({"city_admin", "auditor", "procurement_officer"}),
    "PUT /v1/procurement/providers/{provider_id}/grade": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/providers/{provider_id}/conditions": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/providers/{provider_id}/violations": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/providers/{provider_id}/blacklist": PROCUREMENT_OFFICERS,
    "PUT /v1/procurement/providers/{provider_id}/client": PROCUREMENT_OFFICERS,
    "GET /v1/procurement/service-list": PROCUREMENT_READERS,
    "POST /v1/procurement/projects": PROCUREMENT_OFFICERS,
    "GET /v1/procurement/projects": PROCUREMENT_READERS,
    "GET /v1/procurement/projects/{project_id}": PROCUREMENT_READERS,
    "POST /v1/procurement/projects/{project_id}/bids": PROVIDERS,
    "GET /v1/procurement/projects/{project_id}/bids": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/projects/{project_id}/opening": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/projects/{project_id}/evaluation": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/projects/{project_id}/award": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/projects/{project_id}/contract": PROCUREMENT_OFFICERS,
    "GET /v1/procurement/contracts": PROCUREMENT_READERS,
    "GET /v1/procurement/contracts/{contract_id}": PROCUREMENT_READERS,
    "POST /v1/procurement/contracts/{contract_id}/steps": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/contracts/{contract_id}/supplements": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/contracts/{contract_id}/evaluations": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/care-assignments/{assignment_id}/complaints": PROCUREMENT_OFFICERS,
    "POST /v1/procurement/care-assignments/{assignment_id}/complaints/{complaint_id}/resolution": PROCUREMENT_OFFICERS,
    "GET /v1/procurement/contracts/{contract_id}/evaluations": PROCUREMENT_READERS,
    "GET /v1/procurement/contracts/{contract_id}/visits": frozenset({"auditor", "procurement_officer"}) | PROVIDERS,
    "GET /v1/procurement/care-assignments": frozenset({"auditor", "procurement_officer"}) | PROVIDERS,
    "PUT /v1/procurement/care-assignments/{assignment_id}/carer": PROVIDERS,
    "POST /v1/procurement/care-assignments/{assignment_id}/visits": PROVIDERS,
    "GET /v1/procurement/audit": AUDITORS,
    "GET /v1/procurement/audit/verify": AUDITORS,
}
"""Operation -> the callers (names in `CALLERS`) that may reach it. Reviewed by hand: change it
only together with a review of the access decision."""


def allowed(requirement: Requirement, caller: Caller) -> bool:
    return requirement.public or requirement.scopes <= caller.scopes


def table_problems(
    found: Iterable[Operation], table: Mapping[str, frozenset[str]], callers: Mapping[str, Caller]
) -> list[str]:
    """Why the reviewed table does not describe `found` (empty when it does)."""
    problems: list[str] = []
    keys = set()
    for operation in found:
        keys.add(operation.key)
        granted = sorted(name for name, c in callers.items() if allowed(operation.requirement, c))
        if operation.key not in table:
            problems.append(
                f"{operation.key} (requires {sorted(operation.requirement.scopes) or 'nothing: public'}) is not in "
                f"the reviewed access table: review who may call it and add it to REVIEWED in "
                f"tests/access/test_authorization_matrix.py (today it is granted to {granted})"
            )
            continue
        expected = table[operation.key]
        unknown = expected - set(callers)
        if unknown:
            problems.append(f"{operation.key}: REVIEWED names unknown callers {sorted(unknown)}")
        if set(granted) != expected:
            problems.append(
                f"{operation.key}: granted to {granted}, reviewed for {sorted(expected)} "
                f"(newly granted: {sorted(set(granted) - expected)}, newly refused: {sorted(expected - set(granted))})"
            )
    for stale in sorted(set(table) - keys):
        problems.append(f"{stale} is in REVIEWED but no service has it any more: remove it")
    return problems


def all_operations(harnesses: Mapping[str, ServiceHarness]) -> list[Operation]:
    return [o for name in SERVICE_NAMES for o in operations(harnesses[name].app)]


class TestReviewedTable:
    def test_every_role_has_a_caller_in_the_matrix(self) -> None:
        missing = sorted(set(ROLE_SCOPES) - set(CALLERS))

        assert missing == [], (
            f"roles {missing} are new in ROLE_SCOPES: give each a kind and a region in "
            "tests/access/support.py (_STAFF_REGIONS or _role_caller) and review its column in REVIEWED"
        )

    async def test_the_table_matches_what_the_declarations_grant(self, harnesses: dict[str, ServiceHarness]) -> None:
        problems = table_problems(all_operations(harnesses), REVIEWED, CALLERS)

        assert problems == [], "\n".join(problems)

    async def test_a_route_missing_from_the_table_fails_with_a_helpful_message(
        self, harnesses: dict[str, ServiceHarness]
    ) -> None:
        found = all_operations(harnesses)
        template = found[0]
        new = Operation("DELETE", "/v1/eligibility/applications/{application_id}", template.requirement, template.route)

        problems = table_problems([*found, new], REVIEWED, CALLERS)

        assert len(problems) == 1
        assert "DELETE /v1/eligibility/applications/{application_id}" in problems[0]
        assert "not in the reviewed access table" in problems[0]
        assert "add it to REVIEWED" in problems[0]

    async def test_a_widened_role_fails_the_review(self, harnesses: dict[str, ServiceHarness]) -> None:
        """What a careless change to ROLE_SCOPES would do: the table catches it."""
        widened = {
            **CALLERS,
            "town_caseworker": CALLERS["town_caseworker"].with_(
                extra_scopes=("eligibility:applications:approve", "pii:read_full")
            ),
        }

        problems = table_problems(all_operations(harnesses), REVIEWED, widened)

        assert any("personal-data" in p and "newly granted: ['town_caseworker']" in p for p in problems), "\n".join(
            problems
        )


class TestSeparationOfDuties:
    """Rules that must hold whatever the table says (so the table cannot be edited into a hole)."""

    async def test_only_auditors_read_the_audit_trail(self, harnesses: dict[str, ServiceHarness]) -> None:
        for operation in all_operations(harnesses):
            if "/audit" not in operation.path:
                continue
            readers = {name for name, c in CALLERS.items() if allowed(operation.requirement, c)}
            assert readers == {"auditor"}, operation.key

    async def test_only_county_approvers_read_full_personal_data(self, harnesses: dict[str, ServiceHarness]) -> None:
        full_value_routes = [o for o in all_operations(harnesses) if o.path.endswith("/personal-data")]

        assert len(full_value_routes) >= 2
        for operation in full_value_routes:
            assert "pii:read_full" in operation.requirement.scopes, operation.key
            readers = {name for name, c in CALLERS.items() if allowed(operation.requirement, c)}
            assert readers == {"county_approver"}, operation.key

    def test_no_role_both_writes_and_approves_applications(self) -> None:
        both = [
            role
            for role, scopes in ROLE_SCOPES.items()
            if {"eligibility:applications:write", "eligibility:applications:approve"} <= scopes
        ]

        assert both == []

    def test_clients_and_citizens_carry_no_privileged_scope(self) -> None:
        """Departments and third parties never; citizens only the binding of their own identity
        (`citizen_unbound`), nothing that reads or administers."""
        for name, c in CALLERS.items():
            if c.kind in ("department", "third_party"):
                assert not (c.scopes & PRIVILEGED_SCOPES), name
            if c.kind == "citizen":
                assert c.scopes & PRIVILEGED_SCOPES <= {"auth:identity:bind"}, name

    async def test_writers_by_duty(self, harnesses: dict[str, ServiceHarness]) -> None:
        writes = {o.key: o for o in all_operations(harnesses) if o.method == "POST" and not o.path.endswith("/search")}
        writes = {k: o for k, o in writes.items() if not o.path.endswith("/assessments")}  # what-ifs store nothing

        def writers(key: str) -> set[str]:
            return {name for name, c in CALLERS.items() if allowed(writes[key].requirement, c)}

        assert writers("POST /v1/eligibility/applications") == {"town_caseworker", "citizen"}
        assert "payment_officer" not in writers("POST /v1/eligibility/applications")
        assert "county_approver" not in writers("POST /v1/eligibility/applications")  # approvers do not apply
        assert writers("POST /v1/payment/payroll-runs") == {"payment_officer"}
        assert writers("POST /v1/procurement/providers") == {"procurement_officer"}
        assert writers("POST /v1/verification/notices") == {"department_pushing"}
        assert writers("POST /v1/verification/notices/batch") == {"department_pushing"}
        assert writers("POST /v1/verification/exchange/subscribe") == {"department_exchanging"}
        for name in ("department", "department_with_agreement", "third_party", "citizen_unbound", "auditor"):
            assert not any(name in writers(key) for key in writes), name

    async def test_third_parties_only_read_policies(self, harnesses: dict[str, ServiceHarness]) -> None:
        reachable = {o.key for o in all_operations(harnesses) if allowed(o.requirement, CALLERS["third_party"])}

        assert reachable
        assert all(key.startswith("GET /v1/eligibility/") for key in reachable), reachable
        assert reachable == {
            "GET /v1/eligibility/policies",
            "GET /v1/eligibility/policies/{version}",
            "GET /v1/eligibility/deadlines",
        }

    async def test_callers_without_a_known_role_reach_nothing(self, harnesses: dict[str, ServiceHarness]) -> None:
        for name in ("staff_without_role", "unknown_role", "citizen_unbound"):
            reachable = [o.key for o in all_operations(harnesses) if allowed(o.requirement, CALLERS[name])]
            assert reachable == [], name


# --------------------------------------------------------------------------- the automatic matrix


def describe(response: Any) -> str:
    return f"{response.status_code} {response.text[:200]}"


@pytest.mark.parametrize("caller_name", sorted(CALLERS))
@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_the_service_decides_as_declared(
    service: str, caller_name: str, harnesses: dict[str, ServiceHarness], issuer: TestIssuer
) -> None:
    h = harnesses[service]
    who = CALLERS[caller_name]
    found = operations(h.app)
    assert found, f"{service}: no operations enumerated"
    headers = who.headers(issuer)

    mismatches: list[str] = []
    outcomes: dict[str, int] = {"refused": 0, "passed": 0}
    for operation in found:
        response = await dummy_request(h.client, operation, headers)
        missing = sorted(operation.requirement.scopes - who.scopes)
        if missing and not operation.requirement.public:
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            detail = body.get("detail") if isinstance(body, dict) else None
            reason = body.get("reason") if isinstance(body, dict) else None
            if response.status_code != 403 or not isinstance(detail, str) or reason != "scope_missing":
                mismatches.append(f"{operation.key}: expected 403 scope_missing, got {describe(response)}")
            elif not all(scope in detail for scope in missing):
                mismatches.append(f"{operation.key}: the refusal does not name the missing {missing}: {detail}")
            outcomes["refused"] += 1
        else:
            if response.status_code in (401, 403) or response.status_code >= 500:
                mismatches.append(f"{operation.key}: expected the caller to pass, got {describe(response)}")
            outcomes["passed"] += 1

    assert mismatches == [], f"{caller_name} at {service}:\n" + "\n".join(mismatches)
    # Every service has audit routes only auditors pass, so each caller is refused somewhere
    # or (the auditor) passes somewhere: the matrix is never vacuous.
    assert outcomes["refused"] + outcomes["passed"] == len(found)
    assert outcomes["passed" if caller_name == "auditor" else "refused"] > 0, outcomes
