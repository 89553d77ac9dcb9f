"""Pure eligibility rules. The statutory rules and amounts arrive with the policy engine."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eligibility.domain.model import Application, ApplicationStatus
from shared.events import ApplicationSubmitted, ApplicationSubmittedData, AssistanceType
from shared.types import ResidentId


def submit_application(
    *,
    household_id: UUID | None,
    assistance_type: AssistanceType,
    region_code: str,
    town_code: str | None = None,
    member_count: int,
    applicant_name: str,
    applicant_resident_id: ResidentId,
    correlation_id: str,
    now: datetime,
) -> tuple[Application, ApplicationSubmitted]:
    """申请: a new application in state `submitted`, and the event that announces it (with the
    applicant's number masked: events never carry full personal data).

    A first application with no known household starts a new household record.
    """
    applicant_masked_id = applicant_resident_id.masked()
    application = Application(
        id=uuid4(),
        household_id=household_id or uuid4(),
        assistance_type=assistance_type,
        region_code=region_code,
        town_code=town_code,
        member_count=member_count,
        applicant_name=applicant_name,
        applicant_resident_id=applicant_resident_id.value,
        applicant_masked_id=applicant_masked_id,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=now,
        correlation_id=correlation_id,
    )
    event = ApplicationSubmitted.create(
        ApplicationSubmittedData(
            application_id=application.id,
            household_id=application.household_id,
            assistance_type=assistance_type,
            region_code=region_code,
            town_code=town_code,
            member_count=member_count,
            applicant_masked_id=applicant_masked_id,
        ),
        subject=str(application.household_id),
        correlation_id=correlation_id,
        now=now,
    )
    return application, event
