"""HTTP models of the procurement API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.types import CreditCode, NonEmptyStr


class ProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credit_code: CreditCode = Field(description="统一社会信用代码 (GB 32100), checked strictly on manual entry")
    name: NonEmptyStr = Field(max_length=200, description="登记名称")


class ProviderRead(BaseModel):
    id: UUID
    credit_code: str
    name: str
    registration_category: str | None
    registered_at: datetime
