"""Events produced by the procurement service (政府购买服务), topic `procurement.events`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from shared.events.base import Event, EventData
from shared.types import CountyCode, CreditCode, NonNegativeMoney, Period, PersonRef


class ProviderRegisteredData(EventData):
    """A social organisation was registered as a service provider (承接主体登记)."""

    provider_id: UUID
    credit_code: CreditCode
    name: str


class ProviderRegistered(Event):
    type: Literal["procurement.provider_registered.v1"] = "procurement.provider_registered.v1"
    data: ProviderRegisteredData


class ServiceCategory(StrEnum):
    """购买服务 类别."""

    CARE = "care"  # 委托照料 (分散供养特困人员照料服务)
    VISITING = "visiting"  # 探访关爱
    SOCIAL_WORK = "social_work"  # 社会工作 / 个案帮扶
    HOUSEHOLD_SURVEY = "household_survey"  # 入户调查 / 家庭经济状况评估
    REHABILITATION = "rehabilitation"  # 康复服务


class ContractAwardedData(EventData):
    """合同签订: a provider won a service contract (政府购买服务合同)."""

    contract_id: UUID
    provider_id: UUID
    provider_credit_code: CreditCode
    service: ServiceCategory
    value: NonNegativeMoney = Field(description="合同金额 (元)")
    county_code: CountyCode
    term_start: date
    term_end: date

    @model_validator(mode="after")
    def _term_in_order(self) -> Self:
        if self.term_end < self.term_start:
            raise ValueError("term_end is on or after term_start")
        return self


class ContractAwarded(Event):
    """procurement.contract_awarded.v1; subject: the contract id."""

    type: Literal["procurement.contract_awarded.v1"] = "procurement.contract_awarded.v1"
    data: ContractAwardedData


class ServiceDeliveredData(EventData):
    """服务记录: one visit or session delivered under a contract to a person."""

    delivery_id: UUID
    contract_id: UUID
    recipient: PersonRef
    service: ServiceCategory
    delivered_on: date
    duration_minutes: int = Field(ge=1, le=24 * 60)
    satisfaction: int | None = Field(default=None, ge=1, le=5, description="满意度 1–5, null when not asked")


class ServiceDelivered(Event):
    """procurement.service_delivered.v1; subject: the contract id."""

    type: Literal["procurement.service_delivered.v1"] = "procurement.service_delivered.v1"
    data: ServiceDeliveredData


class EvaluationCompletedData(EventData):
    """绩效评价: a contract's period was evaluated; `amount_due` is the instalment payment owes."""

    evaluation_id: UUID
    contract_id: UUID
    period: Period
    score: int = Field(ge=0, le=100, description="评价得分 0–100")
    amount_due: NonNegativeMoney
    evaluated_on: date


class EvaluationCompleted(Event):
    """procurement.evaluation_completed.v1; subject: the contract id."""

    type: Literal["procurement.evaluation_completed.v1"] = "procurement.evaluation_completed.v1"
    data: EvaluationCompletedData
