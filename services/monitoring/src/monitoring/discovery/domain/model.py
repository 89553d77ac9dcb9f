"""Proactive discovery (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


class Channel(StrEnum):
    GRASSROOTS = "grassroots"  # 网格员、村（居）委会、社工 (from the mobile app)
    HOTLINE = "hotline_12349"  # 12349 民政服务热线
    REFERRAL = "referral"  # another department or organisation (转介)


class Hardship(StrEnum):
    """困难情形 the reporter saw."""

    SERIOUS_ILLNESS = "serious_illness"  # 重病
    DISABILITY = "disability"  # 残疾
    UNEMPLOYMENT = "unemployment"  # 失业
    NO_INCOME = "no_income"  # 无收入来源
    DISASTER = "disaster"  # 灾害
    ACCIDENT = "accident"  # 意外事故
    ELDERLY_ALONE = "elderly_alone"  # 独居（空巢）老人
    CHILD_UNATTENDED = "child_unattended"  # 事实无人抚养儿童
    HOUSING = "housing"  # 住房困难
    OTHER = "other"


class DiscoveryStatus(StrEnum):
    OPEN = "open"  # 待核实、待申请
    APPLIED = "applied"  # 已受理申请 (the household applied and it was accepted)


@dataclass(frozen=True)
class Discovery:
    discovery_id: UUID
    alert_id: UUID
    region_code: str
    town_code: str | None
    channel: Channel
    hardships: tuple[Hardship, ...]
    person_ref: str | None
    """The reported person's reference, when the reporter gave a resident ID (how the
    household's later application is recognised)."""
    masked_id: str | None
    contact_name: str
    contact_phone: str | None
    description: str
    reported_by: str
    reported_on: date
    status: DiscoveryStatus = DiscoveryStatus.OPEN
    household_id: UUID | None = None
    application_id: UUID | None = None
