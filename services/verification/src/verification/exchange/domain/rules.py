"""Pure rules of the exchange: the recipient projection (event → new records), what changed for
a subscriber, DCI statuses, callback URLs, the signature and the retry backoff."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from shared.events.eligibility import (
    BenefitChangedData,
    CaseApprovedData,
    CaseTerminatedData,
    TemporaryAssistanceGrantedData,
)
from verification.exchange.domain.model import TEMPORARY, AnswerStatus, RecipientRecord, RecipientStatus

MAX_CALLBACK_URI = 2000
SIGNATURE_HEADER = "X-Jiuzhu-Signature"
SIGNATURE_PREFIX = "sha256="

Key = tuple[str, UUID]
"""A record's identity: (person reference, case or grant id)."""


def key_of(record: RecipientRecord) -> Key:
    return (record.person_ref, record.source_id)


# --------------------------------------------------------------------------- the projection


def approved(data: CaseApprovedData) -> list[RecipientRecord]:
    """批准救助: every member of the amounts' lines and the payee, active from the first month."""
    people = {line.member.ref: line.member.masked_id for line in data.amounts.lines}
    people.setdefault(data.payee.ref, data.payee.masked_id)
    return [
        RecipientRecord(
            person_ref=ref,
            source_id=data.case_id,
            household_id=data.household_id,
            programme=data.category.value,
            status=RecipientStatus.ACTIVE,
            masked_id=masked,
            since=data.effective_from.first_day,
            until=None,
            region_code=data.region_code,
            town_code=data.town_code,
            is_payee=ref == data.payee.ref,
        )
        for ref, masked in people.items()
    ]


def changed(existing: Sequence[RecipientRecord], data: BenefitChangedData) -> list[RecipientRecord]:
    """救助金调整: the members of the new lines are active (a newcomer from `effective_from`),
    a member no longer in them (and not the payee) ends the month before. The case's records
    as they become; nothing for a case the projection does not know (approved before it)."""
    if not existing:
        return []
    base = existing[0]
    start = data.effective_from.first_day
    current = {r.person_ref: r for r in existing}
    members = {line.member.ref: line.member.masked_id for line in data.amounts.lines}
    result: list[RecipientRecord] = []
    for ref, masked in members.items():
        before = current.get(ref)
        if before is None:
            new = replace(
                base, person_ref=ref, masked_id=masked, status=RecipientStatus.ACTIVE, since=start, until=None
            )
            result.append(replace(new, is_payee=False))
        elif before.status is RecipientStatus.ACTIVE:
            result.append(before)
        else:
            result.append(replace(before, status=RecipientStatus.ACTIVE, since=start, until=None))
    for ref, before in current.items():
        if ref in members:
            continue
        if before.is_payee or before.status is not RecipientStatus.ACTIVE:
            result.append(before)
        else:
            result.append(replace(before, status=RecipientStatus.TERMINATED, until=data.effective_from.prev().last_day))
    return result


def terminated(existing: Sequence[RecipientRecord], data: CaseTerminatedData) -> list[RecipientRecord]:
    """终止救助: every record of the case ends with the last month paid (or the day of the
    decision when nothing was paid); a member who left earlier keeps the end they had."""
    until = data.last_paid_month.last_day if data.last_paid_month is not None else data.terminated_on
    return [
        r if r.status is RecipientStatus.TERMINATED else replace(r, status=RecipientStatus.TERMINATED, until=until)
        for r in existing
    ]


def granted(data: TemporaryAssistanceGrantedData) -> list[RecipientRecord]:
    """临时救助: a one-off grant to the payee (status `granted`, no end)."""
    return [
        RecipientRecord(
            person_ref=data.payee.ref,
            source_id=data.grant_id,
            household_id=data.household_id,
            programme=TEMPORARY,
            status=RecipientStatus.GRANTED,
            masked_id=data.payee.masked_id,
            since=data.granted_on,
            until=None,
            region_code=data.region_code,
            town_code=data.town_code,
            is_payee=True,
        )
    ]


def differences(before: Mapping[Key, RecipientRecord], after: Iterable[RecipientRecord]) -> list[RecipientRecord]:
    """The records of `after` that are new or that a department would see differently: what
    subscribers are told. An event applied twice changes nothing, so tells nothing."""
    return [r for r in after if (old := before.get(key_of(r))) is None or old.public() != r.public()]


# --------------------------------------------------------------------------- search answers


def request_problem(query_type: str, id_type: str) -> str | None:
    """Why one search request cannot be answered (its reason code), or None."""
    if query_type != "idtype-value":
        return "unsupported_query_type"
    if id_type != "resident_id":
        return "unsupported_id_type"
    return None


def message_status(statuses: Sequence[AnswerStatus]) -> AnswerStatus:
    """`succ` when every request succeeded, `rjct` when every one was rejected, else `part`."""
    if all(s is AnswerStatus.SUCCEEDED for s in statuses):
        return AnswerStatus.SUCCEEDED
    if all(s is AnswerStatus.REJECTED for s in statuses):
        return AnswerStatus.REJECTED
    return AnswerStatus.PARTIAL


def visible(records: Iterable[RecipientRecord]) -> list[RecipientRecord]:
    """A person's records as answered: newest first (one per case or grant)."""
    return sorted(records, key=lambda r: (r.since, r.programme), reverse=True)


# --------------------------------------------------------------------------- callbacks


def callback_problem(uri: str) -> str | None:
    """Why `uri` cannot be a callback (None when it can): absolute http(s), a host, no
    credentials, no fragment, no control characters or spaces, at most 2000 characters."""
    if len(uri) > MAX_CALLBACK_URI:
        return f"longer than {MAX_CALLBACK_URI} characters"
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in uri):
        return "control characters or spaces"
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "only http and https"
    if not parts.hostname:
        return "no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL"
    if parts.fragment:
        return "a fragment"
    if port == 0:
        return "port 0"
    return None


def sign(secret: str, body: bytes) -> str:
    """The `X-Jiuzhu-Signature` value: `sha256=` + hex HMAC-SHA256 of the exact body bytes."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def backoff(attempts: int, *, base_seconds: float, cap_seconds: float) -> timedelta:
    """Wait before attempt `attempts + 1`: base × 2^(attempts − 1), at most `cap`."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def day_text(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
