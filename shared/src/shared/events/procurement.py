"""Events produced by the procurement service (政府购买服务), topic `procurement.events`."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from shared.events.base import Event, EventData
from shared.types import CreditCode


class ProviderRegisteredData(EventData):
    """A social organisation was registered as a service provider (承接主体登记)."""

    provider_id: UUID
    credit_code: CreditCode
    name: str


class ProviderRegistered(Event):
    type: Literal["procurement.provider_registered.v1"] = "procurement.provider_registered.v1"
    data: ProviderRegisteredData
