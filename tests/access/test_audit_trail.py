"""The access audit trail: every state change is recorded with who, where, what and the request's
correlation id; only auditors read the trail (and their reads are recorded); the hash chain
detects tampering, through the API and the services' `verify-audit` command."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from jiuzhu_platform import audit
from jiuzhu_platform.audit import drop_append_only_ddl
from jiuzhu_platform.testing import ServiceHarness, TestIssuer
from tests.access.support import (
    CALLERS,
    COUNTY,
    RESIDENT_ID,
    SERVICE_NAMES,
    Caller,
    OpenHarness,
    audit_rows,
    caller,
    database_file,
    raw_connection,
)

WRITES = [
    pytest.param(
        "eligibility",
        "/v1/eligibility/applications",
        {
            "assistance_type": "dibao",
            "region_code": COUNTY,
            "member_count": 1,
            "applicant": {"name": "赵六", "resident_id": RESIDENT_ID},
        },
        caller("town_caseworker", subject="caseworker-7"),
        id="eligibility-application-by-caseworker",
    ),
    pytest.param(
        "eligibility",
        "/v1/eligibility/applications",
        {
            "assistance_type": "dibao",
            "region_code": COUNTY,
            "member_count": 1,
            "applicant": {"name": "赵六", "resident_id": RESIDENT_ID},
        },
        caller("citizen", subject="citizen-88"),
        id="eligibility-application-by-citizen",
    ),
    pytest.param(
        "verification",
        "/v1/verification/consents",
        {
            "household_id": str(uuid.uuid4()),
            "region_code": COUNTY,
            "subject_name": "李四",
            "subject_resident_id": RESIDENT_ID,
            "purpose": "低保申请核对",
            "signed_on": "2026-01-05",
        },
        caller("town_caseworker", subject="caseworker-7"),
        id="verification-consent",
    ),
    pytest.param(
        "payment",
        "/v1/payment/payroll-runs",
        {"period": "2026-04", "county_code": COUNTY},
        caller("payment_officer", subject="payer-3"),
        id="payment-run",
    ),
    pytest.param(
        "procurement",
        "/v1/procurement/providers",
        {"credit_code": "91512081MA62K0260E", "name": "某某养老服务中心"},
        caller("procurement_officer", subject="buyer-1"),
        id="procurement-provider",
    ),
]


def refuse_anonymously(h: ServiceHarness, count: int) -> Any:
    """`count` refused (401) requests: each one appends an entry to the trail."""

    async def run() -> None:
        async with h.anonymous_client() as client:
            for n in range(count):
                response = await client.get(f"/v1/{h.definition.name}/audit", headers={"X-Request-ID": f"anon-{n}"})
                assert response.status_code == 401

    return run()


def drop_guards(h: ServiceHarness, connection: sqlite3.Connection) -> None:
    table = h.definition.audit
    assert table is not None
    for statement in drop_append_only_ddl(table, "sqlite"):
        connection.execute(statement)


class TestStateChanges:
    @pytest.mark.parametrize(("service", "path", "body", "who"), WRITES)
    async def test_a_change_is_recorded_with_who_where_what(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        path: str,
        body: dict[str, Any],
        who: Caller,
    ) -> None:
        h = await open_harness(service)

        response = await h.client.post(
            path, json=body, headers={**who.headers(issuer), "X-Request-ID": f"change-{service}"}
        )

        assert response.status_code == 201, response.text
        (entry,) = await audit_rows(h, kind="state_change")
        assert entry["actor"] == who.actor
        assert entry["actor_kind"] == who.kind
        assert entry["role"] == ",".join(sorted(who.roles))
        assert entry["region_code"] == who.region
        assert entry["route"] == path
        assert entry["method"] == "POST"
        assert entry["target_id"] == response.json()["id"]
        assert entry["correlation_id"] == f"change-{service}"
        assert entry["outcome"] == "success"
        assert entry["purpose"] is None
        assert RESIDENT_ID not in str(entry)
        assert RESIDENT_ID[:17] not in str(entry)

    @pytest.mark.parametrize(("service", "path", "body", "who"), WRITES)
    async def test_a_refused_or_invalid_change_records_no_state_change(
        self,
        open_harness: OpenHarness,
        issuer: TestIssuer,
        service: str,
        path: str,
        body: dict[str, Any],
        who: Caller,
    ) -> None:
        h = await open_harness(service)
        outsider = caller("third_party")

        invalid = await h.client.post(path, json={**body, "unexpected": 1}, headers=who.headers(issuer))
        refused = await h.client.post(path, json=body, headers=outsider.headers(issuer))

        assert invalid.status_code == 422
        assert refused.status_code == 403
        assert await audit_rows(h, kind="state_change") == []
        (refusal,) = await audit_rows(h, kind="authorization_refused")
        assert refusal["route"] == path

    async def test_the_route_is_the_template_not_the_concrete_path(
        self, open_harness: OpenHarness, issuer: TestIssuer
    ) -> None:
        h = await open_harness("eligibility")
        application_id = str(uuid.uuid4())

        response = await h.client.get(
            f"/v1/eligibility/applications/{application_id}/personal-data",
            params={"purpose": "home_visit", "purpose_note": RESIDENT_ID},
            headers=caller("town_caseworker").headers(issuer),
        )

        assert response.status_code == 403
        (entry,) = await audit_rows(h)
        assert entry["route"] == "/v1/eligibility/applications/{application_id}/personal-data"
        assert application_id not in str(entry)
        assert RESIDENT_ID not in str(entry)


class TestAuditorsApi:
    @pytest.mark.parametrize("service", SERVICE_NAMES)
    async def test_only_auditors_read_the_trail(
        self, open_harness: OpenHarness, issuer: TestIssuer, service: str
    ) -> None:
        h = await open_harness(service)

        outcomes = {}
        for name, who in CALLERS.items():
            for path in (f"/v1/{service}/audit", f"/v1/{service}/audit/verify"):
                response = await h.client.get(path, headers=who.headers(issuer))
                outcomes[(name, path)] = response.status_code

        allowed = {key for key, status in outcomes.items() if status == 200}
        refused = {key for key, status in outcomes.items() if status == 403}
        assert allowed == {("auditor", f"/v1/{service}/audit"), ("auditor", f"/v1/{service}/audit/verify")}
        assert refused == set(outcomes) - allowed

    async def test_reading_the_trail_is_recorded(self, open_harness: OpenHarness, issuer: TestIssuer) -> None:
        h = await open_harness("payment")
        await refuse_anonymously(h, 2)
        auditor = caller("auditor", subject="auditor-5")

        first = await h.client.get("/v1/payment/audit", headers={**auditor.headers(issuer), "X-Request-ID": "read-1"})
        second = await h.client.get("/v1/payment/audit", headers=auditor.headers(issuer))

        assert first.status_code == second.status_code == 200
        first_items, second_items = first.json()["items"], second.json()["items"]
        assert [item["kind"] for item in first_items] == ["authorization_refused"] * 2
        assert [item["kind"] for item in second_items] == ["authorization_refused"] * 2 + ["audit_read"]
        read = second_items[-1]
        assert read["actor"] == "auditor-5"
        assert read["actor_kind"] == "staff"
        assert read["role"] == "auditor"
        assert read["route"] == "/v1/payment/audit"
        assert read["correlation_id"] == "read-1"
        assert read["details"] == {"returned": 2}

    async def test_filters_and_pages(self, open_harness: OpenHarness, issuer: TestIssuer) -> None:
        h = await open_harness("payment")
        await refuse_anonymously(h, 3)
        headers = caller("auditor").headers(issuer)

        by_id = (await h.client.get("/v1/payment/audit", params={"correlation_id": "anon-1"}, headers=headers)).json()
        page_1 = (await h.client.get("/v1/payment/audit", params={"limit": 2}, headers=headers)).json()
        page_2 = (
            await h.client.get(
                "/v1/payment/audit", params={"limit": 2, "after_seq": page_1["next_after_seq"]}, headers=headers
            )
        ).json()
        reads = (await h.client.get("/v1/payment/audit", params={"kind": "audit_read"}, headers=headers)).json()

        assert [item["correlation_id"] for item in by_id["items"]] == ["anon-1"]
        assert [item["seq"] for item in page_1["items"]] == [1, 2]
        assert page_1["next_after_seq"] == 2
        assert [item["seq"] for item in page_2["items"]] == [3, 4]  # seq 4: the first audit_read
        assert page_2["next_after_seq"] == 4
        assert [item["kind"] for item in reads["items"]] == ["audit_read"] * 3

    async def test_verify_reports_an_intact_chain(self, open_harness: OpenHarness, issuer: TestIssuer) -> None:
        h = await open_harness("procurement")
        await refuse_anonymously(h, 3)

        response = await h.client.get("/v1/procurement/audit/verify", headers=caller("auditor").headers(issuer))

        assert response.status_code == 200
        result = response.json()
        rows = await audit_rows(h)
        assert result["ok"] is True
        assert result["count"] == len(rows) == 3
        assert result["last_seq"] == 3
        assert result["last_hash"] == rows[-1]["hash"]
        assert result["first_broken_seq"] is None


class TestTampering:
    async def test_the_database_refuses_updates_and_deletes(self, open_harness: OpenHarness) -> None:
        h = await open_harness("eligibility")
        await refuse_anonymously(h, 2)

        with raw_connection(h) as connection:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                connection.execute("UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 1")
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                connection.execute("DELETE FROM audit_entry WHERE seq = 2")

        assert [row["actor"] for row in await audit_rows(h)] == [None, None]

    @pytest.mark.parametrize(
        ("tamper", "reason"),
        [
            pytest.param("UPDATE audit_entry SET outcome = 'success' WHERE seq = 2", "altered", id="edited"),
            pytest.param("DELETE FROM audit_entry WHERE seq = 2", "missing", id="deleted"),
            pytest.param(f"UPDATE audit_entry SET prev_hash = '{'f' * 64}' WHERE seq = 2", "altered", id="relinked"),
        ],
    )
    async def test_verify_finds_the_first_broken_entry(
        self, open_harness: OpenHarness, issuer: TestIssuer, tamper: str, reason: str
    ) -> None:
        h = await open_harness("verification")
        await refuse_anonymously(h, 3)

        with raw_connection(h) as connection:
            drop_guards(h, connection)
            connection.execute(tamper)

        response = await h.client.get("/v1/verification/audit/verify", headers=caller("auditor").headers(issuer))

        result = response.json()
        assert result["ok"] is False
        assert result["first_broken_seq"] == 2
        assert result["count"] == 1
        assert reason in result["reason"]

    async def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
        self, open_harness: OpenHarness, issuer: TestIssuer
    ) -> None:
        h = await open_harness("verification")
        await refuse_anonymously(h, 3)
        table = h.definition.audit
        assert table is not None
        async with h.runtime.database.transaction() as session:
            (record,) = await audit.query(session, table, after_seq=1, limit=1)
        forged = dataclasses.replace(record, outcome="success")

        with raw_connection(h) as connection:
            drop_guards(h, connection)
            connection.execute(
                "UPDATE audit_entry SET outcome = ?, hash = ? WHERE seq = 2", ("success", audit.record_hash(forged))
            )

        result = (await h.client.get("/v1/verification/audit/verify", headers=caller("auditor").headers(issuer))).json()
        assert result["ok"] is False
        assert result["first_broken_seq"] == 3
        assert "chain broken" in result["reason"]


class TestVerifyAuditCommand:
    @pytest.mark.parametrize("service", SERVICE_NAMES)
    async def test_exit_code_follows_the_chain(
        self, open_harness: OpenHarness, restore_logging: None, service: str
    ) -> None:
        h = await open_harness(service)
        await refuse_anonymously(h, 3)
        prefix = service.upper()
        env = {
            f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{database_file(h)}",
            f"{prefix}_BUS": "inprocess",
            f"{prefix}_ENV": "test",
        }
        cli = h.definition.cli()
        runner = CliRunner()

        intact = await asyncio.to_thread(runner.invoke, cli, ["verify-audit"], env=env)
        with raw_connection(h) as connection:
            drop_guards(h, connection)
            connection.execute("UPDATE audit_entry SET actor_kind = 'staff' WHERE seq = 2")
        broken = await asyncio.to_thread(runner.invoke, cli, ["verify-audit"], env=env)

        assert intact.exit_code == 0, intact.output
        assert "intact" in intact.output
        assert "3 entries" in intact.output
        assert broken.exit_code == 1, broken.output
        assert "BROKEN" in broken.output
        assert "first broken seq=2" in broken.output
