"""Events as eligibility and verification publish them, for monitoring's tests (the service's and
the e2e tier's): an approved case, a department notice, a person reference. For tests only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY
from shared.events import CaseApproved, DepartmentNoticeReceived
from shared.events.eligibility import (
    BenefitAmounts,
    BenefitComponent,
    BenefitLine,
    CaseApprovedData,
    CaseCategory,
    SupportMode,
)
from shared.events.verification import Department, DepartmentNoticeKind, DepartmentNoticeReceivedData
from shared.types import Period, PersonRef, ResidentId, resident_id_check_digit

KEY = person_ref_key_from_config(TEST_PERSON_REF_KEY)
COUNTY, TOWN = "520102", "520102001000"


def person(body17: str) -> PersonRef:
    return person_ref(ResidentId(body17 + resident_id_check_digit(body17)), KEY)


def approved(
    household: UUID,
    payee: PersonRef,
    category: CaseCategory,
    *,
    region: str = COUNTY,
    town: str | None = None,
    support_mode: SupportMode | None = None,
    filed: bool = False,
) -> CaseApproved:
    line = BenefitLine(member=payee, component=BenefitComponent.BASIC_LIVING, monthly=Decimal("640.00"))
    data = CaseApprovedData(
        case_id=uuid4(),
        household_id=household,
        application_id=uuid4(),
        category=category,
        amounts=BenefitAmounts(lines=(line,), monthly_total=Decimal("640.00")),
        payee=payee,
        effective_from=Period(2026, 6),
        policy_version="2026.1",
        region_code=region,
        town_code=town or region + "001000",
        support_mode=support_mode or (SupportMode.DISPERSED if category is CaseCategory.TEKUN else None),
        conflict_of_interest=filed,
    )
    return CaseApproved.create(data, subject=str(household), correlation_id="warn-test", now=datetime.now(UTC))


def notice(
    who: PersonRef, kind: DepartmentNoticeKind, department: Department, *, occurred_on: date | None = None
) -> DepartmentNoticeReceived:
    data = DepartmentNoticeReceivedData(
        notice_id=uuid4(),
        department=department,
        kind=kind,
        person=who,
        occurred_on=occurred_on or date.today(),
        received_on=date.today(),
    )
    return DepartmentNoticeReceived.create(data, subject=who.ref, correlation_id="notice-test", now=datetime.now(UTC))
