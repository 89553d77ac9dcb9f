"""HTTP models of the payment API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.types import CountyCode, Period


class PayrollRunCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"period": "2026-12", "county_code": "520102"}]}
    )

    period: Period = Field(description="Benefit month YYYY-MM (Asia/Shanghai)")
    county_code: CountyCode


class PayrollRunRead(BaseModel):
    id: UUID
    period: Period
    county_code: str
    status: str
    created_at: datetime
