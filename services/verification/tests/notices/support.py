"""Helpers of the department-notice tests: envelopes, department callers, raw rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy import func, select

from jiuzhu_platform.testing import ServiceHarness
from verification.notices.adapters.orm import department_notice

NOTICES = "/v1/verification/notices"
BATCH = "/v1/verification/notices/batch"
PUSH_SCOPE = "verification:notices:push"
RESIDENT_ID = "11010519491231002X"
RESIDENT_ID_MASKED = "1101**********002X"
OTHER_RESIDENT_ID = "520102198001011235"
GAJ = "dept_gaj_nanming"  # 公安 (public security)


def envelope(message_id: str = "m-1", **message: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "death",
        "department": "public_security",
        "resident_id": RESIDENT_ID,
        "name": "李四",
        "occurred_on": "2026-11-30",
        "reference": "HJ-ZX-2026-0042",
    }
    body.update(message)
    return {"header": {"message_id": message_id, "sent_at": "2026-12-01T08:30:00+08:00"}, "message": body}


def department(
    h: ServiceHarness, client_id: str = GAJ, *, scopes: tuple[str, ...] = (PUSH_SCOPE,)
) -> httpx.AsyncClient:
    """A department client whose agreement grants `scopes` (the caller closes it)."""
    return h.anonymous_client(kind="department", roles=("department",), client_id=client_id, scopes=scopes)


def ndjson(lines: list[Any]) -> bytes:
    return b"".join((line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n" for line in lines)


def results(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"].startswith("application/x-ndjson"), response.headers
    return [json.loads(line) for line in response.text.splitlines()]


async def notice_count(h: ServiceHarness) -> int:
    async with h.runtime.database.read() as session:
        return await session.scalar(select(func.count()).select_from(department_notice)) or 0


def every_raw_cell(h: ServiceHarness) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) of every cell of the SQLite database, bypassing the app's types."""
    url = h.runtime.settings.database_url.get_secret_value()
    path = url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    yield table, column, text
