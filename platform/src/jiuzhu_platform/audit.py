"""The audit trail: an append-only, tamper-evident log of security-relevant events.

What is recorded (one `audit_entry` row each): authentication events, authorisation refusals,
full-value PII reads (with their purpose) and every state-changing request, each with actor,
actor kind, role, region, route, method, target id, correlation id and outcome.

Guarantees and their limits:
- Append-only: this module has no update or delete API. On the database side,
  `append_only_ddl(table)` returns the statements of a trigger that refuses UPDATE, DELETE (and,
  on PostgreSQL, TRUNCATE); a service's Alembic migration runs them with `op.execute` (see that
  function). The trigger stops the application and anyone holding only its table privileges; the
  table owner or a superuser can still drop it, which is why the log is also hash-chained.
- Tamper-evident: every entry carries `prev_hash`, the `hash` of the entry before it (64 zeros,
  `GENESIS_HASH`, for the first), and its own `hash`, the SHA-256 of its canonical form (below).
  `verify` (or `verify_database`) walks the table in `seq` order and reports the first entry
  whose content, link or position is wrong. Editing, deleting, inserting or reordering entries
  anywhere but at the very end is detected. A chain alone cannot reveal that its newest entries
  were cut off, nor a rewrite of an entire suffix with every hash recomputed: compare
  `VerifyResult.last_seq`/`last_hash` with a head previously recorded elsewhere (an anchor) for
  that: `jiuzhu_platform.audit_anchor` signs the head periodically (Ed25519, key outside the
  database) into a file operations keep, and its `verify_anchored` reports both.
- No fork: `append` runs in the caller's transaction and serialises writers before it reads the
  tail: on PostgreSQL it takes `pg_advisory_xact_lock(advisory_lock_key(table))` (blocking; held
  until commit or rollback); on SQLite the platform begins every transaction IMMEDIATE
  (`jiuzhu_platform.db`), so the database write lock already serialises writers. `seq` is
  assigned by `append` (last `seq` + 1, dense from 1, no gaps even after rollbacks), and the
  primary key on `seq` plus a unique constraint on `prev_hash` turn any writer that bypasses the
  lock (or reads a stale snapshot under REPEATABLE READ) into an integrity error, never a second
  branch of the chain.
- Access: `query` has no access control of its own. The route exposing it must admit auditors
  only (and should itself write an audit entry for the read); that is enforced by the caller.
- Contents: the log must not become a PII store. `route` is the route *template*
  (`/v1/applications/{application_id}`), not the concrete path; `target_id` is an internal id,
  not a resident id number; `details` carries ids and codes, never PII values.

Canonical form (hashed with SHA-256; `hash` is the lowercase hexadecimal digest, 64 characters):
the UTF-8 encoding of a JSON object that has exactly these 16 keys, every column but `hash`:

    seq, entry_id, occurred_at, kind, actor, actor_kind, role, region_code, route, method,
    target_id, purpose, outcome, correlation_id, details, prev_hash

- keys sorted by code point (all are ASCII), no whitespace at all: `{"actor":...,"details":...}`,
  separators exactly `,` and `:`;
- `seq`: a JSON integer in decimal, no sign, no leading zeros, no fraction or exponent;
- `entry_id`: the UUID as a string, lowercase hexadecimal with hyphens (8-4-4-4-12);
- `occurred_at`: a string `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the instant in UTC with exactly six
  fractional digits (microseconds) and a literal `Z`;
- `details`: the stored JSON *text* as one JSON string (it is hashed as text, not re-parsed);
- every other value: its stored text as a JSON string; an absent value (SQL NULL) is `null`,
  distinct from the empty string; every key is always present;
- strings are escaped minimally: `"` as `\\"`, `\\` as `\\\\`, U+0008, U+0009, U+000A, U+000C,
  U+000D as `\\b`, `\\t`, `\\n`, `\\f`, `\\r`, the other characters below U+0020 as `\\u00XX`
  with lowercase hexadecimal; every other character, including `/`, U+007F and all non-ASCII,
  is written as itself in UTF-8 (strings never contain U+0000 or unpaired surrogates).

This is exactly Python's `json.dumps(obj, sort_keys=True, separators=(",", ":"),
ensure_ascii=False).encode("utf-8")`, and coincides with RFC 8785 (JSON Canonicalization
Scheme) for these value types, so any JCS implementation verifies the chain as well.

Example (a test checks it): the entry
`seq=1, entry_id=00000000-0000-4000-8000-000000000001, occurred_at=2025-03-01 08:30:00.000123 UTC,
kind=pii_read, actor=staff-0042, actor_kind=staff, role=caseworker, region_code=520102,
route=/v1/applications/{application_id}, method=GET, target_id=app-77, purpose=资格复核,
outcome=success, correlation_id=c0ffee, details={"fields":["resident_id"]}, prev_hash=GENESIS_HASH`
has the canonical form

    {"actor":"staff-0042","actor_kind":"staff","correlation_id":"c0ffee",
    "details":"{\\"fields\\":[\\"resident_id\\"]}","entry_id":"00000000-0000-4000-8000-000000000001",
    "kind":"pii_read","method":"GET","occurred_at":"2025-03-01T08:30:00.000123Z","outcome":"success",
    "prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",
    "purpose":"资格复核","region_code":"520102","role":"caseworker",
    "route":"/v1/applications/{application_id}","seq":1,"target_id":"app-77"}

(one line, without the line breaks shown here) and the hash (`EXAMPLE_HASH`)

    12d00a2b6b7a7c180e452a69c3bc64703efcd4f79570996551270b3ca081b8a4
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, MetaData, String, Table, Text, UniqueConstraint, Uuid, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.db import Database
from jiuzhu_platform.tables import SequenceId, UtcDateTime, make_metadata

TABLE_NAME = "audit_entry"
GENESIS_HASH = "0" * 64
MAX_QUERY_LIMIT = 1000
MAX_DETAILS_CHARS = 8000

# The hash of the example in the module docstring (a regression anchor for the canonical form).
EXAMPLE_HASH = "12d00a2b6b7a7c180e452a69c3bc64703efcd4f79570996551270b3ca081b8a4"


class AuditKind(StrEnum):
    """The kinds the platform records; `kind` is an open set (any `[a-z][a-z0-9_]*`)."""

    AUTHENTICATION = "authentication"
    AUTHORIZATION_REFUSED = "authorization_refused"
    PII_READ = "pii_read"
    STATE_CHANGE = "state_change"


class ActorKind(StrEnum):
    STAFF = "staff"
    CITIZEN = "citizen"
    DEPARTMENT = "department"
    THIRD_PARTY = "third_party"
    SERVICE = "service"  # a platform service on its own behalf (the gateway at real-name binding)
    SYSTEM = "system"
    ANONYMOUS = "anonymous"


# Column lengths, enforced by `AuditEntry` so SQLite (which ignores them) and PostgreSQL agree.
_LENGTHS = {
    "kind": 50,
    "actor": 200,
    "actor_kind": 20,
    "role": 100,
    "region_code": 20,
    "route": 500,
    "method": 10,
    "target_id": 200,
    "purpose": 200,
    "outcome": 50,
    "correlation_id": 200,
}
_KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*")

HASHED_FIELDS = (
    "seq",
    "entry_id",
    "occurred_at",
    "kind",
    "actor",
    "actor_kind",
    "role",
    "region_code",
    "route",
    "method",
    "target_id",
    "purpose",
    "outcome",
    "correlation_id",
    "details",
    "prev_hash",
)


def define_audit_table(metadata: MetaData, name: str = TABLE_NAME) -> Table:
    """`audit_entry`: one row per audited event, chained by `prev_hash` -> `hash`.

    `seq` is assigned by `append` (dense from 1) and orders the chain; `unique(prev_hash)` makes a
    fork impossible even for a writer that skips the lock. Indexes serve the auditors' usual
    questions (by actor, by target, by time).
    """
    return Table(
        name,
        metadata,
        Column("seq", SequenceId, primary_key=True, autoincrement=False),
        Column("entry_id", Uuid, nullable=False, unique=True),
        Column("occurred_at", UtcDateTime(), nullable=False),
        Column("kind", String(_LENGTHS["kind"]), nullable=False),
        Column("actor", String(_LENGTHS["actor"]), nullable=True),
        Column("actor_kind", String(_LENGTHS["actor_kind"]), nullable=False),
        Column("role", String(_LENGTHS["role"]), nullable=True),
        Column("region_code", String(_LENGTHS["region_code"]), nullable=True),
        Column("route", String(_LENGTHS["route"]), nullable=True),
        Column("method", String(_LENGTHS["method"]), nullable=True),
        Column("target_id", String(_LENGTHS["target_id"]), nullable=True),
        Column("purpose", String(_LENGTHS["purpose"]), nullable=True),
        Column("outcome", String(_LENGTHS["outcome"]), nullable=False),
        Column("correlation_id", String(_LENGTHS["correlation_id"]), nullable=True),
        Column("details", Text, nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        UniqueConstraint("prev_hash"),
        Index(f"ix_{name}_actor", "actor"),
        Index(f"ix_{name}_target_id", "target_id"),
        Index(f"ix_{name}_occurred_at", "occurred_at"),
    )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What the caller knows about the event; `append` adds seq, id, time and the hashes.

    `actor` may be omitted only for `anonymous`; a `pii_read` needs a `purpose` and a `target_id`.
    `details` is a JSON object of ids and codes (no PII values), stored as compact sorted JSON.
    """

    kind: str
    actor_kind: str
    outcome: str
    actor: str | None = None
    role: str | None = None
    region_code: str | None = None
    route: str | None = None
    method: str | None = None
    target_id: str | None = None
    purpose: str | None = None
    correlation_id: str | None = None
    details: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        for name, limit in _LENGTHS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise TypeError(f"audit entry: {name} must be a string")
            _check_text(name, value, limit)
        if not _KIND_PATTERN.fullmatch(self.kind):
            raise ValueError(f"audit entry: kind {self.kind!r} is not [a-z][a-z0-9_]*")
        kind_of_actor = ActorKind(self.actor_kind)  # ValueError for an unknown kind of actor
        if not self.outcome:
            raise ValueError("audit entry: outcome is required")
        if kind_of_actor is not ActorKind.ANONYMOUS and not self.actor:
            raise ValueError(f"audit entry: a {kind_of_actor.value} actor needs an id")
        if self.kind == AuditKind.PII_READ and not (self.purpose and self.target_id):
            raise ValueError("audit entry: a pii_read needs a purpose and a target_id")
        if self.details is not None:
            if not isinstance(self.details, Mapping):
                raise TypeError("audit entry: details must be a JSON object")
            _check_text("details", _details_text(self.details), MAX_DETAILS_CHARS)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored entry, exactly as hashed (`details` is the stored JSON text)."""

    seq: int
    entry_id: uuid.UUID
    occurred_at: datetime
    kind: str
    actor: str | None
    actor_kind: str
    role: str | None
    region_code: str | None
    route: str | None
    method: str | None
    target_id: str | None
    purpose: str | None
    outcome: str
    correlation_id: str | None
    details: str | None
    prev_hash: str
    hash: str

    def details_value(self) -> Any:
        """`details` parsed (None when absent)."""
        return None if self.details is None else json.loads(self.details)

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> AuditRecord:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """`count`: entries found intact, in order from `seq` 1 (all of them when `ok`).
    `last_seq`/`last_hash`: the head of the intact prefix (None/`GENESIS_HASH` when empty), to
    compare with an anchor recorded elsewhere. `first_broken_seq`/`reason` when not `ok`."""

    ok: bool
    count: int
    last_seq: int | None
    last_hash: str
    first_broken_seq: int | None = None
    reason: str | None = None


# --- canonical form -----------------------------------------------------------------------------


def format_instant(instant: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC (aware datetimes only)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: audit instants are aware")
    u = instant.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"


def canonical_form(values: Mapping[str, Any]) -> bytes:
    """The bytes hashed for an entry: `values` holds (at least) the 16 `HASHED_FIELDS`; an
    `AuditRecord`'s fields, or a row mapping. Extra keys (such as `hash`) are ignored."""
    document: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = values[name]
        if name == "seq":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"canonical form: seq must be a non-negative integer, not {value!r}")
        elif name == "entry_id":
            value = str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        elif name == "occurred_at":
            value = format_instant(value)
        elif value is not None and not isinstance(value, str):
            raise ValueError(f"canonical form: {name} must be a string or null, not {type(value).__name__}")
        document[name] = value
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(values: Mapping[str, Any]) -> str:
    """The lowercase hex SHA-256 of `canonical_form(values)`."""
    return hashlib.sha256(canonical_form(values)).hexdigest()


def record_hash(record: AuditRecord) -> str:
    """The hash `record` should carry, recomputed from its other fields."""
    return entry_hash(_as_mapping(record))


def _as_mapping(record: AuditRecord) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _details_text(details: Mapping[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _check_text(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise ValueError(f"audit entry: {name} is longer than {limit} characters")
    if "\x00" in value:
        raise ValueError(f"audit entry: {name} contains NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"audit entry: {name} is not valid Unicode text") from exc


# --- writing ------------------------------------------------------------------------------------


def advisory_lock_key(table: Table) -> int:
    """The PostgreSQL advisory lock key `append` takes for `table` (positive, 31 bits)."""
    return zlib.crc32(f"audit:{table.fullname}".encode()) & 0x7FFFFFFF


async def append(
    session: AsyncSession, table: Table, entry: AuditEntry, *, now: datetime, entry_id: uuid.UUID | None = None
) -> AuditRecord:
    """Append `entry` to the chain in the caller's transaction (no commit; it is visible, and the
    lock released, when the caller commits). `now` is the event's instant (aware); `entry_id`
    defaults to a new random UUID.

    - The writer lock is held from here to the end of the caller's transaction, so every other
      audited request waits for it: append as the last step before the commit.
    - The entry shares the fate of the transaction: an entry about a request that fails (an
      authorisation refusal, a failed login, an error outcome) goes in a transaction of its own
      (`async with database.transaction() as session: await append(...)`), or it is rolled back
      with the request.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime: store aware instants only")
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_lock_key(table)})
    tail = (await session.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1))).first()
    seq, prev_hash = (1, GENESIS_HASH) if tail is None else (int(tail.seq) + 1, str(tail.hash))
    values: dict[str, Any] = {
        "seq": seq,
        "entry_id": entry_id or uuid.uuid4(),
        "occurred_at": now.astimezone(UTC),
        "kind": str(entry.kind),
        "actor": entry.actor,
        "actor_kind": str(entry.actor_kind),
        "role": entry.role,
        "region_code": entry.region_code,
        "route": entry.route,
        "method": entry.method,
        "target_id": entry.target_id,
        "purpose": entry.purpose,
        "outcome": entry.outcome,
        "correlation_id": entry.correlation_id,
        "details": None if entry.details is None else _details_text(entry.details),
        "prev_hash": prev_hash,
    }
    values["hash"] = entry_hash(values)
    await session.execute(table.insert(), values)  # parameters, not .values(): no statement built per call
    return AuditRecord(**values)


# --- reading ------------------------------------------------------------------------------------


async def query(
    session: AsyncSession,
    table: Table,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    kind: str | None = None,
    target_id: str | None = None,
    correlation_id: str | None = None,
    limit: int = 100,
    after_seq: int | None = None,
) -> list[AuditRecord]:
    """Entries matching every given filter, in `seq` order, at most `limit` (1..1000).

    `since` is inclusive, `until` exclusive (on `occurred_at`). Page with `after_seq=` the last
    `seq` of the previous page. No access control here: the caller's route admits auditors only.
    """
    if not 1 <= limit <= MAX_QUERY_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_QUERY_LIMIT}")
    statement = select(table)
    if since is not None:
        statement = statement.where(table.c.occurred_at >= since)
    if until is not None:
        statement = statement.where(table.c.occurred_at < until)
    for column, value in (
        ("actor", actor),
        ("kind", kind),
        ("target_id", target_id),
        ("correlation_id", correlation_id),
    ):
        if value is not None:
            statement = statement.where(table.c[column] == str(value))
    if after_seq is not None:
        statement = statement.where(table.c.seq > after_seq)
    rows = (await session.execute(statement.order_by(table.c.seq).limit(limit))).mappings().all()
    return [AuditRecord.from_row(row) for row in rows]


# --- verification -------------------------------------------------------------------------------

FetchPage = Callable[[int, int], Awaitable[Sequence[Mapping[Any, Any]]]]


def _page_statement(table: Table, after_seq: int, batch: int) -> Any:
    return select(table).where(table.c.seq > after_seq).order_by(table.c.seq).limit(batch)


async def verify(session: AsyncSession, table: Table, *, batch: int = 1000) -> VerifyResult:
    """Check the whole chain in the caller's session, `batch` rows at a time (keyset pages on
    `seq`, never every row at once). Stops at the first broken entry."""

    async def fetch(after_seq: int, size: int) -> Sequence[Mapping[Any, Any]]:
        return (await session.execute(_page_statement(table, after_seq, size))).mappings().all()

    return await _verify_pages(fetch, batch)


async def _verify_pages(fetch: FetchPage, batch: int) -> VerifyResult:
    if batch < 1:
        raise ValueError("batch must be positive")
    count, last_seq, last_hash = 0, None, GENESIS_HASH
    # Rows before any valid one have seq > 0 (seq starts at 1); a row with seq <= 0 is itself a
    # break, found because the first page starts below every integer a row could hold.
    cursor = -(2**63)
    while True:
        rows = await fetch(cursor, batch)
        for row in rows:
            record = AuditRecord.from_row(row)
            expected_seq = 1 if last_seq is None else last_seq + 1
            reason, broken_seq = _check(record, expected_seq, last_hash)
            if reason is not None:
                return VerifyResult(False, count, last_seq, last_hash, broken_seq, reason)
            count, last_seq, last_hash = count + 1, record.seq, record.hash
            cursor = record.seq
        if len(rows) < batch:
            return VerifyResult(True, count, last_seq, last_hash)


def _check(record: AuditRecord, expected_seq: int, expected_prev: str) -> tuple[str | None, int]:
    """(why `record` breaks the chain, at which seq) or (None, _) when it is intact."""
    if record.seq != expected_seq:
        if record.seq > expected_seq:
            return f"entry {expected_seq} is missing (the next entry has seq {record.seq})", expected_seq
        return f"unexpected seq {record.seq} (expected {expected_seq})", record.seq
    try:
        recomputed = record_hash(record)
    except ValueError as exc:
        return f"entry cannot be hashed: {exc}", record.seq
    if recomputed != record.hash:
        return "content does not match its hash (entry altered)", record.seq
    if record.prev_hash != expected_prev:
        if expected_seq == 1:
            return "the first entry does not start from the genesis hash", record.seq
        return "prev_hash does not match the previous entry's hash (chain broken)", record.seq
    return None, record.seq


async def verify_database(url: str, table_name: str = TABLE_NAME, *, batch: int = 1000) -> VerifyResult:
    """Open the database at `url`, check the audit chain in `table_name`, close it: the body of a
    service's `verify-audit` command. Each page is read in its own short transaction (on SQLite
    the platform's transactions take the write lock, which must not be held for a whole scan).
    Raises LookupError when the table or one of its columns is missing."""
    database = Database.from_url(url)
    try:
        table = define_audit_table(make_metadata(), table_name)
        async with database.engine.connect() as connection:
            missing = await connection.run_sync(_missing_columns, table)
        if missing:
            raise LookupError(f"{table_name}: not an audit table (missing {', '.join(missing)})")

        async def fetch(after_seq: int, size: int) -> Sequence[Mapping[Any, Any]]:
            async with database.transaction() as session:
                return (await session.execute(_page_statement(table, after_seq, size))).mappings().all()

        return await _verify_pages(fetch, batch)
    finally:
        await database.dispose()


def _missing_columns(connection: Connection, table: Table) -> list[str]:
    inspector = inspect(connection)
    if not inspector.has_table(table.name, schema=table.schema):
        return ["the table itself"]
    present = {column["name"] for column in inspector.get_columns(table.name, schema=table.schema)}
    return [column.name for column in table.columns if column.name not in present]


# --- database-side append-only guard ------------------------------------------------------------


def append_only_ddl(table: Table, dialect: str = "postgresql") -> list[str]:
    """Statements installing a trigger that makes `table` append-only (run each one, in order).

    PostgreSQL: a PL/pgSQL function `<table>_append_only()` that raises, and a statement-level
    trigger `<table>_append_only` calling it BEFORE UPDATE OR DELETE OR TRUNCATE. SQLite (the
    embedded mode): two triggers that abort UPDATE and DELETE (SQLite has no TRUNCATE).

    In a service's Alembic migration, after `op.create_table(...)` of the audit table:

        def upgrade() -> None:
            ...
            for statement in append_only_ddl(audit_table, op.get_bind().dialect.name):
                op.execute(statement)

        def downgrade() -> None:
            for statement in drop_append_only_ddl(audit_table, op.get_bind().dialect.name):
                op.execute(statement)
            op.drop_table("audit_entry")

    Migrations that later recreate the table (SQLite batch mode copies it into a new table)
    drop its triggers: run these statements again after such a migration. The trigger binds
    everyone, the owner included, but the owner can disable or drop it: the runtime role should
    hold only INSERT and SELECT on the table where the deployment allows it.
    """
    names = _guard_names(table, dialect)
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {names['function']}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            "    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP\n"
            "        USING ERRCODE = 'insufficient_privilege';\n"
            "END;\n"
            "$$",
            f"CREATE TRIGGER {names['trigger']} BEFORE UPDATE OR DELETE OR TRUNCATE ON {names['table']} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {names['function']}()",
        ]
    return [
        f"CREATE TRIGGER {names[f'trigger_{op.lower()}']} BEFORE {op} ON {names['table']} "
        f"BEGIN SELECT RAISE(ABORT, '{table.name} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


def drop_append_only_ddl(table: Table, dialect: str = "postgresql") -> list[str]:
    """The statements removing what `append_only_ddl` installed (for a migration's downgrade)."""
    names = _guard_names(table, dialect)
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {names['trigger']} ON {names['table']}",
            f"DROP FUNCTION IF EXISTS {names['function']}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {names[f'trigger_{op}']}" for op in ("update", "delete")]


def _guard_names(table: Table, dialect: str) -> dict[str, str]:
    """Quoted identifiers (always quoted: the names are checked plain identifiers, so quoting
    only keeps their case exactly as SQLAlchemy creates them)."""
    for part in (table.name, table.schema or "x"):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            raise ValueError(f"append_only_ddl: unsupported table or schema name {part!r}")
    schema = f'"{table.schema}".' if table.schema else ""
    if dialect == "postgresql":
        return {
            "table": f'{schema}"{table.name}"',
            "function": f'{schema}"{table.name}_append_only"',
            "trigger": f'"{table.name}_append_only"',
        }
    if dialect == "sqlite":
        return {
            "table": f'"{table.name}"',  # a trigger's table cannot be schema-qualified in SQLite
            "trigger_update": f'{schema}"{table.name}_no_update"',
            "trigger_delete": f'{schema}"{table.name}_no_delete"',
        }
    raise ValueError(f"append_only_ddl: unsupported dialect {dialect!r}")
