"""What a caller asks the verification service to do: one small command per use case, built by
the edge (route, consumer) from its request and handed down to the service and the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from shared.types import ResidentId


@dataclass(frozen=True, slots=True)
class RecordConsent:
    """记录核对授权书: one household member's signed authorisation to check their finances."""

    household_id: UUID
    region_code: str
    subject_name: str
    subject_resident_id: ResidentId
    purpose: str
    signed_on: date
    correlation_id: str
    town_code: str | None = None
    """The town (乡镇/街道); the service fills in a town caseworker's own town when absent."""
    valid_until: date | None = None
    """Last day of use; None: while assistance lasts."""
