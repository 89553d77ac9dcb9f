"""A payee's bank account (收款账户, pure). The full number is personal data: encrypted at
rest, masked when read, never logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class PayeeAccount:
    account_id: UUID
    payee_ref: str
    payee_masked: str
    holder_name: str
    account_number: str
    account_masked: str
    bank_name: str
    bank_code: str | None
    county_code: str
    effective_from: date
    changed_at: datetime
    changed_by: str
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
