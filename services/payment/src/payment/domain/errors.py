"""Payment domain errors."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import BadRequest, Conflict, NotFound
from shared.types import Period


class PayrollRunNotFound(NotFound):
    def __init__(self, run_id: UUID) -> None:
        super().__init__(f"payroll run {run_id} not found", message_zh=f"未找到发放批次 {run_id}")


class PayrollRunExists(Conflict):
    def __init__(self, period: Period, county_code: str, existing_id: UUID) -> None:
        super().__init__(
            f"a payroll run for {county_code} {period} already exists: {existing_id}",
            message_zh=f"{county_code} {period} 的发放批次已存在: {existing_id}",
        )


class PayrollPeriodTooFarAhead(BadRequest):
    def __init__(self, period: Period) -> None:
        super().__init__(
            f"a payroll run can be opened at most for next month, not {period}",
            message_zh=f"发放批次最多只能提前一个月建立，不能为 {period}",
        )


class RunChanged(Conflict):
    reason = "run_changed"

    def __init__(self) -> None:
        super().__init__(
            "the payroll run was changed meanwhile by another request: read it again",
            message_zh="发放批次已被其他操作更新，请刷新后重试",
        )
