"""HTTP request and response models of applications."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from eligibility.applications.domain.commands import SubmitApplication
from shared.events import AssistanceType
from shared.types import (
    CountyCode,
    InvalidValueError,
    NonEmptyStr,
    ResidentId,
    TownCode,
    check_town_in_county,
)


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: NonEmptyStr = Field(max_length=100, description="申请人姓名")
    resident_id: ResidentId = Field(description="公民身份号码 (18 digits, GB 11643 check digit)")


class ApplicationCreate(BaseModel):
    """申请: a household applies for one kind of assistance."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "assistance_type": "dibao",
                    "region_code": "520102",
                    "town_code": "520102001000",
                    "member_count": 3,
                    "applicant": {"name": "王芳", "resident_id": "520102198603140421"},
                }
            ]
        },
    )

    assistance_type: AssistanceType
    region_code: CountyCode = Field(description="The household's county-level area (GB/T 2260), e.g. 520102")
    town_code: TownCode | None = Field(
        default=None, description="The household's town (乡镇/街道), 12 digits; a town caseworker's own town if omitted"
    )
    member_count: int = Field(strict=True, ge=1, le=50, description="共同生活的家庭成员人数 (a JSON integer)")
    applicant: Applicant
    household_id: UUID | None = Field(
        default=None, description="An existing household, if known (a citizen's own household if omitted)"
    )

    @model_validator(mode="after")
    def _town_in_county(self) -> ApplicationCreate:
        try:
            check_town_in_county(self.town_code, self.region_code)
        except InvalidValueError as exc:
            raise exc.to_pydantic() from None
        return self

    def to_command(self, correlation_id: str) -> SubmitApplication:
        return SubmitApplication(
            assistance_type=self.assistance_type,
            region_code=self.region_code,
            member_count=self.member_count,
            applicant_name=self.applicant.name,
            applicant_resident_id=self.applicant.resident_id,
            correlation_id=correlation_id,
            household_id=self.household_id,
            town_code=self.town_code,
        )


class ApplicationRead(BaseModel):
    id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: str
    town_code: str | None
    member_count: int
    applicant_name: str
    applicant_masked_id: str = Field(description="The applicant's resident ID, masked")
    status: str
    submitted_at: datetime


class ApplicantSearch(BaseModel):
    """Find applications by the applicant's resident ID (sent in the body, never in a URL)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"resident_id": "520102198603140421"}]})

    resident_id: ResidentId


class ApplicationPersonalData(BaseModel):
    """The unmasked personal data of an application (a full-value read: audited with its purpose)."""

    id: UUID
    applicant_name: str
    applicant_resident_id: str | None = Field(description="Null if recorded before encryption at rest")
