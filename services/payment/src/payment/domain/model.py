"""Payment entities (pure): the monthly payroll run.

Run: draft → calculating → calculated (may be calculated again until approved: every
calculation adds only what is still owed) → approved (by another officer than who calculated:
four-eyes; within budget or with an override reason) → exported (the bank file; exporting
again gives the same file) → settled (every exported instruction has a result)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from shared.types import Period


class PayrollRunStatus(StrEnum):
    DRAFT = "draft"  # 草稿: entitlements not yet collected
    CALCULATING = "calculating"  # 计算中 (a calculation started; resumable)
    CALCULATED = "calculated"  # 已计算
    APPROVED = "approved"  # 已审核 (四眼原则)
    EXPORTED = "exported"  # 已生成银行文件
    SETTLED = "settled"  # 银行结果已全部回盘


@dataclass(slots=True)
class PayrollRun:
    """月度发放批次: one county's payroll for one month. At most one per (county, month), so
    a retried create can never open a second run that would pay twice."""

    id: UUID
    period: Period
    county_code: str
    status: PayrollRunStatus
    created_at: datetime
    correlation_id: str
    calculated_by: str | None = None
    calculated_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    budget_override: str | None = None
    exported_at: datetime | None = None
    settled_at: datetime | None = None
    version: int = 1
