"""Events produced by the verification service (家庭经济状况核对), topic `verification.events`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from shared.events.base import Event, EventData
from shared.types import NonNegativeMoney, PersonRef


class ConsentRecordedData(EventData):
    """授权: a household member authorised the economic-status check (核对授权书)."""

    consent_id: UUID
    household_id: UUID
    subject_masked_id: str = Field(description="The authorising person's resident ID, masked")
    purpose: str


class ConsentRecorded(Event):
    type: Literal["verification.consent_recorded.v1"] = "verification.consent_recorded.v1"
    data: ConsentRecordedData


class Department(StrEnum):
    """The departments that answer checks and send notices (协同核对单位)."""

    PUBLIC_SECURITY = "public_security"  # 公安: 户籍, 死亡注销, 车辆 (交管)
    HUMAN_RESOURCES = "human_resources"  # 人力资源社会保障: 就业, 社保缴费, 养老金
    NATURAL_RESOURCES = "natural_resources"  # 自然资源: 不动产登记
    HOUSING = "housing"  # 住房城乡建设 / 住房公积金
    MARKET_REGULATION = "market_regulation"  # 市场监管: 工商登记
    TAX = "tax"  # 税务
    FINANCIAL = "financial"  # 金融机构: 存款, 理财, 证券, 保险
    HEALTH = "health"  # 卫生健康: 住院, 出生/死亡医学证明
    MEDICAL_SECURITY = "medical_security"  # 医疗保障: 医疗费用
    DISABLED_PERSONS = "disabled_persons"  # 残联: 残疾人证
    EDUCATION = "education"  # 教育: 在校学生
    CIVIL_AFFAIRS = "civil_affairs"  # 民政: 婚姻登记, 殡葬


class CheckPurpose(StrEnum):
    """核对用途."""

    APPLICATION = "application"  # 申请审核
    REVIEW = "review"  # 定期复核 / 动态管理
    SPOT_CHECK = "spot_check"  # 抽查 (双随机)


class CheckItem(StrEnum):
    """What a check compares with the household's declaration."""

    MONTHLY_INCOME = "monthly_income"  # 家庭月收入
    FINANCIAL_ASSETS = "financial_assets"  # 金融资产
    VEHICLES = "vehicles"  # 机动车辆
    PROPERTIES = "properties"  # 房产
    BUSINESSES = "businesses"  # 工商登记


_MONEY_ITEMS = frozenset({CheckItem.MONTHLY_INCOME, CheckItem.FINANCIAL_ASSETS})


class Discrepancy(EventData):
    """核对差异: a verified value that differs from the declared one. Money items carry
    amounts, the others counts."""

    item: CheckItem
    declared_amount: NonNegativeMoney | None = None
    verified_amount: NonNegativeMoney | None = None
    declared_count: int | None = Field(default=None, ge=0, le=10_000)
    verified_count: int | None = Field(default=None, ge=0, le=10_000)

    @model_validator(mode="after")
    def _values_fit_the_item(self) -> Self:
        amounts = (self.declared_amount, self.verified_amount)
        counts = (self.declared_count, self.verified_count)
        if self.item in _MONEY_ITEMS:
            if None in amounts or counts != (None, None):
                raise ValueError(f"{self.item}: declared_amount and verified_amount, no counts")
        elif None in counts or amounts != (None, None):
            raise ValueError(f"{self.item}: declared_count and verified_count, no amounts")
        return self


class CheckCompletedData(EventData):
    """核对完成: the economic-status check of a household is done (every department answered,
    or the deadline passed: `departments_missing` says which did not). The values are what the
    departments reported, for eligibility to re-assess on verified data."""

    check_id: UUID
    household_id: UUID
    application_id: UUID | None = Field(
        default=None,
        description="The application the check was run for (from its `application_accepted`); null for a review",
    )
    purpose: CheckPurpose
    completed_on: date
    departments_answered: tuple[Department, ...] = Field(max_length=len(Department))
    departments_missing: tuple[Department, ...] = Field(default=(), max_length=len(Department))
    verified_monthly_income: NonNegativeMoney = Field(description="家庭月收入 as verified (元/月)")
    financial_assets: NonNegativeMoney = Field(description="金融资产 total (元)")
    vehicle_count: int = Field(ge=0, le=10_000)
    property_count: int = Field(ge=0, le=10_000)
    discrepancies: tuple[Discrepancy, ...] = Field(default=(), max_length=len(CheckItem))

    @model_validator(mode="after")
    def _each_department_once(self) -> Self:
        both = (*self.departments_answered, *self.departments_missing)
        if len(set(both)) != len(both):
            raise ValueError("a department is either answered or missing, once")
        return self


class CheckCompleted(Event):
    """verification.check_completed.v1; subject: the household id."""

    type: Literal["verification.check_completed.v1"] = "verification.check_completed.v1"
    data: CheckCompletedData


class DepartmentNoticeKind(StrEnum):
    """部门推送信息 类型: facts other departments push about a person."""

    DEATH = "death"  # 死亡 (公安注销 / 医学证明 / 火化)
    HUKOU_MOVED = "hukou_moved"  # 户籍迁移
    PROPERTY_REGISTERED = "property_registered"  # 不动产登记
    VEHICLE_REGISTERED = "vehicle_registered"  # 机动车登记
    EMPLOYED = "employed"  # 就业 / 社保参保缴费
    UNEMPLOYED = "unemployed"  # 失业登记 (人社部门)
    HOSPITALISED = "hospitalised"  # 住院
    DISABILITY_CERTIFIED = "disability_certified"  # 残疾人证办理或等级变更
    SCHOOL_ENROLLED = "school_enrolled"  # 入学
    IMPRISONED = "imprisoned"  # 服刑
    MARRIED = "married"  # 婚姻登记
    BUSINESS_REGISTERED = "business_registered"  # 工商登记


class DepartmentNoticeReceivedData(EventData):
    """部门信息推送: a department told us something happened to a person. Eligibility decides
    (suspend, review, terminate); monitoring turns it into risk signals."""

    notice_id: UUID
    department: Department
    kind: DepartmentNoticeKind
    person: PersonRef
    occurred_on: date
    received_on: date


class DepartmentNoticeReceived(Event):
    """verification.department_notice_received.v1; subject: the person's reference (`person.ref`),
    so the notices about one person stay in order (a notice knows no household)."""

    type: Literal["verification.department_notice_received.v1"] = "verification.department_notice_received.v1"
    data: DepartmentNoticeReceivedData
