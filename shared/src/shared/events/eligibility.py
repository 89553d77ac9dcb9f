"""Events produced by the eligibility service (资格认定), topic `eligibility.events`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import Event, EventData
from shared.types import RegionCode, TownCode


class AssistanceType(StrEnum):
    """The kinds of assistance an application can be for."""

    DIBAO = "dibao"  # 最低生活保障
    TEKUN = "tekun"  # 特困人员救助供养
    TEMPORARY = "temporary"  # 临时救助
    EMERGENCY = "emergency"  # 急难型临时救助 (先行救助)
    MARGINAL = "marginal"  # 低保边缘家庭
    EXPENDITURE = "expenditure"  # 刚性支出困难家庭 (支出型)


class ApplicationSubmittedData(EventData):
    """申请: a household applied for assistance. Carries no full personal number (privacy by
    default): consumers that need identity ask eligibility or verification."""

    application_id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: RegionCode
    town_code: TownCode | None = Field(
        default=None,
        description="乡镇（街道）代码 of the household when known (12 digits), so town-level staff can be "
        "given the records of their town; null when only the county is known",
    )
    member_count: int = Field(ge=1, le=50)
    applicant_masked_id: str = Field(description="The applicant's resident ID, masked (5201**********123X)")


class ApplicationSubmitted(Event):
    """v2 (2026-11-29): adds `town_code`. v1 events are upcast with `town_code: null`."""

    type: Literal["eligibility.application_submitted.v2"] = "eligibility.application_submitted.v2"
    data: ApplicationSubmittedData
