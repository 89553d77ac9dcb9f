"""The port every department connector implements (pure types): the checking centre (核对中心)
asks one data source about one person and gets findings back, or an error saying whether a retry
may help.

A *source* is one kind of data of DOMAIN-RULES §6.2 (tax, real estate, bank deposits…); each is
kept by a `Department` (the one the events name). Connectors are adapters behind this port, one
per source, each speaking its department's API (JSON, XML, paged…); the orchestration (fan-out,
timeouts, retries, circuit breakers, partial results) never sees those shapes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from shared.events.verification import Department


class Source(StrEnum):
    """核对数据来源 (DOMAIN-RULES §6.2), each kept by one department (`DEPARTMENT_OF`)."""

    HUKOU = "hukou"  # 户籍 (members, deaths, cancellations) — 公安
    VEHICLES = "vehicles"  # 机动车登记 — 公安交管
    TAX = "tax"  # 纳税记录, 工资薪金/经营所得 — 税务
    SOCIAL_INSURANCE = "social_insurance"  # 社保缴费, 养老金, 失业保险金 — 人社
    PROVIDENT_FUND = "provident_fund"  # 住房公积金 缴存/余额 — 公积金中心 (住建)
    REAL_ESTATE = "real_estate"  # 不动产登记 — 自然资源
    MARKET_REGISTRATION = "market_registration"  # 市场主体登记 (企业, 个体工商户) — 市场监管
    MARRIAGE = "marriage"  # 婚姻登记 — 民政
    FUNERAL = "funeral"  # 殡葬 / 火化 — 民政
    BANK_DEPOSITS = "bank_deposits"  # 银行存款 — 金融机构
    SECURITIES = "securities"  # 证券, 基金 — 金融机构
    COMMERCIAL_INSURANCE = "commercial_insurance"  # 商业保险 (现金价值) — 金融机构


DEPARTMENT_OF: dict[Source, Department] = {
    Source.HUKOU: Department.PUBLIC_SECURITY,
    Source.VEHICLES: Department.PUBLIC_SECURITY,
    Source.TAX: Department.TAX,
    Source.SOCIAL_INSURANCE: Department.HUMAN_RESOURCES,
    Source.PROVIDENT_FUND: Department.HOUSING,
    Source.REAL_ESTATE: Department.NATURAL_RESOURCES,
    Source.MARKET_REGISTRATION: Department.MARKET_REGULATION,
    Source.MARRIAGE: Department.CIVIL_AFFAIRS,
    Source.FUNERAL: Department.CIVIL_AFFAIRS,
    Source.BANK_DEPOSITS: Department.FINANCIAL,
    Source.SECURITIES: Department.FINANCIAL,
    Source.COMMERCIAL_INSURANCE: Department.FINANCIAL,
}


class FindingKind(StrEnum):
    """What a finding is about (the report's sections, DOMAIN-RULES §6.4)."""

    INCOME = "income"  # a month's income of one category (元/月)
    FINANCIAL_ASSET = "financial_asset"  # a balance or value (元)
    VEHICLE = "vehicle"  # one vehicle
    PROPERTY = "property"  # one property
    BUSINESS = "business"  # one registered market entity
    STATUS = "status"  # a civil fact: 户籍 status, death, marriage, cremation


class IncomeCategory(StrEnum):
    """收入类别 (S1 Art. 13), as the checking centre reports them."""

    WAGE = "wage"  # 工资性收入
    BUSINESS = "business"  # 经营净收入
    PROPERTY = "property"  # 财产净收入
    TRANSFER = "transfer"  # 转移净收入 (养老金, 失业保险金…)


@dataclass(frozen=True, slots=True)
class Finding:
    """One item a source reported about a person. `category`: an `IncomeCategory` for income,
    else the source's own short label (`deposit`, `car`, `residential`, `company`, `deceased`…).
    `month` (YYYY-MM) for income; `amount` in 元 (Decimal) where the item has one; `count` for
    countable items (vehicles, properties, businesses: 1 each); `reference`: the department's
    own record id (never a resident ID); `detail`: a short non-personal description
    (a brand, a floor area, a company type), at most 200 characters."""

    kind: FindingKind
    category: str
    reference: str
    month: str | None = None
    amount: Decimal | None = None
    count: int | None = None
    occurred_on: date | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PersonQuery:
    """One question to one source about one person, under an authorisation (授权书)."""

    query_id: UUID
    """Unique per query; the department sees it as the request id, the audit links it."""
    resident_id: str
    name: str
    period_start: date
    """First day of the first month income is asked for (12 months back from the check)."""
    period_end: date
    """Last day of the last month asked for."""


@dataclass(frozen=True, slots=True)
class SourceAnswer:
    source: Source
    findings: tuple[Finding, ...]
    answered_at: datetime
    department_reference: str = ""
    """The department's id for this answer (its transaction/serial number), for the audit."""


class SourceUnavailable(Exception):
    """The source gave no usable answer this time (timeout, connection refused, 5xx, garbage):
    a retry later may help. `reason`: a short code for the report (`timeout`, `http_503`…)."""

    def __init__(self, source: Source, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SourceRefused(Exception):
    """The source refused the question (4xx: unknown person format, not authorised): a retry
    of the same question will not help. `reason`: a short code."""

    def __init__(self, source: Source, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SourceConnector(Protocol):
    """One source as the checking centre reaches it."""

    source: Source

    async def query(self, person: PersonQuery) -> SourceAnswer:
        """Ask about one person; `SourceUnavailable` or `SourceRefused` when there is no answer.
        Connectors do not retry: the orchestration owns timeouts, retries and breakers."""
        ...

    async def aclose(self) -> None: ...
