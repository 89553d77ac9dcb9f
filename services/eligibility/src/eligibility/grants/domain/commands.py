"""Commands of the 临时救助 grants (pure values, built by the route)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eligibility.grants.domain.model import PaidBy
from shared.types import ResidentId


@dataclass(frozen=True, slots=True)
class GrantFirstAid:
    """急难型 先行救助 where the emergency happened (no hukou or residence condition)."""

    region_code: str
    town_code: str | None
    recipient_name: str
    recipient_resident_id: ResidentId
    cause: str
    requested_fen: int
    members: int
    paid_by: PaidBy
    household_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Backfill:
    signed: bool
    note: str
