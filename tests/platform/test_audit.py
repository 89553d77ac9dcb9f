"""The audit trail helper (`jiuzhu_platform.audit`): hash chain, tamper detection, concurrent
appends, the append-only trigger, queries and the documented canonical form.

Database scenarios run on both backends:
- `embedded`: a temporary SQLite file through the platform's engine (IMMEDIATE transactions);
- `distributed` (marker `integration`): a throwaway database on the real PostgreSQL started by
  `deploy/local/postgres.sh`.
The table is made with `metadata.create_all`: these tests exercise the helper, not a service's
migrations.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, delete, event, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from jiuzhu_platform import audit
from jiuzhu_platform.audit import (
    EXAMPLE_HASH,
    GENESIS_HASH,
    ActorKind,
    AuditEntry,
    AuditKind,
    AuditRecord,
    advisory_lock_key,
    append,
    append_only_ddl,
    canonical_form,
    define_audit_table,
    drop_append_only_ddl,
    entry_hash,
    query,
    record_hash,
    verify,
    verify_database,
)
from jiuzhu_platform.db import Database
from jiuzhu_platform.tables import NAMING_CONVENTION, make_metadata
from tests.conftest import ThrowawayDatabases, server_setting

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@dataclass
class AuditDb:
    kind: str
    url: str
    database: Database
    table: Table

    @property
    def dialect(self) -> str:
        return self.database.dialect


@pytest.fixture(params=["embedded", pytest.param("distributed", marks=pytest.mark.integration)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AuditDb]:
    databases: ThrowawayDatabases | None = None
    if request.param == "embedded":
        url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    else:
        databases = ThrowawayDatabases(server_setting("JIUZHU_PG_ADMIN_URL"))
        url = await databases.create("audit")
    metadata = make_metadata()
    table = define_audit_table(metadata)
    database = Database.from_url(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield AuditDb(request.param, url, database, table)
    finally:
        await database.dispose()
        if databases is not None:
            await databases.drop_all()


def sample_entry(n: int, **overrides: Any) -> AuditEntry:
    """Entry number `n`, with every column filled (a PII read)."""
    values: dict[str, Any] = {
        "kind": AuditKind.PII_READ,
        "actor": f"staff-{n % 3}",
        "actor_kind": ActorKind.STAFF,
        "role": "caseworker",
        "region_code": "520102",
        "route": "/v1/applications/{application_id}",
        "method": "GET",
        "target_id": f"app-{n}",
        "purpose": "资格复核",
        "outcome": "success",
        "correlation_id": f"corr-{n}",
        "details": {"fields": ["resident_id", "name"], "n": n},
    }
    values.update(overrides)
    return AuditEntry(**values)


async def append_one(db: AuditDb, entry: AuditEntry, now: datetime = T0) -> AuditRecord:
    async with db.database.transaction() as session:
        return await append(session, db.table, entry, now=now)


async def append_many(db: AuditDb, count: int) -> list[AuditRecord]:
    return [await append_one(db, sample_entry(n), T0 + timedelta(seconds=n)) for n in range(1, count + 1)]


async def check(db: AuditDb, *, batch: int = 1000) -> audit.VerifyResult:
    async with db.database.transaction() as session:
        return await verify(session, db.table, batch=batch)


async def stored(db: AuditDb) -> list[AuditRecord]:
    async with db.database.transaction() as session:
        rows = (await session.execute(select(db.table).order_by(db.table.c.seq))).mappings().all()
    return [AuditRecord.from_row(row) for row in rows]


async def execute(db: AuditDb, statement: Any, params: dict[str, Any] | None = None) -> None:
    async with db.database.transaction() as session:
        await session.execute(statement, params or {})


# --- the chain ----------------------------------------------------------------------------------


class TestChain:
    async def test_empty_table_verifies_at_genesis(self, db: AuditDb) -> None:
        result = await check(db)
        assert result == audit.VerifyResult(ok=True, count=0, last_seq=None, last_hash=GENESIS_HASH)

    async def test_first_entry_links_to_genesis(self, db: AuditDb) -> None:
        first = await append_one(db, sample_entry(1))
        assert first.seq == 1
        assert first.prev_hash == GENESIS_HASH == "0" * 64
        assert first.hash == record_hash(first)
        assert len(first.hash) == 64
        assert int(first.hash, 16) >= 0  # lowercase hex
        assert first.hash == first.hash.lower()

    async def test_chain_of_entries_verifies(self, db: AuditDb) -> None:
        records = await append_many(db, 12)
        assert [r.seq for r in records] == list(range(1, 13))
        for previous, current in itertools.pairwise(records):
            assert current.prev_hash == previous.hash
        assert await stored(db) == records  # what append returns is exactly what was stored
        result = await check(db)
        assert result.ok
        assert result.count == 12
        assert (result.last_seq, result.last_hash) == (12, records[-1].hash)
        assert (result.first_broken_seq, result.reason) == (None, None)

    async def test_verification_pages_through_the_table(self, db: AuditDb) -> None:
        await append_many(db, 7)
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "audit_entry" in statement and statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        event.listen(db.database.engine.sync_engine, "before_cursor_execute", record)
        try:
            result = await check(db, batch=2)
        finally:
            event.remove(db.database.engine.sync_engine, "before_cursor_execute", record)
        assert result.ok
        assert result.count == 7
        assert len(statements) == 4  # pages of 2, 2, 2, 1: the short page ends the scan
        assert all("LIMIT" in s.upper() for s in statements)

    async def test_non_utc_instant_is_stored_and_hashed_in_utc(self, db: AuditDb) -> None:
        beijing = timezone(timedelta(hours=8))
        record = await append_one(db, sample_entry(1), datetime(2025, 3, 1, 16, 30, 0, 42, tzinfo=beijing))
        assert record.occurred_at == datetime(2025, 3, 1, 8, 30, 0, 42, tzinfo=UTC)
        assert record.occurred_at.utcoffset() == timedelta(0)
        assert b'"occurred_at":"2025-03-01T08:30:00.000042Z"' in canonical_form(_fields(record))
        assert (await stored(db)) == [record]
        assert (await check(db)).ok

    async def test_optional_fields_may_be_absent(self, db: AuditDb) -> None:
        login = AuditEntry(kind=AuditKind.AUTHENTICATION, actor_kind=ActorKind.ANONYMOUS, outcome="failure")
        record = await append_one(db, login)
        assert (record.actor, record.details, record.purpose) == (None, None, None)
        assert b'"actor":null' in canonical_form(_fields(record))
        assert (await stored(db)) == [record]
        assert (await check(db)).ok


def _fields(record: AuditRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in AuditRecord.__dataclass_fields__}


# --- tampering ----------------------------------------------------------------------------------

MIDDLE = 3
TAMPER: dict[str, Callable[[AuditRecord], Any]] = {
    "entry_id": lambda r: uuid.uuid4(),
    "occurred_at": lambda r: r.occurred_at + timedelta(microseconds=1),
    "kind": lambda r: "state_change",
    "actor": lambda r: "mallory",
    "actor_kind": lambda r: "system",
    "role": lambda r: None,
    "region_code": lambda r: "520103",
    "route": lambda r: "/v1/elsewhere",
    "method": lambda r: "POST",
    "target_id": lambda r: "app-999",
    "purpose": lambda r: "好奇",
    "outcome": lambda r: "failure",
    "correlation_id": lambda r: "forged",
    # the same JSON value, other text: the hash covers the stored text
    "details": lambda r: json.dumps(json.loads(r.details or "{}")),
    "prev_hash": lambda r: "f" * 64,
    "hash": lambda r: "e" * 64,
}


class TestTampering:
    @pytest.mark.parametrize("field", sorted(TAMPER))
    async def test_changing_any_field_of_a_middle_row_is_reported_at_that_row(self, db: AuditDb, field: str) -> None:
        records = await append_many(db, 5)
        new_value = TAMPER[field](records[MIDDLE - 1])
        assert new_value != getattr(records[MIDDLE - 1], field)
        await execute(db, update(db.table).where(db.table.c.seq == MIDDLE).values({field: new_value}))
        result = await check(db)
        assert not result.ok
        assert result.first_broken_seq == MIDDLE
        assert result.count == MIDDLE - 1
        assert (result.last_seq, result.last_hash) == (MIDDLE - 1, records[MIDDLE - 2].hash)
        assert result.reason

    async def test_changing_seq_of_a_middle_row_is_reported_at_that_row(self, db: AuditDb) -> None:
        await append_many(db, 5)
        await execute(db, update(db.table).where(db.table.c.seq == MIDDLE).values(seq=1000))
        result = await check(db)
        assert (result.ok, result.first_broken_seq) == (False, MIDDLE)

    async def test_raw_sql_update_is_detected(self, db: AuditDb) -> None:
        await append_many(db, 5)
        await execute(db, text("UPDATE audit_entry SET outcome = 'refused' WHERE seq = :seq"), {"seq": MIDDLE})
        result = await check(db)
        assert (result.ok, result.first_broken_seq) == (False, MIDDLE)
        assert result.reason == "content does not match its hash (entry altered)"

    async def test_restoring_the_original_value_restores_the_chain(self, db: AuditDb) -> None:
        records = await append_many(db, 5)
        await execute(db, update(db.table).where(db.table.c.seq == MIDDLE).values(actor="mallory"))
        assert not (await check(db)).ok
        await execute(db, update(db.table).where(db.table.c.seq == MIDDLE).values(actor=records[MIDDLE - 1].actor))
        assert (await check(db)).ok

    async def test_rehashing_an_altered_row_breaks_the_next_link(self, db: AuditDb) -> None:
        records = await append_many(db, 5)
        forged = replace(records[MIDDLE - 1], actor="mallory")
        forged = replace(forged, hash=record_hash(forged))
        await execute(db, update(db.table).where(db.table.c.seq == MIDDLE).values(actor=forged.actor, hash=forged.hash))
        result = await check(db)
        assert (result.ok, result.first_broken_seq) == (False, MIDDLE + 1)
        assert result.reason == "prev_hash does not match the previous entry's hash (chain broken)"

    async def test_deleting_a_middle_row_is_detected(self, db: AuditDb) -> None:
        await append_many(db, 5)
        await execute(db, delete(db.table).where(db.table.c.seq == MIDDLE))
        result = await check(db)
        assert (result.ok, result.first_broken_seq, result.count) == (False, MIDDLE, MIDDLE - 1)
        assert result.reason == f"entry {MIDDLE} is missing (the next entry has seq {MIDDLE + 1})"

    async def test_deleting_a_middle_row_and_renumbering_is_detected(self, db: AuditDb) -> None:
        await append_many(db, 5)
        await execute(db, delete(db.table).where(db.table.c.seq == MIDDLE))
        for seq in range(MIDDLE + 1, 6):
            await execute(db, update(db.table).where(db.table.c.seq == seq).values(seq=seq - 1))
        result = await check(db)
        assert (result.ok, result.first_broken_seq) == (False, MIDDLE)
        assert result.reason == "content does not match its hash (entry altered)"

    async def test_deleting_the_first_row_is_detected(self, db: AuditDb) -> None:
        await append_many(db, 3)
        await execute(db, delete(db.table).where(db.table.c.seq == 1))
        result = await check(db)
        assert (result.ok, result.first_broken_seq, result.count) == (False, 1, 0)

    async def test_cutting_off_the_tail_shows_only_against_an_anchor(self, db: AuditDb) -> None:
        await append_many(db, 5)
        anchor = await check(db)
        await execute(db, delete(db.table).where(db.table.c.seq == 5))
        result = await check(db)
        assert result.ok  # a chain cannot know it was longer...
        assert (result.last_seq, result.last_hash) != (anchor.last_seq, anchor.last_hash)  # ...its anchor can

    async def test_swapping_two_rows_content_is_detected(self, db: AuditDb) -> None:
        records = await append_many(db, 5)
        second, fourth = records[1], records[3]
        await execute(db, delete(db.table).where(db.table.c.seq.in_([2, 4])))
        # every column but seq moves: the rows keep their positions, their contents trade places
        await execute(db, db.table.insert().values({**_fields(fourth), "seq": 2}))
        await execute(db, db.table.insert().values({**_fields(second), "seq": 4}))
        result = await check(db)
        assert (result.ok, result.first_broken_seq) == (False, 2)

    async def test_first_row_not_from_genesis_is_detected(self, db: AuditDb) -> None:
        records = await append_many(db, 2)
        forged = replace(records[0], prev_hash="1" * 64)
        forged = replace(forged, hash=record_hash(forged))
        await execute(
            db, update(db.table).where(db.table.c.seq == 1).values(prev_hash=forged.prev_hash, hash=forged.hash)
        )
        result = await check(db)
        assert (result.ok, result.first_broken_seq) == (False, 1)
        assert result.reason == "the first entry does not start from the genesis hash"

    async def test_tampering_found_across_pages(self, db: AuditDb) -> None:
        await append_many(db, 7)
        await execute(db, update(db.table).where(db.table.c.seq == 6).values(outcome="failure"))
        result = await check(db, batch=2)
        assert (result.ok, result.first_broken_seq, result.count) == (False, 6, 5)

    async def test_a_fork_is_refused_by_the_database(self, db: AuditDb) -> None:
        """A writer that skips `append` (no lock) and reuses the tail cannot branch the chain."""
        [first] = await append_many(db, 1)
        second = await append_one(db, sample_entry(2))
        fork = replace(second, seq=99, entry_id=uuid.uuid4())
        fork = replace(fork, hash=record_hash(fork))
        with pytest.raises(IntegrityError):
            await execute(db, db.table.insert().values(_fields(fork)))  # same prev_hash as `second`
        assert second.prev_hash == first.hash
        assert (await check(db)).ok


# --- concurrency --------------------------------------------------------------------------------


class TestConcurrency:
    async def test_concurrent_appends_make_one_unbroken_chain(self, db: AuditDb) -> None:
        await append_one(db, sample_entry(0))
        tasks = [append_one(db, sample_entry(n), T0 + timedelta(milliseconds=n)) for n in range(1, 21)]
        records = await asyncio.wait_for(asyncio.gather(*tasks), 120)
        assert sorted(r.seq for r in records) == list(range(2, 22))
        result = await check(db)
        assert (result.ok, result.count) == (True, 21)
        rows = await stored(db)
        assert len({r.prev_hash for r in rows}) == 21  # no two entries hang off the same one
        assert {r.entry_id for r in rows} >= {r.entry_id for r in records}

    async def test_append_waits_for_the_writer_lock(self, db: AuditDb) -> None:
        """PostgreSQL: `append` blocks on the table's advisory lock; SQLite: on the write lock
        that the platform's IMMEDIATE transactions take."""
        async with db.database.transaction() as holder:
            if db.dialect == "postgresql":
                await holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_lock_key(db.table)})
            else:
                await holder.execute(select(1))  # BEGIN IMMEDIATE: the database write lock
            waiting = asyncio.create_task(append_one(db, sample_entry(1)))
            await asyncio.sleep(0.5)
            assert not waiting.done()
        record = await asyncio.wait_for(waiting, 30)
        assert record.seq == 1
        assert (await check(db)).ok

    async def test_rolled_back_append_leaves_no_gap(self, db: AuditDb) -> None:
        await append_one(db, sample_entry(1))

        async def failing_request() -> None:
            async with db.database.transaction() as session:
                await append(session, db.table, sample_entry(2), now=T0)
                raise RuntimeError("the request failed")

        with pytest.raises(RuntimeError):
            await failing_request()
        record = await append_one(db, sample_entry(3))
        assert record.seq == 2
        assert (await check(db)).ok

    def test_lock_key_is_per_table(self) -> None:
        first = define_audit_table(make_metadata())
        other = define_audit_table(make_metadata(), "staff_audit_entry")
        assert advisory_lock_key(first) == advisory_lock_key(define_audit_table(make_metadata()))
        assert advisory_lock_key(first) != advisory_lock_key(other)
        assert 0 < advisory_lock_key(first) < 2**31


# --- the append-only trigger --------------------------------------------------------------------


class TestAppendOnlyTrigger:
    async def test_trigger_refuses_update_delete_and_truncate(self, db: AuditDb) -> None:
        for statement in append_only_ddl(db.table, db.dialect):
            await execute(db, text(statement))
        records = await append_many(db, 3)  # inserting still works
        refused: list[Any] = [
            update(db.table).where(db.table.c.seq == 2).values(outcome="failure"),
            delete(db.table).where(db.table.c.seq == 2),
            delete(db.table),
        ]
        if db.dialect == "postgresql":
            refused.append(text("TRUNCATE audit_entry"))
            # statement-level trigger: even an UPDATE that matches no row is refused
            refused.append(update(db.table).where(db.table.c.seq == 999).values(outcome="failure"))
        for statement in refused:
            with pytest.raises(DBAPIError, match="append-only"):
                await execute(db, statement)
        assert await stored(db) == records
        assert (await check(db)).ok

        for statement in drop_append_only_ddl(db.table, db.dialect):
            await execute(db, text(statement))
        await execute(db, delete(db.table).where(db.table.c.seq == 3))
        assert len(await stored(db)) == 2

    def test_postgresql_ddl_shape(self) -> None:
        table = define_audit_table(make_metadata())
        function, trigger = append_only_ddl(table)
        assert function.startswith('CREATE OR REPLACE FUNCTION "audit_entry_append_only"() RETURNS trigger')
        assert "RAISE EXCEPTION" in function
        assert trigger == (
            'CREATE TRIGGER "audit_entry_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_entry" '
            'FOR EACH STATEMENT EXECUTE FUNCTION "audit_entry_append_only"()'
        )
        assert drop_append_only_ddl(table) == [
            'DROP TRIGGER IF EXISTS "audit_entry_append_only" ON "audit_entry"',
            'DROP FUNCTION IF EXISTS "audit_entry_append_only"()',
        ]
        schema_table = define_audit_table(MetaData(schema="assist", naming_convention=NAMING_CONVENTION))
        assert 'ON "assist"."audit_entry"' in append_only_ddl(schema_table)[1]

    def test_ddl_refuses_unknown_dialects_and_odd_names(self) -> None:
        with pytest.raises(ValueError, match="dialect"):
            append_only_ddl(define_audit_table(make_metadata()), "mysql")
        with pytest.raises(ValueError, match="name"):
            append_only_ddl(define_audit_table(make_metadata(), 'audit"; DROP TABLE x; --'))


# --- queries ------------------------------------------------------------------------------------


class TestQuery:
    async def seed(self, db: AuditDb) -> list[AuditRecord]:
        entries = [
            AuditEntry(kind="authentication", actor="staff-1", actor_kind="staff", outcome="success"),
            AuditEntry(kind="authentication", actor_kind="anonymous", outcome="failure", route="/v1/auth/login"),
            sample_entry(1, actor="staff-1", target_id="app-1"),
            AuditEntry(
                kind="authorization_refused",
                actor="staff-2",
                actor_kind="staff",
                role="clerk",
                region_code="520103",
                route="/v1/payments/{payment_id}",
                method="POST",
                target_id="pay-9",
                outcome="refused",
                correlation_id="c-9",
            ),
            sample_entry(2, actor="staff-2", target_id="app-1"),
            AuditEntry(
                kind="state_change",
                actor="staff-1",
                actor_kind="staff",
                role="caseworker",
                route="/v1/applications/{application_id}/approve",
                method="POST",
                target_id="app-1",
                outcome="200",
                correlation_id="c-6",
            ),
            AuditEntry(kind="state_change", actor="eligibility", actor_kind="system", outcome="success"),
        ]
        return [await append_one(db, e, T0 + timedelta(minutes=n)) for n, e in enumerate(entries)]

    async def run(self, db: AuditDb, **filters: Any) -> list[int]:
        async with db.database.transaction() as session:
            return [r.seq for r in await query(session, db.table, **filters)]

    async def test_filters(self, db: AuditDb) -> None:
        records = await self.seed(db)
        assert await self.run(db) == [1, 2, 3, 4, 5, 6, 7]
        assert await self.run(db, actor="staff-1") == [1, 3, 6]
        assert await self.run(db, kind=AuditKind.AUTHENTICATION) == [1, 2]
        assert await self.run(db, kind="pii_read") == [3, 5]
        assert await self.run(db, target_id="app-1") == [3, 5, 6]
        assert await self.run(db, correlation_id="c-9") == [4]
        assert await self.run(db, actor="staff-1", target_id="app-1") == [3, 6]
        assert await self.run(db, since=T0 + timedelta(minutes=2)) == [3, 4, 5, 6, 7]
        assert await self.run(db, until=T0 + timedelta(minutes=2)) == [1, 2]  # until is exclusive
        assert await self.run(db, since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4)) == [3, 4]
        assert await self.run(db, actor="nobody") == []
        async with db.database.transaction() as session:
            assert await query(session, db.table, kind="authorization_refused") == [records[3]]

    async def test_pagination(self, db: AuditDb) -> None:
        await self.seed(db)
        pages: list[list[int]] = []
        after: int | None = None
        while page := await self.run(db, limit=3, after_seq=after):
            pages.append(page)
            after = page[-1]
        assert pages == [[1, 2, 3], [4, 5, 6], [7]]
        assert await self.run(db, actor="staff-1", limit=2, after_seq=1) == [3, 6]

    async def test_limit_bounds(self, db: AuditDb) -> None:
        async with db.database.transaction() as session:
            for limit in (0, -1, 1001):
                with pytest.raises(ValueError, match="limit"):
                    await query(session, db.table, limit=limit)


# --- verify_database ----------------------------------------------------------------------------


class TestVerifyDatabase:
    async def test_verifies_a_database_by_url(self, db: AuditDb) -> None:
        records = await append_many(db, 5)
        result = await verify_database(db.url, batch=2)
        assert (result.ok, result.count, result.last_hash) == (True, 5, records[-1].hash)
        await execute(db, update(db.table).where(db.table.c.seq == 4).values(target_id="app-x"))
        result = await verify_database(db.url)
        assert (result.ok, result.first_broken_seq) == (False, 4)

    async def test_other_table_name(self, db: AuditDb) -> None:
        metadata = make_metadata()
        other = define_audit_table(metadata, "staff_audit_entry")
        async with db.database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with db.database.transaction() as session:
            await append(session, other, sample_entry(1), now=T0)
        result = await verify_database(db.url, "staff_audit_entry")
        assert (result.ok, result.count) == (True, 1)

    async def test_missing_table_is_an_error(self, db: AuditDb) -> None:
        with pytest.raises(LookupError, match="no_such_table"):
            await verify_database(db.url, "no_such_table")


# --- the canonical form -------------------------------------------------------------------------

EXAMPLE = AuditRecord(
    seq=1,
    entry_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    occurred_at=datetime(2025, 3, 1, 8, 30, 0, 123, tzinfo=UTC),
    kind="pii_read",
    actor="staff-0042",
    actor_kind="staff",
    role="caseworker",
    region_code="520102",
    route="/v1/applications/{application_id}",
    method="GET",
    target_id="app-77",
    purpose="资格复核",
    outcome="success",
    correlation_id="c0ffee",
    details='{"fields":["resident_id"]}',
    prev_hash="0" * 64,
    hash=EXAMPLE_HASH,
)

# Written out by hand from the documented rules.
EXAMPLE_CANONICAL = (
    '{"actor":"staff-0042","actor_kind":"staff","correlation_id":"c0ffee",'
    '"details":"{\\"fields\\":[\\"resident_id\\"]}","entry_id":"00000000-0000-4000-8000-000000000001",'
    '"kind":"pii_read","method":"GET","occurred_at":"2025-03-01T08:30:00.000123Z","outcome":"success",'
    '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
    '"purpose":"资格复核","region_code":"520102","role":"caseworker",'
    '"route":"/v1/applications/{application_id}","seq":1,"target_id":"app-77"}'
)


class TestCanonicalForm:
    def test_documented_example_by_hand(self) -> None:
        by_hand = hashlib.sha256(EXAMPLE_CANONICAL.encode("utf-8")).hexdigest()
        assert by_hand == EXAMPLE_HASH == "12d00a2b6b7a7c180e452a69c3bc64703efcd4f79570996551270b3ca081b8a4"
        assert canonical_form(_fields(EXAMPLE)) == EXAMPLE_CANONICAL.encode("utf-8")
        assert record_hash(EXAMPLE) == EXAMPLE_HASH

    def test_module_documentation_shows_the_example(self) -> None:
        doc = audit.__doc__ or ""
        block = doc.split("has the canonical form", 1)[1].split("(one line", 1)[0]
        assert "".join(line.strip() for line in block.splitlines()) == EXAMPLE_CANONICAL
        assert EXAMPLE_HASH in doc

    async def test_stored_entry_hash_by_hand(self, db: AuditDb) -> None:
        """Recompute a stored row's hash from its raw column values with hashlib and json only."""
        await append_one(db, sample_entry(1))
        await append_one(db, sample_entry(2, details={"说明": "复核", "tab": "a\tb"}))
        async with db.database.transaction() as session:
            row = (await session.execute(select(db.table).where(db.table.c.seq == 2))).mappings().one()
        document = {name: row[name] for name in audit.HASHED_FIELDS}
        document["entry_id"] = str(row["entry_id"])
        document["occurred_at"] = row["occurred_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert set(document) == set(row.keys()) - {"hash"}  # every column but hash
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == row["hash"]
        assert row["details"] == '{"tab":"a\\tb","说明":"复核"}'  # compact, sorted, UTF-8 as is

    def test_string_escaping(self) -> None:
        tricky = 'q"b\\s/\n\t\x01\x7f\u2028é资'
        form = canonical_form({**_fields(EXAMPLE), "actor": tricky}).decode("utf-8")
        assert '"actor":"q\\"b\\\\s/\\n\\t\\u0001\x7f\u2028é资"' in form

    def test_null_differs_from_empty(self) -> None:
        assert entry_hash({**_fields(EXAMPLE), "role": None}) != entry_hash({**_fields(EXAMPLE), "role": ""})

    def test_every_field_but_hash_counts(self) -> None:
        base = entry_hash(_fields(EXAMPLE))
        assert entry_hash({**_fields(EXAMPLE), "hash": "x"}) == base
        for name, change in TAMPER.items():
            if name != "hash":
                assert entry_hash({**_fields(EXAMPLE), name: change(EXAMPLE)}) != base, name
        assert entry_hash({**_fields(EXAMPLE), "seq": 2}) != base

    def test_instant_format(self) -> None:
        assert audit.format_instant(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05.000000Z"
        assert audit.format_instant(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000000Z"
        with pytest.raises(ValueError, match="naive"):
            audit.format_instant(datetime(2025, 1, 2))


# --- entry validation ---------------------------------------------------------------------------


class TestEntryValidation:
    def test_kinds(self) -> None:
        assert AuditEntry(kind="audit_read", actor="aud-1", actor_kind="staff", outcome="success").kind == "audit_read"
        with pytest.raises(ValueError, match="kind"):
            AuditEntry(kind="Login!", actor="a", actor_kind="staff", outcome="success")
        with pytest.raises(ValueError, match="robot"):
            AuditEntry(kind="authentication", actor="a", actor_kind="robot", outcome="success")

    def test_actor_required_unless_anonymous(self) -> None:
        with pytest.raises(ValueError, match="needs an id"):
            AuditEntry(kind="authentication", actor_kind="citizen", outcome="success")
        assert AuditEntry(kind="authentication", actor_kind="anonymous", outcome="failure").actor is None

    def test_pii_read_needs_purpose_and_target(self) -> None:
        with pytest.raises(ValueError, match="purpose"):
            sample_entry(1, purpose=None)
        with pytest.raises(ValueError, match="purpose"):
            sample_entry(1, target_id=None)

    def test_lengths_and_characters(self) -> None:
        with pytest.raises(ValueError, match="route is longer"):
            sample_entry(1, route="/" + "x" * 500)
        with pytest.raises(ValueError, match="NUL"):
            sample_entry(1, actor="a\x00b")
        with pytest.raises(ValueError, match="Unicode"):
            sample_entry(1, purpose="\ud800")
        with pytest.raises(ValueError, match="outcome"):
            sample_entry(1, outcome="")

    def test_details(self) -> None:
        with pytest.raises(ValueError, match="details is longer"):
            sample_entry(1, details={"blob": "x" * 9000})
        with pytest.raises(ValueError, match="JSON compliant"):
            sample_entry(1, details={"x": float("nan")})
        with pytest.raises(TypeError):
            sample_entry(1, details={"x": object()})
        with pytest.raises(TypeError, match="JSON object"):
            sample_entry(1, details=["not", "an", "object"])

    async def test_naive_now_is_refused(self, db: AuditDb) -> None:
        with pytest.raises(ValueError, match="naive"):
            await append_one(db, sample_entry(1), datetime(2025, 1, 1))
        assert await stored(db) == []

    async def test_verify_batch_must_be_positive(self, db: AuditDb) -> None:
        with pytest.raises(ValueError, match="batch"):
            await check(db, batch=0)
