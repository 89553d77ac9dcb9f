"""Events produced by the monitoring service (低收入人口动态监测), topic `monitoring.events`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self, TypeAlias
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from shared.events.base import Event, EventData
from shared.types import RegionCode, TownCode


class HouseholdRegisteredData(EventData):
    """A household entered the low-income population register (纳入低收入人口监测)."""

    household_id: UUID
    region_code: RegionCode
    reason: str
    source_event_id: UUID


class HouseholdRegistered(Event):
    type: Literal["monitoring.household_registered.v1"] = "monitoring.household_registered.v1"
    data: HouseholdRegisteredData


RuleCode: TypeAlias = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", min_length=1, max_length=80),
]
"""A monitoring rule's code (预警规则, e.g. ``income.sudden_drop``): rules are configured data,
so their codes are a pattern, not an enum."""


class RiskLevel(StrEnum):
    """预警等级."""

    LOW = "low"  # 黄色 / 一般
    MEDIUM = "medium"  # 橙色 / 较高
    HIGH = "high"  # 红色 / 高


class AlertDisposition(StrEnum):
    """预警处置方式 (一户一条救助链)."""

    DELIVER = "deliver"  # 落实救助帮扶 (give the assistance due)
    REFER = "refer"  # 转介 to another department or programme
    CASE_BY_CASE = "case_by_case"  # 一事一议
    VERIFY_AND_TERMINATE = "verify_and_terminate"  # 核实后终止救助
    NO_RISK = "no_risk"  # 核实无风险, closed without action


class ReviewReason(StrEnum):
    """Why monitoring asks eligibility to review a household (复核)."""

    ALERT = "alert"  # 预警处置
    SPOT_CHECK = "spot_check"  # 双随机抽查
    PROACTIVE = "proactive"  # 主动发现, a proactive application


class AlertRaisedData(EventData):
    """预警: a monitoring rule fired for a household (risk signal → alert → task)."""

    alert_id: UUID
    household_id: UUID
    rule: RuleCode
    risk_level: RiskLevel
    raised_on: date
    town_code: TownCode | None = Field(default=None, description="The household's town when known")


class AlertRaised(Event):
    """monitoring.alert_raised.v1; subject: the household id."""

    type: Literal["monitoring.alert_raised.v1"] = "monitoring.alert_raised.v1"
    data: AlertRaisedData


class AlertDisposedData(EventData):
    """预警处置: an alert was handled and closed with a disposition."""

    alert_id: UUID
    household_id: UUID
    rule: RuleCode
    disposition: AlertDisposition
    disposed_on: date


class AlertDisposed(Event):
    """monitoring.alert_disposed.v1; subject: the household id."""

    type: Literal["monitoring.alert_disposed.v1"] = "monitoring.alert_disposed.v1"
    data: AlertDisposedData


class ReviewRequestedData(EventData):
    """复核请求: monitoring asks eligibility to review a household (or one of its cases)."""

    request_id: UUID
    household_id: UUID
    case_id: UUID | None = Field(default=None, description="The case to review, when the household has one")
    reason: ReviewReason
    alert_id: UUID | None = Field(default=None, description="The alert behind the request (reason alert)")
    requested_on: date

    @model_validator(mode="after")
    def _alert_when_the_reason_is_an_alert(self) -> Self:
        if (self.reason is ReviewReason.ALERT) != (self.alert_id is not None):
            raise ValueError("alert_id is set when the reason is an alert, and only then")
        return self


class ReviewRequested(Event):
    """monitoring.review_requested.v1; subject: the household id."""

    type: Literal["monitoring.review_requested.v1"] = "monitoring.review_requested.v1"
    data: ReviewRequestedData
