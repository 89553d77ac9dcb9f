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
    subject_name: str
    subject_masked_id: str
    purpose: str
    signed_on: date
    recorded_at: datetime
    correlation_id: str
