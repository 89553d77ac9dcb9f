"""Pure verification rules."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from shared.events import ConsentRecorded, ConsentRecordedData
from shared.types import ResidentId, business_date
from verification.domain.errors import ConsentSignedInFuture
from verification.domain.model import Consent


def record_consent(
    *,
    household_id: UUID,
    region_code: str,
    town_code: str | None = None,
    subject_name: str,
    subject_resident_id: ResidentId,
    purpose: str,
    signed_on: date,
    correlation_id: str,
    now: datetime,
) -> tuple[Consent, ConsentRecorded]:
    """Record an authorisation. It cannot be signed after today (Asia/Shanghai business date);
    the edge has checked that a town code lies in the county. The event carries the masked
    number only."""
    if signed_on > business_date(now):
        raise ConsentSignedInFuture(signed_on)
    subject_masked_id = subject_resident_id.masked()
    consent = Consent(
        id=uuid4(),
        household_id=household_id,
        region_code=region_code,
        town_code=town_code,
        subject_name=subject_name,
        subject_resident_id=subject_resident_id.value,
        subject_masked_id=subject_masked_id,
        purpose=purpose,
        signed_on=signed_on,
        recorded_at=now,
        correlation_id=correlation_id,
    )
    event = ConsentRecorded.create(
        ConsentRecordedData(
            consent_id=consent.id, household_id=household_id, subject_masked_id=subject_masked_id, purpose=purpose
        ),
        subject=str(household_id),
        correlation_id=correlation_id,
        now=now,
    )
    return consent, event
