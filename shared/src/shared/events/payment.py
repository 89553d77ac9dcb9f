"""Events produced by the payment service (资金发放), topic `payment.events`."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from shared.events.base import Event, EventData
from shared.types import CountyCode, Period


class PayrollRunCreatedData(EventData):
    """A monthly payroll run (月度发放批次) was opened for a county and a month."""

    payroll_run_id: UUID
    period: Period
    county_code: CountyCode


class PayrollRunCreated(Event):
    type: Literal["payment.payroll_run_created.v1"] = "payment.payroll_run_created.v1"
    data: PayrollRunCreatedData
