"""Events produced by the payment service (资金发放), topic `payment.events`."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from shared.events.base import Event, EventData
from shared.types import CountyCode, NonNegativeMoney, Period, PersonRef


class PayrollRunCreatedData(EventData):
    """A monthly payroll run (月度发放批次) was opened for a county and a month."""

    payroll_run_id: UUID
    period: Period
    county_code: CountyCode


class PayrollRunCreated(Event):
    type: Literal["payment.payroll_run_created.v1"] = "payment.payroll_run_created.v1"
    data: PayrollRunCreatedData


class PaymentFailureReason(StrEnum):
    """发放失败原因, as the bank's result file reports it (mapped to these codes)."""

    ACCOUNT_CLOSED = "account_closed"  # 账户已销户
    ACCOUNT_FROZEN = "account_frozen"  # 账户冻结 / 止付
    NAME_MISMATCH = "name_mismatch"  # 户名与账号不符
    INVALID_ACCOUNT = "invalid_account"  # 账号不存在 / 格式错误
    PAYEE_DECEASED = "payee_deceased"  # 领取人已死亡 (held back)
    BANK_REJECTED = "bank_rejected"  # 其他银行退票


class PaymentTarget(EventData):
    """What a payment instruction pays: a monthly benefit (a case and a month) or a one-off
    temporary grant (a grant). Exactly one of `case_id` and `grant_id`."""

    instruction_id: UUID
    household_id: UUID
    case_id: UUID | None = None
    grant_id: UUID | None = None
    period: Period = Field(description="The benefit month paid (the grant's month for a temporary grant)")
    amount: NonNegativeMoney

    @model_validator(mode="after")
    def _case_or_grant(self) -> Self:
        if (self.case_id is None) == (self.grant_id is None):
            raise ValueError("exactly one of case_id and grant_id")
        return self


class PaymentSettledData(PaymentTarget):
    """发放成功: the bank paid the instruction's amount into the payee's account."""

    settled_on: date


class PaymentSettled(Event):
    """payment.payment_settled.v1; subject: the household id."""

    type: Literal["payment.payment_settled.v1"] = "payment.payment_settled.v1"
    data: PaymentSettledData


class PaymentFailedData(PaymentTarget):
    """发放失败: the bank returned the instruction (退票); the amount is not paid."""

    failed_on: date
    failure_reason: PaymentFailureReason


class PaymentFailed(Event):
    """payment.payment_failed.v1; subject: the household id."""

    type: Literal["payment.payment_failed.v1"] = "payment.payment_failed.v1"
    data: PaymentFailedData


class RecoveryOpenedData(EventData):
    """追缴: money paid for months the case was not entitled to (a backdated termination) is
    owed back; `months` are the months paid in error."""

    recovery_id: UUID
    case_id: UUID
    household_id: UUID
    payee: PersonRef = Field(description="The person the money was paid to")
    months: tuple[Period, ...] = Field(min_length=1, max_length=600)
    amount_owed: NonNegativeMoney
    opened_on: date

    @model_validator(mode="after")
    def _months_in_order(self) -> Self:
        if list(self.months) != sorted(set(self.months)):
            raise ValueError("months are distinct and in order")
        return self


class RecoveryOpened(Event):
    """payment.recovery_opened.v1; subject: the household id."""

    type: Literal["payment.recovery_opened.v1"] = "payment.recovery_opened.v1"
    data: RecoveryOpenedData
