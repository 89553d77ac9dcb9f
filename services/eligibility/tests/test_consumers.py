"""What other services tell eligibility, through its consumer (the bus, the inbox, one
transaction): the verification report moves the procedure on, a death applies the death rule,
other notices and monitoring's requests open reviews, payment problems land on the timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from eligibility.testing import Clock, procedure_walk, resident
from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY, ServiceHarness
from shared.events import (
    CaseTerminated,
    CheckCompleted,
    CheckCompletedData,
    DepartmentNoticeReceived,
    DepartmentNoticeReceivedData,
    Event,
    PaymentFailed,
    PaymentFailedData,
    ReviewRequested,
    ReviewRequestedData,
    parse_event,
)
from shared.events.monitoring import ReviewReason as MonitoringReason
from shared.events.payment import PaymentFailureReason
from shared.events.verification import CheckPurpose, Department, DepartmentNoticeKind
from shared.types import Period, ResidentId

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
KEY = person_ref_key_from_config(TEST_PERSON_REF_KEY)


async def deliver(h: ServiceHarness, topic: str, event: Event) -> str:
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    (consumer,) = h.definition.worker_components(h.runtime).consumers
    return await consumer.process(h.bus.messages(topic)[-1])


def check_completed(household_id: str, application_id: str | None) -> CheckCompleted:
    return CheckCompleted.create(
        CheckCompletedData(
            check_id=uuid4(),
            household_id=UUID(household_id),
            application_id=UUID(application_id) if application_id else None,
            purpose=CheckPurpose.APPLICATION,
            completed_on=date(2026, 11, 5),
            departments_answered=(Department.PUBLIC_SECURITY, Department.HUMAN_RESOURCES),
            departments_missing=(Department.HOUSING,),
            verified_monthly_income=Decimal("1200.00"),
            financial_assets=Decimal("3000.00"),
            vehicle_count=0,
            property_count=1,
        ),
        subject=household_id,
        correlation_id="check-1",
        now=START,
    )


async def test_a_check_completed_event_delivers_the_report(h: ServiceHarness) -> None:
    async with procedure_walk(h, Clock(START)) as walk:
        application = await walk.submit(resident("52010219700101041"))
        app_id = application["id"]
        await walk.step(walk.town, app_id, "accept")
        await walk.step(walk.town, app_id, "start-investigation")
        await walk.step(walk.town, app_id, "request-verification")
        # found by household when the event names no application
        assert await deliver(h, "verification.events", check_completed(application["household_id"], None)) == "applied"
        case = (await walk.town.get(f"/v1/eligibility/applications/{app_id}/procedure")).json()
        assert case["stage"] == "investigating"
        assert case["verification_received"] is True
        # a second report for a decided application changes nothing and is not an error
        await walk.step(walk.town, app_id, "withdraw")
        again = check_completed(application["household_id"], app_id)
        assert await deliver(h, "verification.events", again) == "applied"


async def approved_case(walk: object, h: ServiceHarness, body17: str, members: int) -> tuple[str, str]:
    from eligibility.testing import ProcedureWalk

    assert isinstance(walk, ProcedureWalk)
    application = await walk.submit(resident(body17), members=members)
    await walk.approve(application["id"])
    cases = (await walk.county.get("/v1/eligibility/cases", params={"status": "active"})).json()["items"]
    (case,) = [c for c in cases if c["application_id"] == application["id"]]
    return case["case_id"], resident(body17)


def death_notice(resident_id: str, died_on: date) -> DepartmentNoticeReceived:
    ref = person_ref(ResidentId(resident_id), KEY)
    return DepartmentNoticeReceived.create(
        DepartmentNoticeReceivedData(
            notice_id=uuid4(),
            department=Department.PUBLIC_SECURITY,
            kind=DepartmentNoticeKind.DEATH,
            person=ref,
            occurred_on=died_on,
            received_on=died_on,
        ),
        subject=ref.ref,
        correlation_id="notice-1",
        now=START,
    )


async def test_a_death_notice_ends_a_single_person_case_and_reviews_a_family(h: ServiceHarness) -> None:
    clock = Clock(START)
    async with procedure_walk(h, clock) as walk:
        single_id, single_person = await approved_case(walk, h, "52010219400101051", members=1)
        family_id, family_member = await approved_case(walk, h, "52010219400101052", members=3)
        clock.advance(60)  # January: December and January have been paid
        assert await deliver(h, "verification.events", death_notice(single_person, date(2026, 12, 10))) == "applied"
        assert await deliver(h, "verification.events", death_notice(family_member, date(2026, 12, 10))) == "applied"

        single = (await walk.county.get(f"/v1/eligibility/cases/{single_id}")).json()
        assert single["status"] == "terminated"
        assert single["termination_reason"] == "death"
        assert single["last_paid_month"] == "2027-01"
        assert single["overpaid_from"] == "2027-01"
        family = (await walk.county.get(f"/v1/eligibility/cases/{family_id}")).json()
        assert family["status"] == "under_review"
        assert family["review_reason"] == "death_notice"
        assert family["review_due_by"] == "2027-04-17"  # notified 17 January: within 3 months

        ended = [
            parse_event(bytes(r["payload"]))
            for r in await h.outbox_rows()
            if r["event_type"] == CaseTerminated.event_type
        ]
        assert len(ended) == 1
        assert isinstance(ended[0], CaseTerminated)
        assert ended[0].data.overpaid_from == Period(2027, 1)
        assert ended[0].correlation_id == "notice-1"


async def test_monitoring_requests_a_review_and_payment_failures_reach_the_timeline(h: ServiceHarness) -> None:
    async with procedure_walk(h, Clock(START)) as walk:
        case_id, _ = await approved_case(walk, h, "52010219500101061", members=2)
        case = (await walk.county.get(f"/v1/eligibility/cases/{case_id}")).json()
        request = ReviewRequested.create(
            ReviewRequestedData(
                request_id=uuid4(),
                household_id=UUID(case["household_id"]),
                case_id=UUID(case_id),
                reason=MonitoringReason.SPOT_CHECK,
                requested_on=date(2026, 11, 20),
            ),
            subject=case["household_id"],
            correlation_id="review-1",
            now=START,
        )
        assert await deliver(h, "monitoring.events", request) == "applied"
        assert (await walk.county.get(f"/v1/eligibility/cases/{case_id}")).json()["status"] == "under_review"
        # asked again while the review runs: an answer, not a failure (no retry, no dead letter)
        request_again = request.model_copy(update={"id": uuid4()})
        assert await deliver(h, "monitoring.events", request_again) == "applied"

        failed = PaymentFailed.create(
            PaymentFailedData(
                instruction_id=uuid4(),
                household_id=UUID(case["household_id"]),
                case_id=UUID(case_id),
                period=Period(2026, 12),
                amount=Decimal("780.00"),
                failed_on=date(2026, 12, 15),
                failure_reason=PaymentFailureReason.ACCOUNT_CLOSED,
            ),
            subject=case["household_id"],
            correlation_id="pay-1",
            now=START,
        )
        assert await deliver(h, "payment.events", failed) == "applied"
        steps = (await walk.county.get(f"/v1/eligibility/cases/{case_id}")).json()["steps"]
        assert steps[-1]["action"] == "record-payment-event"
        assert steps[-1]["reasons"] == ["payment_failed"]
