"""Every event type in Jiuzhu, and `parse_event`, the one way to read one.

Add a new event class to its producer's module and to `LATEST` below; add upcasters for old
versions to `UPCASTERS` (from the `<producer>_legacy.py` modules). `make schemas` refreshes the
committed JSON Schema snapshots.
"""

from __future__ import annotations

from functools import cache

from shared.events.base import Event, EventData, EventParseError, EventRegistry, Upcaster
from shared.events.eligibility import ApplicationSubmitted, ApplicationSubmittedData, AssistanceType
from shared.events.eligibility_legacy import upcast_application_submitted_v1
from shared.events.monitoring import HouseholdRegistered, HouseholdRegisteredData
from shared.events.payment import PayrollRunCreated, PayrollRunCreatedData
from shared.events.procurement import ProviderRegistered, ProviderRegisteredData
from shared.events.verification import ConsentRecorded, ConsentRecordedData

LATEST: tuple[type[Event], ...] = (
    ApplicationSubmitted,
    ConsentRecorded,
    PayrollRunCreated,
    HouseholdRegistered,
    ProviderRegistered,
)

UPCASTERS: dict[str, Upcaster] = {
    "eligibility.application_submitted.v1": upcast_application_submitted_v1,
}


@cache
def registry() -> EventRegistry:
    """The registry of every known event type (built on first use, not at import)."""
    return EventRegistry(LATEST, UPCASTERS)


def parse_event(raw: bytes | str) -> Event:
    """Decode, upcast and validate one event; raises `EventParseError` for anything else."""
    return registry().parse(raw)


__all__ = [
    "LATEST",
    "UPCASTERS",
    "ApplicationSubmitted",
    "ApplicationSubmittedData",
    "AssistanceType",
    "ConsentRecorded",
    "ConsentRecordedData",
    "Event",
    "EventData",
    "EventParseError",
    "EventRegistry",
    "HouseholdRegistered",
    "HouseholdRegisteredData",
    "PayrollRunCreated",
    "PayrollRunCreatedData",
    "ProviderRegistered",
    "ProviderRegisteredData",
    "Upcaster",
    "parse_event",
    "registry",
]
