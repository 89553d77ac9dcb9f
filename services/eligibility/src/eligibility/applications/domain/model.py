"""Eligibility entities (pure: no SQLAlchemy, no FastAPI, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from shared.events import AssistanceType


class ApplicationStatus(StrEnum):
    """申请→受理→核对→入户调查→审核→公示→确认 (DOMAIN-RULES §2.10); the skeleton knows the first."""

    SUBMITTED = "submitted"  # 已申请


@dataclass(frozen=True)
class Application:
    """A household's application (申请) for one kind of assistance."""

    id: UUID
    household_id: UUID
    assistance_type: AssistanceType
    region_code: str
    """县级区划代码 of the household."""
    town_code: str | None
    """乡镇（街道）代码, when known: town caseworkers see only their town's records."""
    member_count: int
    applicant_name: str
    applicant_resident_id: str | None
    """The full number: encrypted at rest, masked in responses (`applicant_masked_id`); None
    for applications stored before encryption at rest, which kept only the masked number."""
    applicant_masked_id: str
    status: ApplicationStatus
    submitted_at: datetime
    correlation_id: str

    @property
    def area_code(self) -> str:
        """The most precise area the application is placed in (town, else county)."""
        return self.town_code or self.region_code
