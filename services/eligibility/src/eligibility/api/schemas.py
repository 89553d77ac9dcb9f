"""HTTP request and response models of the eligibility API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events import AssistanceType
from shared.types import CountyCode, NonEmptyStr, ResidentId


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr = Field(max_length=100, description="申请人姓名")
    resident_id: ResidentId = Field(description="公民身份号码 (18 digits, GB 11643 check digit)")


class ApplicationCreate(BaseModel):
    """申请: a household applies for one kind of assistance."""

    model_config = ConfigDict(extra="forbid")

    assistance_type: AssistanceType
    region_code: CountyCode = Field(description="The household's county-level area (GB/T 2260), e.g. 520102")
    member_count: int = Field(strict=True, ge=1, le=50, description="共同生活的家庭成员人数 (a JSON integer)")
    applicant: Applicant
    household_id: UUID | None = Field(default=None, description="An existing household, if known")


class ApplicationRead(BaseModel):
    id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: str
    member_count: int
    applicant_name: str
    applicant_masked_id: str = Field(description="The applicant's resident ID, masked")
    status: str
    submitted_at: datetime
