"""Events produced by the monitoring service (低收入人口动态监测), topic `monitoring.events`."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from shared.events.base import Event, EventData
from shared.types import RegionCode


class HouseholdRegisteredData(EventData):
    """A household entered the low-income population register (纳入低收入人口监测)."""

    household_id: UUID
    region_code: RegionCode
    reason: str
    source_event_id: UUID


class HouseholdRegistered(Event):
    type: Literal["monitoring.household_registered.v1"] = "monitoring.household_registered.v1"
    data: HouseholdRegisteredData
