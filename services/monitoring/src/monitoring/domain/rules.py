"""Pure register rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from monitoring.domain.model import RegisterEntry
from shared.events import HouseholdRegistered, HouseholdRegisteredData

REASON_APPLICATION = "application_submitted"  # 申请救助即纳入监测
REASON_DISCOVERED = "discovered"  # 主动发现: reported by a worker or the hotline before it applied


def register_applicant_household(
    existing: RegisterEntry | None,
    *,
    household_id: UUID,
    region_code: str,
    town_code: str | None = None,
    assistance_type: str,
    source_event_id: UUID,
    correlation_id: str,
    now: datetime,
) -> tuple[RegisterEntry, HouseholdRegistered | None]:
    """A household that applies for any assistance enters the register (DOMAIN-RULES §5.1:
    applicants are part of the low-income population to monitor). A household already in the
    register only gains the new assistance type; no new registration event is emitted."""
    if existing is not None:
        types = existing.assistance_types
        if assistance_type not in types:
            types = (*types, assistance_type)
        town = town_code or (existing.town_code if existing.region_code == region_code else None)
        return replace(existing, assistance_types=types, region_code=region_code, town_code=town, updated_at=now), None
    entry = RegisterEntry(
        household_id=household_id,
        region_code=region_code,
        town_code=town_code,
        reason=REASON_APPLICATION,
        assistance_types=(assistance_type,),
        source_event_id=source_event_id,
        registered_at=now,
        updated_at=now,
        correlation_id=correlation_id,
    )
    event = HouseholdRegistered.create(
        HouseholdRegisteredData(
            household_id=household_id,
            region_code=region_code,
            reason=REASON_APPLICATION,
            source_event_id=source_event_id,
        ),
        subject=str(household_id),
        correlation_id=correlation_id,
        causation_id=str(source_event_id),
        now=now,
    )
    return entry, event
