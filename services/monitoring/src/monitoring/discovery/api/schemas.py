"""Request and response bodies of proactive discovery. The contact's name and phone and the
account of the hardship are personal data: shown to the area's staff, encrypted at rest; the
reported person's resident ID is kept only as its reference and masked form."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_platform.pii import Phone
from monitoring.discovery.domain.model import Channel, Discovery, Hardship
from shared.types import NonEmptyStr, RegionCode, ResidentId, TownCode


class DiscoveryReport(BaseModel):
    """主动发现上报."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "region_code": "520102",
                    "town_code": "520102001000",
                    "channel": "grassroots",
                    "hardships": ["serious_illness", "no_income"],
                    "resident_id": "11010519491231002X",
                    "contact_name": "王五",
                    "contact_phone": "13812345678",
                    "description": "网格走访发现：户主重病住院，配偶无业，两名子女在读，家中无稳定收入",
                }
            ]
        }
    )

    region_code: RegionCode
    town_code: TownCode | None = Field(default=None, description="Defaults to a town worker's own town")
    channel: Channel
    hardships: list[Hardship] = Field(min_length=1, max_length=10)
    resident_id: ResidentId | None = Field(
        default=None, description="The person in hardship, when known: how their later application is recognised"
    )
    contact_name: NonEmptyStr = Field(max_length=50)
    contact_phone: Phone | None = None
    description: NonEmptyStr = Field(max_length=2000, description="What the reporter saw")


class DiscoveryRead(BaseModel):
    discovery_id: UUID
    alert_id: UUID = Field(description="The town's task (in GET /v1/monitoring/alerts)")
    region_code: str
    town_code: str | None
    channel: Channel
    hardships: list[Hardship]
    masked_id: str | None
    contact_name: str
    contact_phone: str | None
    description: str
    reported_by: str
    reported_on: date
    status: str = Field(description="open (待核实、待申请), applied (已受理申请)")
    household_id: UUID | None
    application_id: UUID | None

    @classmethod
    def of(cls, d: Discovery) -> DiscoveryRead:
        return cls(
            discovery_id=d.discovery_id,
            alert_id=d.alert_id,
            region_code=d.region_code,
            town_code=d.town_code,
            channel=d.channel,
            hardships=list(d.hardships),
            masked_id=d.masked_id,
            contact_name=d.contact_name,
            contact_phone=d.contact_phone,
            description=d.description,
            reported_by=d.reported_by,
            reported_on=d.reported_on,
            status=d.status.value,
            household_id=d.household_id,
            application_id=d.application_id,
        )


class DiscoveryPage(BaseModel):
    items: list[DiscoveryRead]
    total: int
    limit: int
    offset: int
