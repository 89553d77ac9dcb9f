"""Callbacks over real HTTP (the production sender, a uvicorn receiver on 127.0.0.1), a
receiver that is not there, and two workers delivering at once: each callback is sent once."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
import uvicorn
from sqlalchemy import select

from jiuzhu_platform.testing import ServiceHarness
from verification.exchange.adapters.orm import search_transaction
from verification.exchange.consumers import notifications_job, searches_job
from verification.exchange.domain.rules import SIGNATURE_HEADER, signature_valid

from .support import (
    ADULT,
    SEARCH,
    SPOUSE,
    SUBSCRIBE,
    Receiver,
    case_approved,
    deliver,
    department,
    install_receiver,
    search_body,
    subscribe_body,
)


@pytest.fixture
def h(tier_h: ServiceHarness) -> ServiceHarness:
    return tier_h


@pytest.fixture
async def live() -> AsyncIterator[tuple[Receiver, str]]:
    """A department's callback server on 127.0.0.1 (a free port)."""
    receiver = Receiver()
    server = uvicorn.Server(uvicorn.Config(receiver.app(), host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield receiver, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_an_answer_reaches_a_real_http_receiver_signed(h: ServiceHarness, live: tuple[Receiver, str]) -> None:
    receiver, base = live
    await deliver(h, case_approved(uuid4(), uuid4(), ADULT))
    body = search_body(("a", ADULT), transaction_id="tx-live", callback_uri=f"{base}/on-search")
    secret = (await h.client.post(SEARCH, json=body, headers=department(h))).json()["secret"]

    assert await searches_job(h.runtime).run() == 1

    [received] = receiver.received
    assert signature_valid(secret, received.body, received.headers[SIGNATURE_HEADER.lower()])
    assert received.headers["content-type"] == "application/json"
    assert json.loads(received.body)["message"]["search_response"][0]["data"]["reg_records"][0]["status"] == "active"


async def test_a_receiver_that_is_not_there_is_retried_later(h: ServiceHarness) -> None:
    uri = f"http://127.0.0.1:{closed_port()}/on-search"
    body = search_body(("a", ADULT), transaction_id="tx-nobody", callback_uri=uri)
    assert (await h.client.post(SEARCH, json=body, headers=department(h))).status_code == 202

    assert await searches_job(h.runtime).run() == 0

    async with h.runtime.database.read() as session:
        [row] = (await session.execute(select(search_transaction))).mappings()
    assert (row["delivery_status"], row["attempts"], row["last_error"]) == ("pending", 1, "ConnectError")
    assert row["next_attempt_at"] > h.runtime.now()


async def test_a_callback_httpx_cannot_encode_is_recorded_not_crashing_the_job(h: ServiceHarness) -> None:
    body = search_body(("a", ADULT), transaction_id="tx-idna", callback_uri="http://xn--/cb")
    assert (await h.client.post(SEARCH, json=body, headers=department(h))).status_code == 202

    assert await searches_job(h.runtime).run() == 0

    async with h.runtime.database.read() as session:
        [row] = (await session.execute(select(search_transaction))).mappings()
    assert (row["attempts"], row["last_error"]) == (1, "invalid_url")


async def test_two_workers_send_each_notification_once(h: ServiceHarness) -> None:
    receiver = Receiver()
    client = install_receiver(h, receiver)
    created = await h.client.post(
        SUBSCRIBE, json=subscribe_body("http://127.0.0.1/cb", ("a", ADULT), ("b", SPOUSE)), headers=department(h)
    )
    assert created.status_code == 201
    for _ in range(5):
        await deliver(h, case_approved(uuid4(), uuid4(), ADULT, SPOUSE))

    first, second = notifications_job(h.runtime), notifications_job(h.runtime)
    results = await asyncio.gather(first.run(), second.run())

    assert sum(results) == 10
    ids = [json.loads(r.body)["header"]["message_id"] for r in receiver.received]
    assert len(ids) == 10
    assert len(set(ids)) == 10
    await client.aclose()
