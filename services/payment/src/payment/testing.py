"""Test helpers of the payment service: eligibility's events as a test publisher makes them,
delivered through the payment consumer (the in-process bus and the real inbox), and staff
tokens. For tests only (imported by tests and the demo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY, ServiceHarness
from shared.events import (
    BenefitChanged,
    BenefitChangedData,
    CaseApproved,
    CaseApprovedData,
    CaseTerminated,
    CaseTerminatedData,
    DepartmentNoticeReceived,
    DepartmentNoticeReceivedData,
    Event,
)
from shared.events.eligibility import (
    BenefitAmounts,
    BenefitChangeReason,
    BenefitComponent,
    BenefitLine,
    CaseCategory,
    TerminationReason,
)
from shared.events.verification import Department, DepartmentNoticeKind
from shared.types import Period, PersonRef, ResidentId, resident_id_check_digit

KEY = person_ref_key_from_config(TEST_PERSON_REF_KEY)
COUNTY = "520102"
AT = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def resident(body17: str) -> str:
    return body17 + resident_id_check_digit(body17)


def ref(number: str) -> PersonRef:
    return person_ref(ResidentId(number), KEY)


def amounts(payee: str, **components: str) -> BenefitAmounts:
    lines = tuple(
        BenefitLine(member=ref(payee), component=BenefitComponent(c), monthly=Decimal(v)) for c, v in components.items()
    )
    return BenefitAmounts(lines=lines, monthly_total=sum((line.monthly for line in lines), Decimal(0)))


@dataclass
class Case:
    case_id: UUID
    household_id: UUID
    payee: str


def approved(payee: str, effective_from: str, *, county: str = COUNTY, **components: str) -> tuple[Case, CaseApproved]:
    case = Case(uuid4(), uuid4(), payee)
    event = CaseApproved.create(
        CaseApprovedData(
            case_id=case.case_id,
            household_id=case.household_id,
            application_id=uuid4(),
            category=CaseCategory.DIBAO,
            amounts=amounts(payee, **(components or {"gap": "600.00", "supplement": "120.00"})),
            payee=ref(payee),
            effective_from=Period.parse(effective_from),
            policy_version="gy-2026.1",
            region_code=county,
        ),
        subject=str(case.household_id),
        correlation_id="test-approved",
        now=AT,
    )
    return case, event


def changed(case: Case, effective_from: str, reason: BenefitChangeReason, **components: str) -> BenefitChanged:
    return BenefitChanged.create(
        BenefitChangedData(
            case_id=case.case_id,
            household_id=case.household_id,
            amounts=amounts(case.payee, **components),
            effective_from=Period.parse(effective_from),
            reason=reason,
            policy_version="gy-2026.1",
        ),
        subject=str(case.household_id),
        correlation_id="test-changed",
        now=AT,
    )


def terminated(
    case: Case,
    on: date,
    *,
    overpaid_from: str | None = None,
    last_paid: str | None = None,
    reason: TerminationReason = TerminationReason.DEATH,
) -> CaseTerminated:
    return CaseTerminated.create(
        CaseTerminatedData(
            case_id=case.case_id,
            household_id=case.household_id,
            reason=reason,
            terminated_on=on,
            last_paid_month=None if last_paid is None else Period.parse(last_paid),
            overpaid_from=None if overpaid_from is None else Period.parse(overpaid_from),
        ),
        subject=str(case.household_id),
        correlation_id="test-terminated",
        now=AT,
    )


def death(number: str, on: date) -> DepartmentNoticeReceived:
    return DepartmentNoticeReceived.create(
        DepartmentNoticeReceivedData(
            notice_id=uuid4(),
            department=Department.PUBLIC_SECURITY,
            kind=DepartmentNoticeKind.DEATH,
            person=ref(number),
            occurred_on=on,
            received_on=on,
        ),
        subject=ref(number).ref,
        correlation_id="test-death",
        now=AT,
    )


async def deliver(h: ServiceHarness, event: Event) -> str:
    """Through the payment consumer, as Kafka would (the inbox, one transaction)."""
    topic = event.type.split(".", 1)[0] + ".events"
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    (consumer,) = h.definition.worker_components(h.runtime).consumers
    return await consumer.process(h.bus.messages(topic)[-1])


def officer(h: ServiceHarness, name: str, county: str = COUNTY) -> dict[str, str]:
    return h.issuer.headers(subject=name, roles=("payment_officer",), region=county)


def caseworker(h: ServiceHarness, name: str = "cw-1", county: str = COUNTY) -> dict[str, str]:
    return h.issuer.headers(subject=name, roles=("town_caseworker",), region=county)
