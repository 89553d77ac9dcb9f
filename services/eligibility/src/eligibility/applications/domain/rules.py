"""Pure eligibility rules. The statutory rules and amounts arrive with the policy engine."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from eligibility.applications.domain.commands import SubmitApplication
from eligibility.applications.domain.model import Application, ApplicationStatus
from shared.events import ApplicationSubmitted, ApplicationSubmittedData


def submit_application(cmd: SubmitApplication, *, now: datetime) -> tuple[Application, ApplicationSubmitted]:
    """申请: a new application in state `submitted`, and the event that announces it (with the
    applicant's number masked: events never carry full personal data).

    A first application with no known household starts a new household record.
    """
    applicant_masked_id = cmd.applicant_resident_id.masked()
    application = Application(
        id=uuid4(),
        household_id=cmd.household_id or uuid4(),
        assistance_type=cmd.assistance_type,
        region_code=cmd.region_code,
        town_code=cmd.town_code,
        member_count=cmd.member_count,
        applicant_name=cmd.applicant_name,
        applicant_resident_id=cmd.applicant_resident_id.value,
        applicant_masked_id=applicant_masked_id,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=now,
        correlation_id=cmd.correlation_id,
    )
    event = ApplicationSubmitted.create(
        ApplicationSubmittedData(
            application_id=application.id,
            household_id=application.household_id,
            assistance_type=cmd.assistance_type,
            region_code=cmd.region_code,
            town_code=cmd.town_code,
            member_count=cmd.member_count,
            applicant_masked_id=applicant_masked_id,
        ),
        subject=str(application.household_id),
        correlation_id=cmd.correlation_id,
        now=now,
    )
    return application, event
