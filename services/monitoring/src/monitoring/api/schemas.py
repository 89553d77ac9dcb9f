"""HTTP models of the monitoring API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class HouseholdRead(BaseModel):
    household_id: UUID
    region_code: str
    town_code: str | None
    reason: str
    assistance_types: list[str]
    registered_at: datetime
    updated_at: datetime


class HouseholdPage(BaseModel):
    items: list[HouseholdRead]
    total: int
    limit: int
    offset: int
