"""The entitlement ledger (pure): what each case is owed, per month and component, as
eligibility decided it (case approved, amounts changed, case terminated), and the one-off
temporary grants. Money in integer fen.

A case's entitlement is a list of versions, each effective from a month (批准 or 调整), and an
optional last entitled month (终止). The amount owed for a month is the version in force that
month, per component (补差, 分类施保, 基本生活费, 照料护理费, 价格补贴), summed over the members."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from shared.events.eligibility import BenefitComponent, CaseCategory
from shared.types import Period

GRANT_COMPONENT = "grant"
"""The component of a one-off temporary grant's instruction (临时救助)."""


class Programme(StrEnum):
    """资金项目: the budget lines money is paid from (DOMAIN-RULES §2.8, §3, §4)."""

    DIBAO = "dibao"  # 最低生活保障资金 (also 边缘/刚性支出 amounts and 渐退)
    TEKUN = "tekun"  # 特困人员救助供养资金
    TEMPORARY = "temporary"  # 临时救助资金
    PRICE_SUBSIDY = "price_subsidy"  # 价格临时补贴
    PURCHASED_SERVICES = "purchased_services"  # 政府购买服务


def programme_of(category: CaseCategory | None, component: str) -> Programme:
    """Where a line is paid from: price subsidies from their own fund, grants from 临时救助,
    特困 from its fund, everything else from 低保 (decision: 边缘 and 刚性支出 amounts, when a
    county pays them in cash, come from the 低保 fund; DOMAIN-RULES is silent)."""
    if component == BenefitComponent.PRICE_SUBSIDY:
        return Programme.PRICE_SUBSIDY
    if component == GRANT_COMPONENT:
        return Programme.TEMPORARY
    if category is CaseCategory.TEKUN:
        return Programme.TEKUN
    return Programme.DIBAO


@dataclass(frozen=True, slots=True)
class Version:
    effective_from: Period
    amounts: dict[str, int]
    """Component → fen per month (members summed)."""


@dataclass(slots=True)
class Entitlement:
    case_id: UUID
    household_id: UUID
    county_code: str
    town_code: str | None
    category: CaseCategory
    payee_ref: str
    payee_masked: str
    versions: list[Version] = field(default_factory=list)
    entitled_until: Period | None = None
    """Last month owed (the case was terminated); None while the case lasts."""

    @property
    def first_month(self) -> Period:
        return min(v.effective_from for v in self.versions)

    def owed(self, period: Period) -> dict[str, int]:
        """Component → fen owed for `period` (empty outside the entitled months)."""
        if period < self.first_month or (self.entitled_until is not None and self.entitled_until < period):
            return {}
        current = max((v for v in self.versions if not period < v.effective_from), key=lambda v: v.effective_from)
        return {c: fen for c, fen in current.amounts.items() if fen > 0}

    def months(self, through: Period) -> Iterator[Period]:
        """Every month owed something from the first one through `through` (and the last entitled)."""
        last = through if self.entitled_until is None or through < self.entitled_until else self.entitled_until
        month = self.first_month
        while not last < month:
            yield month
            month = month.next()


@dataclass(frozen=True, slots=True)
class Grant:
    """A one-off temporary grant (临时救助) paid through a run (by bank) or at the town (cash)."""

    grant_id: UUID
    household_id: UUID
    county_code: str
    town_code: str | None
    payee_ref: str
    payee_masked: str
    amount_fen: int
    period: Period
    by_bank: bool
