"""HTTP models of the verification API."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.types import NonEmptyStr, ResidentId


class ConsentCreate(BaseModel):
    """授权书: who authorised the check, for which household and purpose."""

    model_config = ConfigDict(extra="forbid")

    household_id: UUID
    subject_name: NonEmptyStr = Field(max_length=100)
    subject_resident_id: ResidentId
    purpose: NonEmptyStr = Field(max_length=200, description="e.g. 低保申请核对")
    signed_on: date


class ConsentRead(BaseModel):
    id: UUID
    household_id: UUID
    subject_name: str
    subject_masked_id: str
    purpose: str
    signed_on: date
    recorded_at: datetime
