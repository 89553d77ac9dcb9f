"""What a caller asks the procurement service to do: one small command per use case, built by
the edge (route, consumer) and handed down to the service and the rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegisterProvider:
    """承接主体登记: a social organisation or company enters the provider register."""

    credit_code: str
    name: str
    correlation_id: str
    contact: str | None = None
