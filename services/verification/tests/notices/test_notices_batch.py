"""Pushing notices as an NDJSON stream: per-line ACK/NACK in order, a bad line rejected alone,
duplicates within and across batches, bounds on line length and count, and the body read as a
stream (a chunk is stored before the rest of the body has even been sent)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from jiuzhu_platform.testing import ServiceHarness
from verification.notices.api import routes as notice_routes

from .support import BATCH, NOTICES, department, envelope, ndjson, notice_count, results

# 5,000 distinct valid resident IDs: 17-digit bodies from a base, each with its check character.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(n: int) -> str:
    body = f"520102{1950 + n // 1000}0101{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


async def test_a_batch_of_5000_lines_answers_each_line(h: ServiceHarness) -> None:
    lines: list[Any] = []
    expected: dict[int, str] = {}
    for n in range(1, 5001):
        if n % 1000 == 7:
            lines.append(b'{"header": {"message_id": "broken"')  # malformed JSON
            expected[n] = "rejected"
        elif n % 1000 == 8:
            lines.append(envelope(f"m-{n}", resident_id="110105194912310021"))  # bad check digit
            expected[n] = "rejected"
        elif n % 1000 == 9:
            lines.append(envelope("m-1"))  # a duplicate of line 1 (in another chunk from 1009 on)
            expected[n] = "duplicate"
        elif n % 1000 == 10:
            lines.append(envelope(f"m-{n}", department="education"))  # education does not report deaths
            expected[n] = "rejected"
        else:
            lines.append(envelope(f"m-{n}", resident_id=resident_id(n)))
            expected[n] = "accepted"

    async with department(h) as gaj:
        response = await gaj.post(BATCH, content=ndjson(lines), headers={"content-type": "application/x-ndjson"})

    assert response.status_code == 200, response.text[:500]
    answers = results(response)
    assert [a["line"] for a in answers] == list(range(1, 5001))
    assert {a["line"]: a["status"] for a in answers} == expected
    by_line = {a["line"]: a for a in answers}
    assert by_line[7]["reason"] == "request_invalid"
    assert by_line[8]["reason"] == "request_invalid"
    assert by_line[10]["reason"] == "kind_not_reported_by_department"
    assert by_line[10]["message_id"] == "m-10"
    assert {by_line[n]["notice_id"] for n in (9, 1009, 4009)} == {by_line[1]["notice_id"]}
    accepted = sum(1 for s in expected.values() if s == "accepted")
    assert accepted == 4980
    assert await notice_count(h) == accepted
    assert len(await h.outbox_rows()) == accepted

    # the whole batch again: every accepted line is now a duplicate, nothing new happens
    async with department(h) as gaj:
        again = results(await gaj.post(BATCH, content=ndjson(lines), headers={"content-type": "application/x-ndjson"}))
    assert sum(1 for a in again if a["status"] == "duplicate") == accepted + 5
    assert await notice_count(h) == accepted


async def test_a_single_push_and_a_batch_share_message_ids(h: ServiceHarness) -> None:
    async with department(h) as gaj:
        single = (await gaj.post(NOTICES, json=envelope("shared"))).json()
        (answer,) = results(
            await gaj.post(
                BATCH, content=ndjson([envelope("shared")]), headers={"content-type": "application/x-ndjson"}
            )
        )

    assert (answer["status"], answer["notice_id"]) == ("duplicate", single["notice_id"])


async def test_blank_lines_are_skipped_and_a_last_line_needs_no_newline(h: ServiceHarness) -> None:
    body = b"\n" + json.dumps(envelope("a")).encode() + b"\n\r\n  \n" + json.dumps(envelope("b")).encode()
    async with department(h) as gaj:
        response = await gaj.post(BATCH, content=body, headers={"content-type": "application/x-ndjson"})

    assert [(a["line"], a["message_id"], a["status"]) for a in results(response)] == [
        (2, "a", "accepted"),
        (5, "b", "accepted"),
    ]


async def test_a_line_over_the_limit_is_rejected_alone(h: ServiceHarness) -> None:
    huge = envelope("huge", name="李" * 10_000)
    async with department(h) as gaj:
        response = await gaj.post(
            BATCH,
            content=ndjson([envelope("before"), huge, envelope("after")]),
            headers={"content-type": "application/x-ndjson"},
        )

    assert [(a["status"], a["reason"]) for a in results(response)] == [
        ("accepted", None),
        ("rejected", "line_too_long"),
        ("accepted", None),
    ]


async def test_lines_beyond_the_limit_end_the_batch(h: ServiceHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notice_routes, "MAX_LINES", 3)
    lines = [envelope(f"m-{n}", resident_id=resident_id(n)) for n in range(1, 7)]
    async with department(h) as gaj:
        response = await gaj.post(BATCH, content=ndjson(lines), headers={"content-type": "application/x-ndjson"})

    answers = results(response)
    assert [a["status"] for a in answers] == ["accepted", "accepted", "accepted", "rejected"]
    assert (answers[-1]["line"], answers[-1]["reason"]) == (4, "too_many_lines")
    assert await notice_count(h) == 3


@pytest.mark.parametrize(
    "content_type", [None, "application/json", "text/plain", "application/x-ndjson-but-not"], ids=str
)
async def test_a_batch_must_be_ndjson(h: ServiceHarness, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    async with department(h) as gaj:
        response = await gaj.post(BATCH, content=ndjson([envelope()]), headers=headers)

    assert response.status_code == 415, response.text
    assert response.json()["reason"] == "batch_media_type_unsupported"
    assert await notice_count(h) == 0


async def test_an_empty_batch_answers_nothing(h: ServiceHarness) -> None:
    async with department(h) as gaj:
        response = await gaj.post(BATCH, content=b"", headers={"content-type": "application/x-ndjson"})

    assert response.status_code == 200
    assert response.text == ""


async def test_staff_and_departments_without_the_scope_do_not_push_batches(h: ServiceHarness) -> None:
    headers = {"content-type": "application/x-ndjson"}
    staff = await h.client.post(BATCH, content=ndjson([envelope()]), headers=headers)
    async with department(h, scopes=("monitoring:households:read",)) as other:
        unscoped = await other.post(BATCH, content=ndjson([envelope()]), headers=headers)

    assert (staff.status_code, staff.json()["reason"]) == (403, "not_a_department")
    assert (unscoped.status_code, unscoped.json()["reason"]) == (403, "scope_missing")
    assert await notice_count(h) == 0


async def test_the_body_is_read_as_a_stream(h: ServiceHarness) -> None:
    """The first chunk (500 lines) is committed while the client has sent 600 lines and holds
    back the rest: the handler neither waits for the end of the body nor reads it whole."""
    seen_mid_stream: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for n in range(1, 601):
            yield ndjson([envelope(f"s-{n}", resident_id=resident_id(n))])
        seen_mid_stream.append(await notice_count(h))  # the app asked for more: what is stored by now?
        for n in range(601, 701):
            yield ndjson([envelope(f"s-{n}", resident_id=resident_id(n))])

    async with department(h) as gaj:
        response = await gaj.post(BATCH, content=body(), headers={"content-type": "application/x-ndjson"})

    assert response.status_code == 200
    assert seen_mid_stream == [notice_routes.CHUNK_LINES]
    assert len(results(response)) == 700
    async with h.runtime.database.read() as session:
        from verification.notices.adapters.orm import department_notice

        assert await session.scalar(select(func.count()).select_from(department_notice)) == 700


async def test_a_chunk_the_database_fails_is_answered_unavailable_and_stores_nothing(
    h: ServiceHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from verification.notices import service as notices_service

    real = notices_service.receive_notice

    async def failing(session: Any, command: Any, **kwargs: Any) -> Any:
        if command.message_id == "boom":
            raise OperationalError("INSERT …", {}, Exception("the database went away"))
        return await real(session, command, **kwargs)

    monkeypatch.setattr(notices_service, "receive_notice", failing)
    lines: list[Any] = [envelope("a"), b"not json", envelope("boom")]
    async with department(h) as gaj:
        response = await gaj.post(BATCH, content=ndjson(lines), headers={"content-type": "application/x-ndjson"})

    assert [(a["status"], a["reason"]) for a in results(response)] == [
        ("rejected", "unavailable"),
        ("rejected", "request_invalid"),
        ("rejected", "unavailable"),
    ]
    assert await notice_count(h) == 0
    assert await h.outbox_rows() == []


async def test_two_copies_of_a_batch_sent_at_once_store_each_notice_once(tier_h: ServiceHarness) -> None:
    """On PostgreSQL the two batches' chunks really interleave: a line the other copy holds
    uncommitted waits on the unique index and is answered `duplicate` once the other commits."""
    import asyncio

    lines = [envelope(f"c-{n}", resident_id=resident_id(n)) for n in range(1, 1201)]
    lines += [envelope("c-5")]  # and a duplicate inside the batch itself
    body = ndjson(lines)
    headers = {"content-type": "application/x-ndjson"}
    async with department(tier_h) as gaj:
        first, second = await asyncio.gather(
            gaj.post(BATCH, content=body, headers=headers), gaj.post(BATCH, content=body, headers=headers)
        )

    answers = [results(first), results(second)]
    for n in range(1, 1201):
        statuses = sorted(a[n - 1]["status"] for a in answers)
        assert statuses == ["accepted", "duplicate"], (n, statuses)
        assert answers[0][n - 1]["notice_id"] == answers[1][n - 1]["notice_id"]
    assert [a[-1]["status"] for a in answers] == ["duplicate", "duplicate"]
    assert await notice_count(tier_h) == 1200
    assert len(await tier_h.outbox_rows()) == 1200
