"""临时救助 grants (pure): emergency first aid (急难型 先行救助) paid at once by the town, and
the one-off grants of approved 支出型 applications (DOMAIN-RULES §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


class GrantKind(StrEnum):
    EMERGENCY = "emergency"  # 急难型：先行救助
    EXPENDITURE = "expenditure"  # 支出型：经申请、审核、公示、审批


class RemainderRoute(StrEnum):
    """Where the part above the first-aid ceiling goes (DOMAIN-RULES §4.2, §4.4)."""

    NONE = "none"  # nothing left
    EXPENDITURE_APPLICATION = "expenditure_application"  # 转入支出型临时救助申请程序
    CASE_BY_CASE = "case_by_case"  # 一事一议（县级困难群众基本生活保障协调机制）


class PaidBy(StrEnum):
    TOWN_CASH = "town_cash"  # 乡镇（街道）备用金现金发放
    BANK = "bank"  # 社会化发放到账户


class ApprovalLevel(StrEnum):
    TOWN = "town"
    COUNTY = "county"


@dataclass(frozen=True, slots=True)
class FirstAid:
    """What the town may pay at once and what happens to the rest."""

    requested_fen: int
    granted_fen: int
    remainder_fen: int
    remainder_route: RemainderRoute
    ceiling_fen: int


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: UUID
    kind: GrantKind
    region_code: str
    town_code: str | None
    household_id: UUID | None
    application_id: UUID | None
    recipient_name: str
    recipient_masked_id: str
    cause: str
    requested_fen: int
    granted_fen: int
    remainder_fen: int
    remainder_route: RemainderRoute
    approval_level: ApprovalLevel
    paid_by: PaidBy
    policy_version: str
    granted_by: str
    granted_at: datetime
    granted_on: date
    backfill_due: date | None
    """急难型: the paperwork (登记、签字) is due by then (先救助、后补办)."""
    backfill_provisional: bool = False
    backfilled_on: date | None = None
    backfill_note: str = ""
    version: int = 1
