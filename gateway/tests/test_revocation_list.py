"""The deny-list's refresh: after a quiet spell longer than `stale_after_seconds`, requests that
arrive while the first one re-reads the list wait for that read and are judged by it (found by
the load harness: they answered 503 `revocation_unavailable`); when the database cannot be read,
the list fails closed once stale."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.identity.revocation import RevocationList, RevocationUnavailable
from gateway.testing import migrated_sqlite
from jiuzhu_platform.auth import Principal, PrincipalKind
from jiuzhu_platform.db import Database
from jiuzhu_platform.pii import KeyRing


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def someone(n: int) -> Principal:
    return Principal(subject=f"user-{n}", kind=PrincipalKind.STAFF, token_id=f"jti-{n}", issued_at=0.0)


async def test_requests_racing_a_reload_after_a_quiet_spell_wait_for_it(tmp_path: Path) -> None:
    database = Database.from_url(await migrated_sqlite(tmp_path))
    ring = KeyRing({"k1": os.urandom(32)}, "k1", os.urandom(32))
    mono = Clock()
    revocations = RevocationList(
        database, ring, clock=lambda: datetime.now(UTC), refresh_seconds=5, stale_after_seconds=60, monotonic=mono
    )
    try:
        assert await revocations.is_revoked(someone(0)) is False  # the first read
        mono.now += 120  # a quiet two minutes: the list in memory is stale

        gate = asyncio.Event()
        read = revocations._load

        async def slow_read() -> None:  # as `_load` does: the attempt is noted, then the database is slow
            revocations._attempted_at = mono.now
            await gate.wait()
            await read()

        revocations._load = slow_read  # type: ignore[method-assign]
        first = asyncio.create_task(revocations.is_revoked(someone(1)))
        await asyncio.sleep(0)  # the first request is reading the list
        racing = [asyncio.create_task(revocations.is_revoked(someone(n))) for n in range(2, 6)]
        await asyncio.sleep(0.01)
        assert not any(task.done() for task in racing)  # waiting for the read, not failing
        gate.set()
        assert await asyncio.gather(first, *racing) == [False] * 5

        async def unreadable() -> None:  # the database is gone: fail closed once stale
            revocations._attempted_at = mono.now

        revocations._load = unreadable  # type: ignore[method-assign]
        mono.now += 120
        with pytest.raises(RevocationUnavailable):
            await revocations.is_revoked(someone(7))
    finally:
        await database.dispose()
