"""Verification entities (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True)
class Consent:
    """授权书: a household member's written authorisation for the economic-status check
    (家庭经济状况核对, DOMAIN-RULES §6.3). Without it no department may be queried."""

    id: UUID
    household_id: UUID
    region_code: str | None
    """县级区划代码 of the household (None for consents recorded before regions were kept:
    visible to city-wide staff only)."""
    town_code: str | None
    """乡镇（街道）代码, when known: town caseworkers see only their town's records."""
    subject_name: str
    subject_resident_id: str | None
    """The full number: encrypted at rest, masked in responses (`subject_masked_id`); None for
    consents stored before encryption at rest."""
    subject_masked_id: str
    purpose: str
    signed_on: date
    recorded_at: datetime
    correlation_id: str

    @property
    def area_code(self) -> str | None:
        """The most precise area the record is placed in (town, else county)."""
        return self.town_code or self.region_code
