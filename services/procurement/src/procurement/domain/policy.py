"""Procurement policy as data (DOMAIN-RULES §9, POLICY-DEFAULTS): the service list (购买服务清单),
the negative list of 102号令 Art. 10, the thresholds per province and year, the rules of each
procurement method (§9.3) and the clocks of §9.5. Pure: tables and small look-ups, no I/O.

Every table row cites its source; `basis` is `national` for a national rule, `illustrative`
for a demo value (POLICY-DEFAULTS) a decision citing it must label as such, `interpretation`
where §9 is silent and the team decided (listed in the closing note of issue 14).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from shared.events.procurement import ServiceCategory

Basis = Literal["national", "illustrative", "interpretation"]
POLICY_VERSION = "procurement-2026.1"
"""Recorded on every decision that applied these tables (evaluations, awards)."""

# --------------------------------------------------------------------------- service list


class WorkKind(StrEnum):
    """§9.1 ([EX Fujian 2022] S20): 事务性工作 and 服务性工作."""

    ADMINISTRATIVE = "administrative"  # 事务性
    SERVICE = "service"  # 服务性


@dataclass(frozen=True, slots=True)
class ServiceItem:
    """One entry of the 政府购买社会救助服务清单: what may be bought, its unit and indicative price."""

    code: str
    name_zh: str
    name_en: str
    kind: WorkKind
    category: ServiceCategory
    unit: str
    indicative_price_fen: int


_SERVICE_LIST = (
    ServiceItem(
        "care",
        "照料护理（分散供养特困人员委托照料）",
        "care of dispersed 特困 persons",
        WorkKind.SERVICE,
        ServiceCategory.CARE,
        "人·月",
        60_000,
    ),
    ServiceItem("visiting", "巡访探视", "visits", WorkKind.SERVICE, ServiceCategory.VISITING, "人次", 8_000),
    ServiceItem(
        "rehabilitation", "康复训练", "rehabilitation", WorkKind.SERVICE, ServiceCategory.REHABILITATION, "人次", 15_000
    ),
    ServiceItem(
        "escort_medical", "送医陪护", "escort to medical care", WorkKind.SERVICE, ServiceCategory.CARE, "人次", 12_000
    ),
    ServiceItem(
        "counselling", "心理疏导", "counselling", WorkKind.SERVICE, ServiceCategory.SOCIAL_WORK, "人次", 20_000
    ),
    ServiceItem(
        "casework",
        "个案帮扶（社会融入、能力提升、资源链接）",
        "casework",
        WorkKind.SERVICE,
        ServiceCategory.SOCIAL_WORK,
        "个案",
        150_000,
    ),
    ServiceItem(
        "application_help",
        "协助申请与随访",
        "help with applications and follow-up visits",
        WorkKind.SERVICE,
        ServiceCategory.SOCIAL_WORK,
        "人次",
        5_000,
    ),
    ServiceItem(
        "household_survey",
        "家庭经济状况调查评估（辅助性）",
        "household surveys (support work only)",
        WorkKind.ADMINISTRATIVE,
        ServiceCategory.HOUSEHOLD_SURVEY,
        "户",
        10_000,
    ),
    ServiceItem(
        "screening",
        "对象摸底排查",
        "screening for people in need",
        WorkKind.ADMINISTRATIVE,
        ServiceCategory.HOUSEHOLD_SURVEY,
        "户",
        3_000,
    ),
    ServiceItem(
        "training", "业务培训", "training of staff", WorkKind.ADMINISTRATIVE, ServiceCategory.SOCIAL_WORK, "场", 500_000
    ),
    ServiceItem(
        "policy_outreach",
        "政策宣传",
        "policy outreach",
        WorkKind.ADMINISTRATIVE,
        ServiceCategory.SOCIAL_WORK,
        "场",
        300_000,
    ),
    ServiceItem(
        "performance_evaluation",
        "绩效评价（第三方）",
        "third-party performance evaluation",
        WorkKind.ADMINISTRATIVE,
        ServiceCategory.SOCIAL_WORK,
        "项",
        2_000_000,
    ),
)
SERVICE_LIST = MappingProxyType({item.code: item for item in _SERVICE_LIST})


@dataclass(frozen=True, slots=True)
class Prohibited:
    """An entry of the negative list (102号令 Art. 10): may not be bought, with the reason."""

    code: str
    article: str
    reason_en: str
    reason_zh: str


_NEGATIVE_LIST = (
    Prohibited(
        "eligibility_confirmation",
        "Art. 10(2)",
        "审核确认 of 低保/特困 status is a matter the government must perform directly",
        "低保、特困等审核确认属于应当由政府直接履职的事项，不得购买",
    ),
    Prohibited(
        "outside_government_duty",
        "Art. 10(1)",
        "the service is outside the purchaser's duties",
        "不属于政府职责范围的服务事项不得购买",
    ),
    Prohibited(
        "works_bundle",
        "Art. 10(3)",
        "goods and works, and bundles of works and services, are not bought as services",
        "货物、工程及工程与服务打包的项目不得作为政府购买服务",
    ),
    Prohibited("financing", "Art. 10(4)", "financing may not be bought as a service", "融资行为不得作为政府购买服务"),
    Prohibited(
        "staff_recruitment",
        "Art. 10(5)",
        "the purchaser's own staff recruitment may not be bought",
        "购买主体的人员招、聘用不得作为政府购买服务",
    ),
    Prohibited(
        "agency_labour",
        "Art. 10(5)",
        "劳务派遣 (agency labour) may not be bought",
        "以劳务派遣方式用工不得作为政府购买服务",
    ),
    Prohibited(
        "public_welfare_posts", "Art. 10(5)", "公益性岗位 may not be bought", "设置公益性岗位不得作为政府购买服务"
    ),
)
NEGATIVE_LIST = MappingProxyType({p.code: p for p in _NEGATIVE_LIST})

# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True, slots=True)
class Thresholds:
    """公开招标数额标准 and 分散采购限额 for services, per province and year (§9.4: set by the
    province; Guizhou's values NOT FOUND, the demo uses POLICY-DEFAULTS' illustrative ones)."""

    province: str
    year: int
    public_tender_fen: int
    decentralized_limit_fen: int
    basis: Basis
    source: str


_THRESHOLDS = (
    *(
        Thresholds(
            "520000",
            year,
            400_000_000,
            100_000_000,
            "illustrative",
            "POLICY-DEFAULTS procurement thresholds (Guizhou NOT FOUND, DOMAIN-RULES §9.4)",
        )
        for year in (2024, 2025, 2026, 2027)
    ),
    Thresholds(
        "000000", 2020, 200_000_000, 100_000_000, "national", "DOMAIN-RULES §9.4 S15: central 2020 edition (reference)"
    ),
)
THRESHOLDS = MappingProxyType({(t.province, t.year): t for t in _THRESHOLDS})


def province_of(region_code: str) -> str:
    """The province's 区划代码 (first two digits + 0000) of a county or town code."""
    return region_code[:2] + "0000"


# --------------------------------------------------------------------------- methods


class Method(StrEnum):
    PUBLIC_TENDER = "public_tender"  # 公开招标
    INVITED_TENDER = "invited_tender"  # 邀请招标
    COMPETITIVE_NEGOTIATION = "competitive_negotiation"  # 竞争性谈判
    COMPETITIVE_CONSULTATION = "competitive_consultation"  # 竞争性磋商
    SINGLE_SOURCE = "single_source"  # 单一来源
    FRAMEWORK_AGREEMENT = "framework_agreement"  # 框架协议采购
    INQUIRY = "inquiry"  # 询价 (goods only: refused for services)


class Ground(StrEnum):
    """Why a method other than 公开招标 is used (S11 Art. 29–32, S14)."""

    LIMITED_SUPPLIERS = "limited_suppliers"  # 邀请招标: special nature, few suppliers
    TENDER_COST_DISPROPORTIONATE = "tender_cost_disproportionate"  # 邀请招标
    FAILED_TENDER = "failed_tender"  # 竞争性谈判 (and 磋商) after a failed tender
    TECHNICALLY_COMPLEX = "technically_complex"  # 竞争性谈判
    URGENT = "urgent"  # 竞争性谈判
    PRICE_NOT_CALCULABLE = "price_not_calculable"  # 竞争性谈判
    ONLY_ONE_SUPPLIER = "only_one_supplier"  # 单一来源
    UNFORESEEABLE_EMERGENCY = "unforeseeable_emergency"  # 单一来源
    CONSISTENCY_ADDON = "consistency_addon"  # 单一来源: add-on ≤10% of the original contract
    PURCHASE_OF_SERVICES = "purchase_of_services"  # 竞争性磋商: 政府购买服务项目 (214号 Art. 3(1))
    STANDARD_GOODS = "standard_goods"  # 询价


@dataclass(frozen=True, slots=True)
class MethodRule:
    """When a method is allowed (any one of `grounds`, none needed when empty), how many
    suppliers it needs to go on after opening (`min_bids`), how many must be invited
    (`min_invited`), whether it is allowed at or above the 公开招标 threshold, and the least
    calendar days from the documents to the deadline."""

    method: Method
    grounds: frozenset[Ground]
    min_bids: int
    min_invited: int
    above_threshold: Literal["allowed", "finance_approval", "never"]
    min_days_to_deadline: int
    for_services: bool
    source: str
    basis: Basis = "national"
    deadline_in_working_days: bool = False
    """The least period to the deadline counts working days (竞争性谈判), not calendar days."""


_METHODS = (
    MethodRule(
        Method.PUBLIC_TENDER,
        frozenset(),
        3,
        0,
        "allowed",
        20,
        True,
        "§9.3 S11 Art. 26–28, 35–36: the main method; ≥20 days; fewer than 3 bids = 废标",
    ),
    MethodRule(
        Method.INVITED_TENDER,
        frozenset({Ground.LIMITED_SUPPLIERS, Ground.TENDER_COST_DISPROPORTIONATE}),
        3,
        3,
        "finance_approval",
        20,
        True,
        "§9.3 S11 Art. 29, 34–35: ≥3 suppliers chosen at random; ≥20 days",
    ),
    MethodRule(
        Method.COMPETITIVE_NEGOTIATION,
        frozenset({Ground.FAILED_TENDER, Ground.TECHNICALLY_COMPLEX, Ground.URGENT, Ground.PRICE_NOT_CALCULABLE}),
        3,
        3,
        "finance_approval",
        3,
        True,
        "§9.3 S11 Art. 30, 38 (≥3 suppliers); 3 WD to the first response: [MEM] 财政部令第74号 Art. 29",
        "interpretation",
        deadline_in_working_days=True,
    ),
    MethodRule(
        Method.COMPETITIVE_CONSULTATION,
        frozenset(
            {Ground.PURCHASE_OF_SERVICES, Ground.TECHNICALLY_COMPLEX, Ground.PRICE_NOT_CALCULABLE, Ground.FAILED_TENDER}
        ),
        2,
        3,
        "finance_approval",
        10,
        True,
        "§9.3 S14 (214号 Art. 3): 政府购买服务 may go on with 2 qualified suppliers, with 1 it ends; "
        "10 days to the deadline: [MEM] 214号 Art. 10",
        "interpretation",
    ),
    MethodRule(
        Method.SINGLE_SOURCE,
        frozenset({Ground.ONLY_ONE_SUPPLIER, Ground.UNFORESEEABLE_EMERGENCY, Ground.CONSISTENCY_ADDON}),
        1,
        1,
        "finance_approval",
        0,
        True,
        "§9.3 S11 Art. 31; above the threshold 公示 ≥5 WD (S12 Art. 38)",
    ),
    MethodRule(
        Method.FRAMEWORK_AGREEMENT,
        frozenset(),
        2,
        0,
        "allowed",
        20,
        True,
        "§9.3 S11 Art. 26(6), [MEM] 财政部令第110号; 2 bidders and 20 days: team's choice",
        "interpretation",
    ),
    MethodRule(
        Method.INQUIRY,
        frozenset({Ground.STANDARD_GOODS}),
        3,
        3,
        "never",
        3,
        False,
        "§9.3 S11 Art. 32: standard goods only, not suited to services",
    ),
)
METHOD_RULES = MappingProxyType({m.method: m for m in _METHODS})

SUPPLEMENT_CAP_PERCENT = 10
"""Supplementary contracts cumulative ≤10% of the original (S11 Art. 49) — also the cap of a
单一来源 consistency add-on (S11 Art. 31)."""

# --------------------------------------------------------------------------- clocks (§9.5)


class Step(StrEnum):
    BID_DEADLINE = "bid_deadline"
    SINGLE_SOURCE_PUBLICITY = "single_source_publicity"
    EVALUATION_REPORT = "evaluation_report"
    AWARD_DECISION = "award_decision"
    AWARD_ANNOUNCEMENT = "award_announcement"
    CONTRACT_SIGNATURE = "contract_signature"
    CONTRACT_ANNOUNCEMENT = "contract_announcement"
    CONTRACT_FILING = "contract_filing"


@dataclass(frozen=True, slots=True)
class Clock:
    """A §9.5 time limit. `kind` `minimum`: the step may not happen before the n-th day after
    the start (a period that must run); `limit`: the step is due by the end of the n-th day
    (overdue after). The start day never counts (shared.workdays)."""

    amount: int
    unit: Literal["working_days", "calendar_days"]
    kind: Literal["minimum", "limit"]
    start_event: str
    source: str


CLOCKS = MappingProxyType(
    {
        Step.BID_DEADLINE: Clock(
            20,
            "calendar_days",
            "minimum",
            "招标文件发出 (announcement)",
            "§9.5 S11 Art. 35 (tenders; other methods: METHOD_RULES.min_days_to_deadline)",
        ),
        Step.SINGLE_SOURCE_PUBLICITY: Clock(5, "working_days", "minimum", "单一来源 公示 posted", "§9.5 S12 Art. 38"),
        Step.EVALUATION_REPORT: Clock(2, "working_days", "limit", "评审 (opening)", "§9.5 S12 Art. 43"),
        Step.AWARD_DECISION: Clock(5, "working_days", "limit", "评审报告 received", "§9.5 S12 Art. 43"),
        Step.AWARD_ANNOUNCEMENT: Clock(2, "working_days", "limit", "成交/中标 determined", "§9.5 S12 Art. 43"),
        Step.CONTRACT_SIGNATURE: Clock(30, "calendar_days", "limit", "中标/成交通知书 issued", "§9.5 S11 Art. 46"),
        Step.CONTRACT_ANNOUNCEMENT: Clock(2, "working_days", "limit", "合同签订", "§9.5 S12 Art. 50"),
        Step.CONTRACT_FILING: Clock(7, "working_days", "limit", "合同签订", "§9.5 S11 Art. 47"),
    }
)

# --------------------------------------------------------------------------- grades, terms, payment

GRADE_VALIDITY_YEARS = 5  # S10
REAPPLY_WINDOW_YEARS = 2  # may re-apply in the 2 years before expiry (S10)
BAR_AFTER_DOWNGRADE_YEARS = 2  # S10
BAR_AFTER_CANCELLATION_YEARS = 3  # S10
PREFERRED_MIN_GRADE = "3A"  # POLICY-DEFAULTS supplier_eval_grade_preferred_min (preference, not exclusion)
MAJOR_VIOLATION_LOOKBACK_YEARS = 3  # S11 Art. 22(5)
CONTRACT_TERM_DEFAULT_YEARS = 1  # 102号令 Art. 24
CONTRACT_TERM_EXTENDED_YEARS = 3  # 102号令 Art. 24, with budget assured and a stable continuous service

PASS_SCORE = 80
"""Payment linkage (interpretation: §9.5 suggests 'milestone % released on passing score'):
≥80 the instalment in full; 60–79 the instalment × score / 100; <60 nothing this period."""
MIN_PAYABLE_SCORE = 60
