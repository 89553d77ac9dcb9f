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
    member_count: int
    applicant_name: str
    applicant_masked_id: str
    status: ApplicationStatus
    submitted_at: datetime
    correlation_id: str
