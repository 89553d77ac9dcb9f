"""What a caller asks of applications: one small command per use case, built by
the edge (the route) and handed down to the service and the rules."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from shared.events import AssistanceType
from shared.types import ResidentId


@dataclass(frozen=True, slots=True)
class SubmitApplication:
    """申请: a household applies for one kind of assistance.

    `household_id` and `town_code` are what the caller asked for; the service settles them
    against the caller's region scope (a citizen's own household, a town caseworker's town)
    before the rules see the command."""

    assistance_type: AssistanceType
    region_code: str
    member_count: int
    applicant_name: str
    applicant_resident_id: ResidentId
    correlation_id: str
    household_id: UUID | None = None
    town_code: str | None = None
