"""Pure verification rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from shared.events import ConsentRecorded, ConsentRecordedData
from shared.types import business_date
from verification.domain.commands import RecordConsent
from verification.domain.errors import ConsentAlreadyRevoked, ConsentPeriodInvalid, ConsentSignedInFuture
from verification.domain.model import Consent, RevocationReason


def record_consent(cmd: RecordConsent, *, now: datetime, subject_ref: str) -> tuple[Consent, ConsentRecorded]:
    """Record an authorisation. It cannot be signed after today (Asia/Shanghai business date),
    nor end before it was signed; the edge has checked that a town code lies in the county.
    The event carries the masked number only."""
    if cmd.signed_on > business_date(now):
        raise ConsentSignedInFuture(cmd.signed_on)
    if cmd.valid_until is not None and cmd.valid_until < cmd.signed_on:
        raise ConsentPeriodInvalid()
    subject_masked_id = cmd.subject_resident_id.masked()
    consent = Consent(
        id=uuid4(),
        household_id=cmd.household_id,
        region_code=cmd.region_code,
        town_code=cmd.town_code,
        subject_name=cmd.subject_name,
        subject_resident_id=cmd.subject_resident_id.value,
        subject_masked_id=subject_masked_id,
        purpose=cmd.purpose,
        signed_on=cmd.signed_on,
        recorded_at=now,
        correlation_id=cmd.correlation_id,
        subject_ref=subject_ref,
        valid_until=cmd.valid_until,
    )
    event = ConsentRecorded.create(
        ConsentRecordedData(
            consent_id=consent.id,
            household_id=cmd.household_id,
            subject_masked_id=subject_masked_id,
            purpose=cmd.purpose,
        ),
        subject=str(cmd.household_id),
        correlation_id=cmd.correlation_id,
        now=now,
    )
    return consent, event


def revoke_consent(consent: Consent, reason: RevocationReason, *, now: datetime) -> Consent:
    """撤销授权: from now on no check may use it (checks already run keep their answers)."""
    if consent.revoked_at is not None:
        raise ConsentAlreadyRevoked()
    return replace(consent, revoked_at=now, revoked_reason=reason)
