"""Async search and subscriptions: answers and notifications POSTed to a department's callback
(an ASGI receiver), signed with the secret shown once; retried with backoff until delivered or
failed; the transaction's status for its own client only; refusals of bad callbacks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select, text

from jiuzhu_platform.testing import ServiceHarness
from verification.adapters.orm import audit_log
from verification.exchange.adapters.orm import notification, search_transaction, subscription
from verification.exchange.consumers import notifications_job, searches_job
from verification.exchange.domain.rules import SIGNATURE_HEADER, signature_valid

from .support import (
    ADULT,
    HOUSING,
    MEDICAL,
    SEARCH,
    SPOUSE,
    STRANGER,
    SUBSCRIBE,
    SUBSCRIPTIONS,
    TRANSACTIONS,
    Receiver,
    case_approved,
    case_terminated,
    deliver,
    department,
    install_receiver,
    resident,
    search_body,
    subscribe_body,
)

CALLBACK = "http://127.0.0.1:8765/dci/on-search"
NOTIFY = "https://127.0.0.1:8766/dci/on-notify"


@pytest.fixture
def h(tier_h: ServiceHarness) -> ServiceHarness:
    return tier_h


@pytest.fixture
async def receiver(h: ServiceHarness) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    client = install_receiver(h, receiver)
    yield receiver
    await client.aclose()


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(h: ServiceHarness) -> Clock:
    clock = Clock()
    h.runtime.now = clock
    return clock


async def test_an_async_search_is_answered_at_the_callback_signed(h: ServiceHarness, receiver: Receiver) -> None:
    await deliver(h, case_approved(uuid4(), uuid4(), ADULT))
    body = search_body(("a", ADULT), ("b", STRANGER), transaction_id="tx-async-1", callback_uri=CALLBACK)

    accepted = await h.client.post(SEARCH, json=body, headers=department(h))

    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "pdng"
    secret = accepted.json()["secret"]
    pending = await h.client.get(f"{TRANSACTIONS}/tx-async-1", headers=department(h))
    assert (pending.json()["status"], pending.json()["response"]) == ("pdng", None)

    assert await searches_job(h.runtime).run() == 1

    [received] = receiver.received
    assert received.path == "dci/on-search"
    assert signature_valid(secret, received.body, received.headers[SIGNATURE_HEADER.lower()])
    assert not signature_valid("another secret", received.body, received.headers[SIGNATURE_HEADER.lower()])
    answer = json.loads(received.body)
    assert (answer["header"]["action"], answer["header"]["status"]) == ("on-search", "succ")
    assert answer["message"]["transaction_id"] == "tx-async-1"
    found = {r["reference_id"]: r["data"]["reg_records"] for r in answer["message"]["search_response"]}
    assert [r["programme"] for r in found["a"]] == ["dibao"]
    assert found["b"] == []
    assert ADULT.encode() not in received.body

    done = await h.client.get(f"{TRANSACTIONS}/tx-async-1", headers=department(h))
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["delivery_status"]) == ("succ", "delivered")
    assert done.json()["response"] == answer
    # only to the client that asked
    other = await h.client.get(f"{TRANSACTIONS}/tx-async-1", headers=department(h, client_id=HOUSING))
    assert (other.status_code, other.json()["reason"]) == (404, "transaction_not_found")
    assert await searches_job(h.runtime).run() == 0  # nothing left

    async with h.runtime.database.read() as session:
        [row] = (await session.execute(select(search_transaction))).mappings()
        [entry] = (await session.execute(select(audit_log).where(audit_log.c.kind == "exchange_search"))).mappings()
        raw = (await session.execute(text("SELECT secret FROM exchange_transaction"))).scalar_one()
    assert row["secret"] == secret  # decrypted by the column type …
    assert secret not in raw  # … encrypted at rest
    assert ADULT not in json.dumps(row["items"])  # … and the IDs are not stored
    assert (entry["actor"], json.loads(entry["details"])["mode"], json.loads(entry["details"])["found"]) == (
        MEDICAL,
        "async",
        1,
    )


async def test_a_transaction_id_is_used_once_per_client(h: ServiceHarness) -> None:
    body = search_body(("a", ADULT), transaction_id="tx-once", callback_uri=CALLBACK)
    first = await h.client.post(SEARCH, json=body, headers=department(h))
    again = await h.client.post(SEARCH, json=body, headers=department(h))
    other_client = await h.client.post(SEARCH, json=body, headers=department(h, client_id=HOUSING))

    assert first.status_code == 202
    assert (again.status_code, again.json()["reason"]) == (409, "transaction_exists")
    assert other_client.status_code == 202


async def test_a_failed_callback_is_retried_with_backoff_then_delivered(
    h: ServiceHarness, receiver: Receiver, clock: Clock
) -> None:
    receiver.failures = 2
    body = search_body(("a", ADULT), transaction_id="tx-retry", callback_uri=CALLBACK)
    assert (await h.client.post(SEARCH, json=body, headers=department(h))).status_code == 202

    assert await searches_job(h.runtime).run() == 0  # 500: try again later
    assert await searches_job(h.runtime).run() == 0  # not yet due
    assert len(receiver.received) == 1
    clock.at += timedelta(seconds=5)
    assert await searches_job(h.runtime).run() == 0  # 500 again; next wait 10 s
    clock.at += timedelta(seconds=9)
    assert await searches_job(h.runtime).run() == 0
    clock.at += timedelta(seconds=1)
    assert await searches_job(h.runtime).run() == 1

    assert len(receiver.received) == 3
    assert len({r.body for r in receiver.received}) == 1  # the same answer every time
    read = (await h.client.get(f"{TRANSACTIONS}/tx-retry", headers=department(h))).json()
    assert (read["delivery_status"], read["attempts"]) == ("delivered", 3)
    async with h.runtime.database.read() as session:
        entries = (await session.execute(select(audit_log).where(audit_log.c.kind == "exchange_search"))).all()
    assert len(entries) == 1  # audited once, when answered


async def test_a_callback_that_never_answers_ends_failed(h: ServiceHarness, receiver: Receiver, clock: Clock) -> None:
    receiver.failures = 1000
    body = search_body(("a", ADULT), transaction_id="tx-dead", callback_uri=CALLBACK)
    await h.client.post(SEARCH, json=body, headers=department(h))

    settled = 0
    for _ in range(20):
        settled += await searches_job(h.runtime).run()
        clock.at += timedelta(hours=1)

    assert settled == 1
    read = (await h.client.get(f"{TRANSACTIONS}/tx-dead", headers=department(h))).json()
    assert (read["delivery_status"], read["attempts"], read["status"]) == ("failed", 8, "succ")


async def test_subscribers_are_notified_of_changes_signed(h: ServiceHarness, receiver: Receiver, clock: Clock) -> None:
    created = await h.client.post(
        SUBSCRIBE,
        json=subscribe_body(NOTIFY, ("applicant-1", ADULT), ("applicant-2", STRANGER)),
        headers=department(h, client_id=HOUSING),
    )
    assert created.status_code == 201, created.text
    subscription_id, secret = created.json()["subscription_id"], created.json()["secret"]
    case_id, household_id = uuid4(), uuid4()

    await deliver(h, case_approved(case_id, household_id, ADULT, SPOUSE))
    assert await notifications_job(h.runtime).run() == 1

    [received] = receiver.received
    assert signature_valid(secret, received.body, received.headers[SIGNATURE_HEADER.lower()])
    sent = json.loads(received.body)
    assert sent["header"]["action"] == "on-notify"
    assert sent["header"]["receiver_id"] == HOUSING
    assert sent["message"]["subscription_id"] == subscription_id
    [event] = sent["message"]["notify_event"]
    assert (event["reference_id"], event["event"]) == ("applicant-1", "recipient_changed")
    assert [(r["programme"], r["status"], r["since"]) for r in event["data"]["reg_records"]] == [
        ("dibao", "active", "2026-11-01")
    ]
    assert ADULT.encode() not in received.body

    # the same event again, or one that changes nothing visible: no notification
    await deliver(h, case_approved(case_id, household_id, ADULT, SPOUSE))
    assert await notifications_job(h.runtime).run() == 0

    await deliver(h, case_terminated(case_id, household_id))
    assert await notifications_job(h.runtime).run() == 1
    last = json.loads(receiver.received[-1].body)["message"]["notify_event"][0]["data"]["reg_records"][0]
    assert (last["status"], last["until"]) == ("terminated", "2027-03-31")

    # ended: nothing more is sent; another client cannot end it
    foreign = await h.client.delete(f"{SUBSCRIPTIONS}/{subscription_id}", headers=department(h))
    assert (foreign.status_code, foreign.json()["reason"]) == (404, "subscription_not_found")
    ended = await h.client.delete(f"{SUBSCRIPTIONS}/{subscription_id}", headers=department(h, client_id=HOUSING))
    assert ended.status_code == 204
    await deliver(h, case_approved(uuid4(), uuid4(), ADULT))
    assert await notifications_job(h.runtime).run() == 0
    assert len(receiver.received) == 2

    async with h.runtime.database.read() as session:
        rows = (await session.execute(select(notification))).mappings().all()
        [sub] = (await session.execute(select(subscription))).mappings()
    assert [r["status"] for r in rows] == ["delivered", "delivered"]
    assert sub["cancelled_at"] is not None


async def test_a_failed_notification_is_retried_then_delivered(
    h: ServiceHarness, receiver: Receiver, clock: Clock
) -> None:
    receiver.failures = 1
    created = await h.client.post(SUBSCRIBE, json=subscribe_body(NOTIFY, ("p", ADULT)), headers=department(h))
    await deliver(h, case_approved(uuid4(), uuid4(), ADULT))

    assert await notifications_job(h.runtime).run() == 0
    clock.at += timedelta(seconds=5)
    assert await notifications_job(h.runtime).run() == 1

    _, second = receiver.received
    ids = {json.loads(r.body)["header"]["message_id"] for r in receiver.received}
    assert len(ids) == 1  # the notification's id: the receiver drops repeats
    assert signature_valid(created.json()["secret"], second.body, second.headers[SIGNATURE_HEADER.lower()])


@pytest.mark.parametrize(
    "uri",
    [
        "ftp://127.0.0.1/x",
        "javascript:alert(1)",
        "http://user:pw@127.0.0.1/x",
        "http:///nohost",
        "http://127.0.0.1/a b",
        "http://127.0.0.1/\x00",
        "http://127.0.0.1:99999/x",
        "/relative",
    ],
)
async def test_bad_callback_uris_are_refused(h: ServiceHarness, uri: str) -> None:
    search = await h.client.post(SEARCH, json=search_body(("a", ADULT), callback_uri=uri), headers=department(h))
    sub = await h.client.post(SUBSCRIBE, json=subscribe_body(uri, ("p", ADULT)), headers=department(h))

    assert (search.status_code, search.json()["reason"]) == (422, "callback_uri_invalid")
    assert (sub.status_code, sub.json()["reason"]) == (422, "callback_uri_invalid")


async def test_a_resent_subscribe_message_is_refused_naming_the_subscription(h: ServiceHarness) -> None:
    body = subscribe_body(NOTIFY, ("p", ADULT))
    first = await h.client.post(SUBSCRIBE, json=body, headers=department(h))
    again = await h.client.post(SUBSCRIBE, json=body, headers=department(h))
    other_client = await h.client.post(SUBSCRIBE, json=body, headers=department(h, client_id=HOUSING))

    assert first.status_code == 201
    assert (again.status_code, again.json()["reason"]) == (409, "subscription_exists")
    assert first.json()["subscription_id"] in again.json()["detail"]
    assert first.json()["secret"] not in again.text
    assert other_client.status_code == 201


async def test_subscribe_input_is_checked(h: ServiceHarness) -> None:
    bad_id = await h.client.post(SUBSCRIBE, json=subscribe_body(NOTIFY, ("p", "123")), headers=department(h))
    too_many = await h.client.post(
        SUBSCRIBE, json=subscribe_body(NOTIFY, *[(f"p{i}", ADULT) for i in range(1001)]), headers=department(h)
    )
    duplicate = await h.client.post(
        SUBSCRIBE, json=subscribe_body(NOTIFY, ("p", ADULT), ("p", SPOUSE)), headers=department(h)
    )
    long_uri = await h.client.post(
        SUBSCRIBE, json=subscribe_body("http://127.0.0.1/" + "a" * 3000, ("p", ADULT)), headers=department(h)
    )
    no_scope = await h.client.post(
        SUBSCRIBE,
        json=subscribe_body(NOTIFY, ("p", ADULT)),
        headers=department(h, scopes=("verification:exchange:search",)),
    )

    assert (bad_id.status_code, bad_id.json()["reason"]) == (422, "request_invalid")
    assert ADULT not in bad_id.text
    assert (too_many.status_code, too_many.json()["reason"]) == (422, "request_invalid")
    assert (duplicate.status_code, duplicate.json()["reason"]) == (422, "duplicate_reference_id")
    assert (long_uri.status_code, long_uri.json()["reason"]) == (422, "request_invalid")
    assert (no_scope.status_code, no_scope.json()["reason"]) == (403, "scope_missing")


async def test_a_subscription_of_1000_people_matches_the_one_that_changes(
    h: ServiceHarness, receiver: Receiver
) -> None:
    born = [date(1950, 1, 1) + timedelta(days=i) for i in range(1000)]
    people = [(f"p{i}", resident(f"520102{day:%Y%m%d}{i % 1000:03d}")) for i, day in enumerate(born)]
    created = await h.client.post(SUBSCRIBE, json=subscribe_body(NOTIFY, *people), headers=department(h))
    assert created.status_code == 201, created.text
    assert created.json()["persons"] == 1000
    await deliver(h, case_approved(uuid4(), uuid4(), people[500][1]))
    assert await notifications_job(h.runtime).run() == 1
    assert json.loads(receiver.received[0].body)["message"]["notify_event"][0]["reference_id"] == "p500"


async def test_a_subscribers_notifications_arrive_in_the_order_of_the_changes(
    h: ServiceHarness, receiver: Receiver, clock: Clock
) -> None:
    await h.client.post(SUBSCRIBE, json=subscribe_body(NOTIFY, ("p", ADULT)), headers=department(h))
    case_id, household_id = uuid4(), uuid4()
    await deliver(h, case_approved(case_id, household_id, ADULT))
    clock.at += timedelta(seconds=1)
    await deliver(h, case_terminated(case_id, household_id))

    assert await notifications_job(h.runtime).run() == 2

    events = [json.loads(r.body)["message"]["notify_event"][0] for r in receiver.received]
    assert [e["data"]["reg_records"][0]["status"] for e in events] == ["active", "terminated"]
    assert events[0]["changed_at"] < events[1]["changed_at"]
