"""Events produced by the verification service (家庭经济状况核对), topic `verification.events`."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import Event, EventData


class ConsentRecordedData(EventData):
    """授权: a household member authorised the economic-status check (核对授权书)."""

    consent_id: UUID
    household_id: UUID
    subject_masked_id: str = Field(description="The authorising person's resident ID, masked")
    purpose: str


class ConsentRecorded(Event):
    type: Literal["verification.consent_recorded.v1"] = "verification.consent_recorded.v1"
    data: ConsentRecordedData
