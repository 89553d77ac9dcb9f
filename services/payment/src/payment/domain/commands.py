"""What a caller asks the payment service to do: one small command per use case, built by the
edge (route, consumer) and handed down to the service and the rules."""

from __future__ import annotations

from dataclasses import dataclass

from shared.types import Period


@dataclass(frozen=True, slots=True)
class OpenPayrollRun:
    """开立月度发放批次: a draft payroll run of one county for one month."""

    period: Period
    county_code: str
    correlation_id: str
