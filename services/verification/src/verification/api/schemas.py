"""HTTP models of the verification API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from jiuzhu_platform.purpose import check_note
from shared.types import (
    CountyCode,
    InvalidValueError,
    NonEmptyStr,
    ResidentId,
    TownCode,
    check_town_in_county,
)
from verification.domain.model import RevocationReason


class ConsentCreate(BaseModel):
    """授权书: who authorised the check, for which household and purpose."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "household_id": "3fd9f28f-9ae7-4dbf-8a9b-943fc761e153",
                    "region_code": "520102",
                    "town_code": "520102001000",
                    "subject_name": "王芳",
                    "subject_resident_id": "520102198603140421",
                    "purpose": "低保申请核对",
                    "signed_on": "2026-12-01",
                }
            ]
        },
    )

    household_id: UUID
    region_code: CountyCode = Field(description="The household's county-level area (GB/T 2260), e.g. 520102")
    town_code: TownCode | None = Field(
        default=None, description="The household's town (乡镇/街道), 12 digits; a town caseworker's own town if omitted"
    )
    subject_name: NonEmptyStr = Field(max_length=100)
    subject_resident_id: ResidentId
    purpose: Annotated[NonEmptyStr, AfterValidator(check_note)] = Field(
        max_length=200,
        description="As written on the authorisation, e.g. 低保申请核对 (no resident ID, phone or account number)",
    )
    signed_on: date
    valid_until: date | None = Field(
        default=None,
        ge=date(2000, 1, 1),
        le=date(2100, 12, 31),
        description="Last day of use; omitted: valid while assistance lasts (re-signed on a membership change)",
    )

    @model_validator(mode="after")
    def _town_in_county(self) -> ConsentCreate:
        try:
            check_town_in_county(self.town_code, self.region_code)
        except InvalidValueError as exc:
            raise exc.to_pydantic() from None
        return self


class ConsentRead(BaseModel):
    id: UUID
    household_id: UUID
    region_code: str | None
    town_code: str | None
    subject_name: str
    subject_masked_id: str
    purpose: str
    signed_on: date
    recorded_at: datetime
    valid_until: date | None
    revoked_at: datetime | None
    revoked_reason: RevocationReason | None


class ConsentRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "withdrawn"}]})
    reason: RevocationReason


class ConsentPersonalData(BaseModel):
    """The unmasked personal data of a consent (a full-value read: audited with its purpose)."""

    id: UUID
    subject_name: str
    subject_resident_id: str | None = Field(description="Null if recorded before encryption at rest")
