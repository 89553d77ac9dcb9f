"""Payment entities (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from shared.types import Period


class PayrollRunStatus(StrEnum):
    DRAFT = "draft"  # 草稿: entitlements not yet collected


@dataclass(frozen=True)
class PayrollRun:
    """月度发放批次: one county's payroll for one month. At most one per (county, month), so
    a retried create can never open a second run that would pay twice."""

    id: UUID
    period: Period
    county_code: str
    status: PayrollRunStatus
    created_at: datetime
    correlation_id: str
