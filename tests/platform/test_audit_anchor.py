# ruff: noqa: F811 (the `db` fixture is imported from test_audit)
"""Issue 15 #12: the audit chain anchored with signed heads (`jiuzhu_platform.audit_anchor`).

The attack the chain alone misses: the table owner drops the append-only trigger, rewrites an
entry and recomputes every later hash (or cuts the newest entries off); `audit.verify` still
passes. Against a head signed earlier with a key outside the database, both are detected.
Runs on SQLite and (marker `integration`) on the real PostgreSQL."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from sqlalchemy import delete, select, text, update

from jiuzhu_platform import audit
from jiuzhu_platform.audit import AuditRecord, append_only_ddl, drop_append_only_ddl, entry_hash
from jiuzhu_platform.audit_anchor import (
    AnchorError,
    anchor_database,
    anchor_once,
    generate_key_file,
    load_private_key,
    read_anchors,
    verify_anchored,
    verify_database_anchored,
)
from tests.platform.test_audit import T0, AuditDb, append_many, check, db, execute, stored  # noqa: F401 (fixture)

SERVICE = "eligibility"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "audit-anchor.pem"
    path.parent.mkdir()
    generate_key_file(path)
    return path


@pytest.fixture
def anchor_file(tmp_path: Path) -> Path:
    return tmp_path / "ops" / "audit-anchors.jsonl"


async def anchor(db: AuditDb, key_file: Path, anchor_file: Path) -> object:
    async with db.database.transaction() as session:
        return await anchor_once(
            session, db.table, service=SERVICE, key=load_private_key(key_file), anchor_file=anchor_file, now=T0
        )


async def anchored_check(db: AuditDb, key_file: Path, anchor_file: Path) -> audit.VerifyResult:
    async with db.database.transaction() as session:
        return await verify_anchored(
            session,
            db.table,
            anchor_file=anchor_file,
            public_key=load_private_key(key_file).public_key(),
            service=SERVICE,
        )


async def rewrite_from(db: AuditDb, seq: int, **changes: str) -> None:
    """What an owner of the table can do: drop the trigger, change entry `seq`, recompute the
    hash of it and of every later entry so the chain links again."""
    for statement in append_only_ddl(db.table, db.dialect):
        await execute(db, text(statement))
    for statement in drop_append_only_ddl(db.table, db.dialect):
        await execute(db, text(statement))
    records = await stored(db)
    previous = records[seq - 2].hash if seq > 1 else audit.GENESIS_HASH
    for record in records[seq - 1 :]:
        values = {name: getattr(record, name) for name in AuditRecord.__dataclass_fields__}
        values["prev_hash"] = previous
        if record.seq == seq:
            values.update(changes)
        values["hash"] = entry_hash(values)
        await execute(
            db,
            update(db.table)
            .where(db.table.c.seq == record.seq)
            .values(prev_hash=values["prev_hash"], hash=values["hash"], **changes if record.seq == seq else {}),
        )
        previous = values["hash"]


class TestAnchoring:
    async def test_the_head_is_signed_into_a_private_append_only_file(
        self, db: AuditDb, key_file: Path, anchor_file: Path
    ) -> None:
        records = await append_many(db, 5)

        first = await anchor(db, key_file, anchor_file)
        again = await anchor(db, key_file, anchor_file)  # the head did not move: nothing new

        assert first is not None
        assert again is None
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(anchor_file.stat().st_mode) == 0o600
        (line,) = anchor_file.read_text().splitlines()
        document = json.loads(line)
        assert (document["seq"], document["hash"], document["service"]) == (5, records[-1].hash, SERVICE)
        assert document["signature"]
        result = await anchored_check(db, key_file, anchor_file)
        assert result.ok
        assert result.last_seq == 5

    async def test_an_empty_log_is_not_anchored(self, db: AuditDb, key_file: Path, anchor_file: Path) -> None:
        assert await anchor(db, key_file, anchor_file) is None
        assert not anchor_file.exists()

    async def test_later_anchors_append(self, db: AuditDb, key_file: Path, anchor_file: Path) -> None:
        await append_many(db, 2)
        await anchor(db, key_file, anchor_file)
        async with db.database.transaction() as session:
            await audit.append(session, db.table, audit.AuditEntry("state_change", "system", "success", "job"), now=T0)
        await anchor(db, key_file, anchor_file)

        assert [a.seq for a in read_anchors(anchor_file, service=SERVICE, table="audit_entry")] == [2, 3]
        assert (await anchored_check(db, key_file, anchor_file)).ok


class TestDetection:
    async def test_a_rewrite_with_every_hash_recomputed_fails_verify(
        self, db: AuditDb, key_file: Path, anchor_file: Path
    ) -> None:
        await append_many(db, 6)
        await anchor(db, key_file, anchor_file)

        await rewrite_from(db, 3, actor="someone-else")

        assert (await stored(db))[2].actor == "someone-else"
        assert (await check(db)).ok, "the unkeyed chain alone cannot tell (the hole of issue 15 #12)"
        result = await anchored_check(db, key_file, anchor_file)
        assert not result.ok
        assert result.first_broken_seq == 6
        assert "rewritten" in (result.reason or "")
        with pytest.raises(AnchorError, match="rewritten"):
            await anchor(db, key_file, anchor_file)  # a rewritten chain is never signed

    async def test_a_truncation_fails_verify(self, db: AuditDb, key_file: Path, anchor_file: Path) -> None:
        await append_many(db, 6)
        await anchor(db, key_file, anchor_file)
        for statement in append_only_ddl(db.table, db.dialect):
            await execute(db, text(statement))
        for statement in drop_append_only_ddl(db.table, db.dialect):
            await execute(db, text(statement))

        await execute(db, delete(db.table).where(db.table.c.seq > 4))

        assert (await check(db)).ok
        result = await anchored_check(db, key_file, anchor_file)
        assert not result.ok
        assert "truncated" in (result.reason or "")
        with pytest.raises(AnchorError, match="truncated"):
            await anchor(db, key_file, anchor_file)

    async def test_a_forged_anchor_line_fails_verify(self, db: AuditDb, key_file: Path, anchor_file: Path) -> None:
        await append_many(db, 3)
        await anchor(db, key_file, anchor_file)
        document = json.loads(anchor_file.read_text())
        document["seq"] = 2
        anchor_file.write_text(json.dumps(document) + "\n")

        result = await anchored_check(db, key_file, anchor_file)

        assert not result.ok
        assert "invalid signature" in (result.reason or "")

    async def test_an_anchor_signed_with_another_key_is_refused(
        self, db: AuditDb, key_file: Path, anchor_file: Path, tmp_path: Path
    ) -> None:
        await append_many(db, 3)
        other = tmp_path / "other.pem"
        generate_key_file(other)
        await anchor(db, other, anchor_file)

        assert not (await anchored_check(db, key_file, anchor_file)).ok

    async def test_by_database_url(self, db: AuditDb, key_file: Path, anchor_file: Path) -> None:
        await append_many(db, 4)
        anchored = await anchor_database(db.url, service=SERVICE, key_file=key_file, anchor_file=anchor_file)
        assert anchored is not None
        assert anchored.seq == 4
        assert (await verify_database_anchored(db.url, service=SERVICE, key_file=key_file, anchor_file=anchor_file)).ok

        await rewrite_from(db, 1, purpose="改写")

        result = await verify_database_anchored(db.url, service=SERVICE, key_file=key_file, anchor_file=anchor_file)
        assert not result.ok
        async with db.database.transaction() as session:
            assert (await session.execute(select(db.table.c.purpose).where(db.table.c.seq == 1))).scalar() == "改写"


def test_the_key_file_is_never_overwritten(key_file: Path) -> None:
    before = key_file.read_bytes()
    with pytest.raises(FileExistsError):
        generate_key_file(key_file)
    assert key_file.read_bytes() == before
    assert isinstance(load_private_key(key_file), Ed25519PrivateKey)


def test_settings_need_both_paths(tmp_path: Path) -> None:
    from eligibility.settings import Settings

    base = {"database_url": "sqlite+aiosqlite:///x.db", "bus": "inprocess", "env": "dev"}
    with pytest.raises(ValidationError, match="set together"):
        Settings(**base, audit_anchor_key_file=tmp_path / "k.pem")  # type: ignore[arg-type]
    assert Settings(**base).audit_anchoring is False  # type: ignore[arg-type]
    both = Settings(**base, audit_anchor_key_file=tmp_path / "k", audit_anchor_file=tmp_path / "a")  # type: ignore[arg-type]
    assert both.audit_anchoring is True


async def test_the_worker_job_anchors_when_configured(db: AuditDb, key_file: Path, anchor_file: Path) -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from jiuzhu_platform.definition import audit_anchor_job

    await append_many(db, 2)
    settings = SimpleNamespace(
        audit_anchor_key_file=key_file, audit_anchor_file=anchor_file, audit_anchor_interval_seconds=60.0
    )
    runtime = cast(Any, SimpleNamespace(settings=settings, database=db.database, now=lambda: T0))
    job = audit_anchor_job(SERVICE, db.table, runtime)

    assert (job.name, job.interval_seconds) == ("audit-anchor", 60.0)
    assert await job.run() == 1
    assert await job.run() == 0
    assert [a.seq for a in read_anchors(anchor_file, service=SERVICE, table="audit_entry")] == [2]
