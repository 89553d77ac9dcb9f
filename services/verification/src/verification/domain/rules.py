"""Pure verification rules."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from shared.events import ConsentRecorded, ConsentRecordedData
from shared.types import business_date
from verification.domain.commands import RecordConsent
from verification.domain.errors import ConsentSignedInFuture
from verification.domain.model import Consent


def record_consent(cmd: RecordConsent, *, now: datetime) -> tuple[Consent, ConsentRecorded]:
    """Record an authorisation. It cannot be signed after today (Asia/Shanghai business date);
    the edge has checked that a town code lies in the county. The event carries the masked
    number only."""
    if cmd.signed_on > business_date(now):
        raise ConsentSignedInFuture(cmd.signed_on)
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
