"""The recipient projection (eligibility events delivered to the `exchange` consumer) and the
sync search a department sends: found, not found, terminated, a bad ID answered `rjct` while
the others are answered; audited without IDs; scopes and bad input refused, never a 500."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from jiuzhu_platform.testing import ServiceHarness
from verification.adapters.orm import audit_log
from verification.exchange.adapters.orm import recipient

from .support import (
    ADULT,
    CHILD,
    MEDICAL,
    SEARCH,
    SPOUSE,
    STRANGER,
    benefit_changed,
    case_approved,
    case_terminated,
    deliver,
    department,
    ref,
    search_body,
    temporary_granted,
)


@pytest.fixture
def h(tier_h: ServiceHarness) -> ServiceHarness:
    """Every test here on SQLite and on PostgreSQL."""
    return tier_h


async def records_of(h: ServiceHarness, number: str) -> list[dict[str, Any]]:
    response = await h.client.post(SEARCH, json=search_body(("r", number)), headers=department(h))
    assert response.status_code == 200, response.text
    [item] = response.json()["message"]["search_response"]
    assert item["status"] == "succ"
    records: list[dict[str, Any]] = item["data"]["reg_records"]
    return records


async def test_the_life_of_a_case_is_projected_per_person(h: ServiceHarness) -> None:
    case_id, household_id = uuid4(), uuid4()
    approved = case_approved(case_id, household_id, ADULT, SPOUSE)

    assert await deliver(h, approved) == "applied"
    assert await deliver(h, approved) == "duplicate"  # the inbox: once

    adult = await records_of(h, ADULT)
    assert adult == [
        {
            "programme": "dibao",
            "status": "active",
            "since": "2026-11-01",
            "until": None,
            "region_code": "520102",
            "masked_id": ref(ADULT).masked_id,
        }
    ]
    # the spouse leaves, a child joins from January
    await deliver(h, benefit_changed(case_id, household_id, ADULT, CHILD))
    [spouse] = await records_of(h, SPOUSE)
    assert (spouse["status"], spouse["since"], spouse["until"]) == ("terminated", "2026-11-01", "2026-12-31")
    assert [(r["status"], r["since"]) for r in await records_of(h, CHILD)] == [("active", "2027-01-01")]
    assert (await records_of(h, ADULT))[0]["status"] == "active"

    await deliver(h, case_terminated(case_id, household_id))
    assert [(r["status"], r["until"]) for r in await records_of(h, ADULT)] == [("terminated", "2027-03-31")]
    assert [(r["status"], r["until"]) for r in await records_of(h, CHILD)] == [("terminated", "2027-03-31")]
    assert [(r["status"], r["until"]) for r in await records_of(h, SPOUSE)] == [("terminated", "2026-12-31")]

    await deliver(h, temporary_granted(household_id, SPOUSE))
    spouse = await records_of(h, SPOUSE)
    assert [(r["programme"], r["status"]) for r in spouse] == [("temporary", "granted"), ("dibao", "terminated")]

    async with h.runtime.database.read() as session:
        rows = (await session.execute(select(recipient))).mappings().all()
    text = json.dumps([dict(r) for r in rows], default=str)
    for number in (ADULT, SPOUSE, CHILD):
        assert number not in text  # person refs and masked IDs only


async def test_a_search_answers_each_request_and_a_bad_id_alone_is_rejected(h: ServiceHarness) -> None:
    await deliver(h, case_approved(uuid4(), uuid4(), ADULT))
    body = search_body(("found", ADULT), ("nobody", STRANGER), ("bad", "52010219800101301Y"), ("nul", "5201\x00"))
    body["message"]["search_request"].append(
        {
            "reference_id": "passport",
            "search_criteria": {"query_type": "idtype-value", "query": {"type": "passport", "value": "E1"}},
        }
    )

    response = await h.client.post(SEARCH, json=body, headers=department(h))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["header"]["status"] == "part"
    assert (answer["header"]["total_count"], answer["header"]["completed_count"]) == (5, 2)
    assert answer["header"]["receiver_id"] == MEDICAL
    by_ref = {r["reference_id"]: r for r in answer["message"]["search_response"]}
    assert by_ref["found"]["data"]["reg_records"][0]["programme"] == "dibao"
    assert (by_ref["nobody"]["status"], by_ref["nobody"]["data"]["reg_records"]) == ("succ", [])
    assert (by_ref["bad"]["status"], by_ref["bad"]["reason"]) == ("rjct", "invalid_resident_id")
    assert (by_ref["nul"]["status"], by_ref["nul"]["reason"]) == ("rjct", "invalid_resident_id")
    assert (by_ref["passport"]["status"], by_ref["passport"]["reason"]) == ("rjct", "unsupported_id_type")
    assert ADULT not in response.text
    assert STRANGER not in response.text

    async with h.runtime.database.read() as session:
        [entry] = (await session.execute(select(audit_log).where(audit_log.c.kind == "exchange_search"))).mappings()
    assert (entry["actor"], entry["actor_kind"], entry["purpose"], entry["outcome"]) == (
        MEDICAL,
        "department",
        "medical_assistance",
        "part",
    )
    assert json.loads(entry["details"]) == {"mode": "sync", "persons": 5, "found": 1, "rejected": 3}
    assert ADULT not in str(dict(entry))
    assert STRANGER not in str(dict(entry))


async def test_all_rejected_is_rjct(h: ServiceHarness) -> None:
    response = await h.client.post(SEARCH, json=search_body(("bad", "123")), headers=department(h))
    assert (response.status_code, response.json()["header"]["status"]) == (200, "rjct")


async def test_scopes_and_callers_are_refused(h: ServiceHarness) -> None:
    body = search_body(("r", ADULT))
    no_scope = await h.client.post(SEARCH, json=body, headers=department(h, scopes=()))
    staff = await h.client.post(SEARCH, json=body)  # every scope, but staff: not a department
    mismatch = await h.client.post(
        SEARCH, json=search_body(("r", ADULT), sender_id="dept-someone-else"), headers=department(h)
    )
    anonymous = await h.client.post(SEARCH, json=body, headers={"authorization": ""})

    assert (no_scope.status_code, no_scope.json()["reason"]) == (403, "scope_missing")
    assert (staff.status_code, staff.json()["reason"]) == (403, "not_a_department_client")
    assert (mismatch.status_code, mismatch.json()["reason"]) == (422, "sender_mismatch")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b["message"].update(search_request=[]), id="no requests"),
        pytest.param(lambda b: b["message"].update(search_request=b["message"]["search_request"] * 101), id="101"),
        pytest.param(lambda b: b["message"].update(transaction_id="tx\x00"), id="nul transaction"),
        pytest.param(lambda b: b["header"].update(message_id="a b"), id="space in message id"),
        pytest.param(lambda b: b["header"].update(action="subscribe"), id="wrong action"),
        pytest.param(lambda b: b["header"].update(purpose="curiosity"), id="unknown purpose"),
        pytest.param(lambda b: b["header"].update(message_ts="yesterday"), id="bad timestamp"),
        pytest.param(
            lambda b: b["message"]["search_request"][0]["search_criteria"]["query"].update(value="5" * 10_000),
            id="huge value",
        ),
        pytest.param(lambda b: b["message"].update(extra=1), id="unknown field"),
    ],
)
async def test_bad_envelopes_are_422_never_500(h: ServiceHarness, mutate: Any) -> None:
    body = search_body(("r", ADULT))
    mutate(body)

    response = await h.client.post(SEARCH, json=body, headers=department(h))

    assert response.status_code == 422, response.text
    assert response.json()["reason"] == "request_invalid"


async def test_duplicate_reference_ids_are_refused(h: ServiceHarness) -> None:
    response = await h.client.post(SEARCH, json=search_body(("r", ADULT), ("r", SPOUSE)), headers=department(h))
    assert (response.status_code, response.json()["reason"]) == (422, "duplicate_reference_id")


async def test_a_search_of_100_people_is_answered(h: ServiceHarness) -> None:
    queries = [(f"r{i}", ADULT if i % 2 else STRANGER) for i in range(100)]
    response = await h.client.post(SEARCH, json=search_body(*queries), headers=department(h))
    assert response.status_code == 200, response.text
    assert len(response.json()["message"]["search_response"]) == 100


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/verification/exchange/transactions/tx%00"),
        ("GET", "/v1/verification/exchange/transactions/" + "t" * 101),
        ("DELETE", "/v1/verification/exchange/subscriptions/not-a-uuid"),
    ],
)
async def test_bad_paths_are_422_never_500(h: ServiceHarness, method: str, path: str) -> None:
    response = await h.client.request(method, path, headers=department(h))
    assert (response.status_code, response.json()["reason"]) == (422, "request_invalid")
