"""Anchoring the audit hash chain (审计日志锚定): the chain head, signed with an Ed25519 key kept
outside the database, appended to a file operations keep, so a rewrite or a truncation of the
log is detected even by someone who can drop the append-only trigger and recompute every hash.

Why: the chain (`jiuzhu_platform.audit`) is unkeyed. Whoever owns the table can drop the
trigger, edit an entry and recompute every later hash; `verify` then passes. An anchor is a
(seq, hash) the chain had at a moment, signed with a key the database owner does not hold. A
rewritten entry at or before an anchored `seq` changes the hash at that `seq`; a truncation
leaves the chain shorter than the anchored `seq`. Both are reported by `verify_anchored`.

- The key: an Ed25519 private key in a PEM file (`audit_anchor_key_file`, a mounted secret, never
  in the database); `generate_key_file(path)` or `python -m jiuzhu_platform.audit_anchor keygen
  PATH` writes one (0600). Verifying needs only the public key (derived from it, or
  `load_public_key` from a PEM public key for an auditor's own copy).
- The anchor file (`audit_anchor_file`): one JSON object per line, appended and fsynced, never
  rewritten; created 0600. Each line: `version, service, table, seq, hash, anchored_at, key_id`
  and `signature` (base64url Ed25519 over the compact sorted JSON of the other keys). Ship it
  off the host (log collector, WORM bucket): the file guards the database, not itself; a
  signature makes a forged line detectable, a deleted *last* line is not (keep copies).
- `anchor_once` (the worker's `audit-anchor` job, every `audit_anchor_interval_seconds`, and the
  `anchor-audit` command) first checks the chain from the latest anchor onward, and refuses
  to sign a head that does not extend it, so a rewrite is never blessed by a later anchor.
- Entries after the latest anchor are protected by the chain alone until the next anchor: the
  interval is the window.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.audit import (
    GENESIS_HASH,
    AuditRecord,
    VerifyResult,
    define_audit_table,
    format_instant,
    record_hash,
    verify,
)
from jiuzhu_platform.db import Database
from jiuzhu_platform.tables import make_metadata

__all__ = [
    "Anchor",
    "AnchorError",
    "anchor_once",
    "generate_key_file",
    "load_private_key",
    "load_public_key",
    "read_anchors",
    "verify_anchored",
]

VERSION = 1
FILE_MODE = 0o600


class AnchorError(RuntimeError):
    """The chain does not extend its latest anchor, or the anchor file cannot be trusted."""


@dataclass(frozen=True, slots=True)
class Anchor:
    service: str
    table: str
    seq: int
    hash: str
    anchored_at: datetime
    key_id: str
    signature: str = ""

    def signed_part(self) -> bytes:
        document = {
            "version": VERSION,
            "service": self.service,
            "table": self.table,
            "seq": self.seq,
            "hash": self.hash,
            "anchored_at": format_instant(self.anchored_at),
            "key_id": self.key_id,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def line(self) -> str:
        document = json.loads(self.signed_part())
        document["signature"] = self.signature
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"

    @classmethod
    def parse(cls, line: str) -> Anchor:
        document = json.loads(line)
        if not isinstance(document, dict) or document.get("version") != VERSION:
            raise AnchorError("an anchor line of an unknown format")
        return cls(
            service=str(document["service"]),
            table=str(document["table"]),
            seq=int(document["seq"]),
            hash=str(document["hash"]),
            anchored_at=datetime.fromisoformat(str(document["anchored_at"]).replace("Z", "+00:00")),
            key_id=str(document["key_id"]),
            signature=str(document["signature"]),
        )


# --- keys ---------------------------------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_key_file(path: Path) -> Ed25519PublicKey:
    """Write a new Ed25519 private key (PKCS#8 PEM) to `path`, mode 0600; refuses to overwrite."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key.public_key()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AnchorError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM public key, or the public half of a PEM private key."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise AnchorError(f"{path}: not an Ed25519 public key")
    return key


def sign(anchor: Anchor, key: Ed25519PrivateKey) -> Anchor:
    signature = base64.urlsafe_b64encode(key.sign(anchor.signed_part())).decode().rstrip("=")
    return replace(anchor, signature=signature)


def signature_ok(anchor: Anchor, public_key: Ed25519PublicKey) -> bool:
    try:
        raw = base64.urlsafe_b64decode(anchor.signature + "=" * (-len(anchor.signature) % 4))
        public_key.verify(raw, anchor.signed_part())
    except (InvalidSignature, ValueError):
        return False
    return True


# --- the anchor file ----------------------------------------------------------------------------


def read_anchors(path: Path, *, service: str, table: str) -> list[Anchor]:
    """The anchors of `service`/`table` in `path`, in file order (empty when there is no file)."""
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchor = Anchor.parse(line)
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorError(f"{path}:{number}: not an anchor line ({exc})") from None
        if anchor.service == service and anchor.table == table:
            anchors.append(anchor)
    return anchors


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one line and fsync; the file is created 0600 (and kept so)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, anchor.line().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


# --- checking and anchoring ---------------------------------------------------------------------


def latest_trusted(anchors: Sequence[Anchor], public_key: Ed25519PublicKey) -> Anchor | None:
    """The anchor with the highest seq; AnchorError if any line's signature is wrong."""
    for anchor in anchors:
        if not signature_ok(anchor, public_key):
            raise AnchorError(f"the anchor of seq {anchor.seq} has an invalid signature (anchor file altered)")
    return max(anchors, key=lambda a: a.seq, default=None)


def check_against(result: VerifyResult, anchor: Anchor | None, hash_at_anchor: str | None) -> VerifyResult:
    """`result` (a chain check) judged against the latest anchor: a chain shorter than the
    anchored seq was truncated; a different hash at the anchored seq was rewritten."""
    if anchor is None or not result.ok:
        return result
    if result.last_seq is None or result.last_seq < anchor.seq:
        return VerifyResult(
            False,
            result.count,
            result.last_seq,
            result.last_hash,
            (result.last_seq or 0) + 1,
            f"the log ends at seq {result.last_seq or 0} but seq {anchor.seq} was anchored at "
            f"{format_instant(anchor.anchored_at)} (entries removed: truncated)",
        )
    if hash_at_anchor != anchor.hash:
        return VerifyResult(
            False,
            result.count,
            result.last_seq,
            result.last_hash,
            anchor.seq,
            f"entry {anchor.seq} does not have the hash anchored at {format_instant(anchor.anchored_at)} "
            "(the log was rewritten, hashes recomputed)",
        )
    return result


async def _hash_at(session: AsyncSession, table: Table, seq: int) -> str | None:
    value = (await session.execute(select(table.c.hash).where(table.c.seq == seq))).scalar_one_or_none()
    return None if value is None else str(value)


async def verify_anchored(
    session: AsyncSession, table: Table, *, anchor_file: Path, public_key: Ed25519PublicKey, service: str
) -> VerifyResult:
    """The whole chain checked (`audit.verify`), then against the latest signed anchor."""
    result = await verify(session, table)
    try:
        anchor = latest_trusted(read_anchors(anchor_file, service=service, table=table.name), public_key)
    except AnchorError as exc:
        return replace(result, ok=False, first_broken_seq=None, reason=str(exc))
    hash_at_anchor = None if anchor is None else await _hash_at(session, table, anchor.seq)
    return check_against(result, anchor, hash_at_anchor)


async def anchor_once(
    session: AsyncSession,
    table: Table,
    *,
    service: str,
    key: Ed25519PrivateKey,
    anchor_file: Path,
    now: datetime,
) -> Anchor | None:
    """Sign the chain head and append it to `anchor_file`; None when the head is already the
    latest anchor (or the log is empty). Checks first that the chain from the latest anchor to
    the head is intact and extends it (AnchorError otherwise: nothing is signed)."""
    public_key = key.public_key()
    latest = latest_trusted(read_anchors(anchor_file, service=service, table=table.name), public_key)
    head = (await session.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1))).first()
    if head is None:
        if latest is not None:
            raise AnchorError(f"the log is empty but seq {latest.seq} was anchored (truncated)")
        return None
    if latest is not None and (int(head.seq), str(head.hash)) == (latest.seq, latest.hash):
        return None
    await _check_since(session, table, latest)
    anchor = sign(
        Anchor(service, table.name, int(head.seq), str(head.hash), now.astimezone(UTC), key_id(public_key)), key
    )
    append_anchor(anchor_file, anchor)
    return anchor


async def _check_since(session: AsyncSession, table: Table, latest: Anchor | None, batch: int = 1000) -> None:
    """The entries after `latest` (all of them without one) form an intact chain from it."""
    expected_seq, expected_prev = (1, GENESIS_HASH) if latest is None else (latest.seq, None)
    cursor = expected_seq - 1
    while True:
        statement = select(table).where(table.c.seq > cursor).order_by(table.c.seq).limit(batch)
        rows = (await session.execute(statement)).mappings().all()
        for row in rows:
            record = AuditRecord.from_row(row)
            if record.seq != expected_seq:
                raise AnchorError(f"entry {expected_seq} is missing; not anchoring")
            if record_hash(record) != record.hash:
                raise AnchorError(f"entry {record.seq} does not match its hash; not anchoring")
            if expected_prev is None:  # the anchored entry itself
                if latest is not None and record.hash != latest.hash:
                    raise AnchorError(f"entry {record.seq} is not the one anchored (rewritten); not anchoring")
            elif record.prev_hash != expected_prev:
                raise AnchorError(f"entry {record.seq} does not link to the previous one; not anchoring")
            expected_seq, expected_prev, cursor = record.seq + 1, record.hash, record.seq
        if len(rows) < batch:
            if latest is not None and expected_prev is None:
                raise AnchorError(f"entry {latest.seq} was anchored but is gone (truncated); not anchoring")
            return


# --- by database URL (commands) -------------------------------------------------------------------


async def anchor_database(
    url: str, *, service: str, key_file: Path, anchor_file: Path, table_name: str = "audit_entry"
) -> Anchor | None:
    """`anchor_once` on the database at `url` (the `anchor-audit` command)."""
    database = Database.from_url(url)
    try:
        table = define_audit_table(make_metadata(), table_name)
        async with database.transaction() as session:
            return await anchor_once(
                session,
                table,
                service=service,
                key=load_private_key(key_file),
                anchor_file=anchor_file,
                now=datetime.now(UTC),
            )
    finally:
        await database.dispose()


async def verify_database_anchored(
    url: str, *, service: str, key_file: Path, anchor_file: Path, table_name: str = "audit_entry"
) -> VerifyResult:
    """`verify_anchored` on the database at `url` (the `verify-audit` command with anchors)."""
    database = Database.from_url(url)
    try:
        table = define_audit_table(make_metadata(), table_name)
        async with database.transaction() as session:
            return await verify_anchored(
                session, table, anchor_file=anchor_file, public_key=load_public_key(key_file), service=service
            )
    finally:
        await database.dispose()


def _main(argv: Sequence[str]) -> int:
    if len(argv) != 2 or argv[0] != "keygen":
        print("usage: python -m jiuzhu_platform.audit_anchor keygen PATH", file=sys.stderr)
        return 2
    public_key = generate_key_file(Path(argv[1]))
    print(f"wrote {argv[1]} (0600); key id {key_id(public_key)}")
    return 0


def describe(anchor: Anchor | None) -> Mapping[str, Any]:
    return {} if anchor is None else {"seq": anchor.seq, "hash": anchor.hash, "key_id": anchor.key_id}


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
