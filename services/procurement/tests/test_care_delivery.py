"""Care for dispersed 特困 persons: eligibility's approval → a care assignment to the running
care contract → visit records by the provider's staff (`procurement.service_delivered`) → the
milestone's evaluation and the amount due (`procurement.evaluation_completed`).

`test_on_kafka`: on PostgreSQL and real Kafka — the approval is published onto Kafka by a test
publisher, procurement's consumer applies it, and the evaluation event is read back from Kafka.
The other tests run the same handlers on SQLite and the in-process bus."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text

from jiuzhu_platform.bus import KafkaBus, OutgoingMessage
from jiuzhu_platform.outbox import CORRELATION_HEADER, TYPE_HEADER
from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY, ServiceHarness, ThrowawayDatabases, service_harness
from procurement.main import DEFINITION
from services.procurement.tests.procurement_support import API, ok, running_care_contract, set_now
from shared.events import CaseApproved, CaseTerminated, EvaluationCompleted, Event, ServiceDelivered, parse_event
from shared.events.eligibility import (
    BenefitAmounts,
    BenefitComponent,
    BenefitLine,
    CaseApprovedData,
    CaseCategory,
    CaseTerminatedData,
    SupportMode,
    TerminationReason,
)
from shared.topics import ELIGIBILITY_EVENTS
from shared.types import Period, ResidentId, resident_id_check_digit


def kafka_bootstrap() -> str:
    """The local Kafka (`deploy/local/kafka.sh env`); skipped without it, failed under
    JIUZHU_REQUIRE_SERVERS=1 (as tests/conftest.py's `server_setting`)."""
    value = os.environ.get("JIUZHU_KAFKA_BOOTSTRAP")
    if value:
        return value
    message = "JIUZHU_KAFKA_BOOTSTRAP is not set: start the servers with `make servers`"
    if os.environ.get("JIUZHU_REQUIRE_SERVERS") == "1":
        pytest.fail(message)
    pytest.skip(message)


KEY = person_ref_key_from_config(TEST_PERSON_REF_KEY)
BODY = "52010219400101001"
RESIDENT = BODY + resident_id_check_digit(BODY)


def approval(
    category: CaseCategory = CaseCategory.TEKUN, mode: SupportMode | None = SupportMode.DISPERSED
) -> CaseApproved:
    person = person_ref(ResidentId(RESIDENT), KEY)
    household = uuid4()
    data = CaseApprovedData(
        case_id=uuid4(),
        household_id=household,
        application_id=uuid4(),
        category=category,
        amounts=BenefitAmounts(
            lines=(BenefitLine(member=person, component=BenefitComponent.BASIC_LIVING, monthly=Decimal("1040.00")),),
            monthly_total=Decimal("1040.00"),
        ),
        payee=person,
        effective_from=Period(2026, 5),
        policy_version="2026.1",
        region_code="520102",
        town_code="520102001000",
        support_mode=mode,
    )
    return CaseApproved.create(
        data, subject=str(household), correlation_id="care-test", now=datetime(2026, 4, 20, 2, tzinfo=UTC)
    )


def termination(approved: CaseApproved) -> CaseTerminated:
    data = CaseTerminatedData(
        case_id=approved.data.case_id,
        household_id=approved.data.household_id,
        reason=TerminationReason.DEATH,
        terminated_on=date(2026, 10, 3),
        last_paid_month=Period(2026, 10),
    )
    return CaseTerminated.create(
        data,
        subject=str(approved.data.household_id),
        correlation_id="care-test",
        now=datetime(2026, 10, 3, 2, tzinfo=UTC),
    )


def message(event: Event) -> OutgoingMessage:
    return OutgoingMessage(
        ELIGIBILITY_EVENTS,
        event.subject.encode(),
        event.to_json_bytes(),
        ((TYPE_HEADER, event.type.encode()), (CORRELATION_HEADER, event.correlation_id.encode())),
    )


VISITS = [  # (when, minutes, satisfaction)
    ("2026-05-06T01:30", 90, 5),
    ("2026-06-03T01:30", 60, 4),
    ("2026-07-01T01:30", 120, 5),
    ("2026-08-05T01:30", 90, None),
    ("2026-09-02T01:30", 90, 5),
]


async def deliver_and_evaluate(h: ServiceHarness, assignment_id: str, contract: dict[str, Any]) -> dict[str, Any]:
    await ok(await h.client.put(f"{API}/care-assignments/{assignment_id}/carer", json={"carer": "王护理员"}))
    provider_client = h.anonymous_client(
        kind="third_party",
        roles=("third_party",),
        client_id="sw-yangguang",
        scopes=("procurement:delivery:write", "procurement:delivery:read"),
    )
    async with provider_client:
        for when, minutes, satisfaction in VISITS:
            set_now(h, "2026-09-30T08:00")
            await ok(
                await provider_client.post(
                    f"{API}/care-assignments/{assignment_id}/visits",
                    json={
                        "staff": "王护理员",
                        "visited_at": when + ":00Z",
                        "minutes": minutes,
                        "content": "助浴、打扫、测血压",
                        "satisfaction": satisfaction,
                    },
                ),
                201,
            )
        own = await ok(await provider_client.get(f"{API}/care-assignments"))
        assert own["total"] == 1
    other = h.anonymous_client(
        kind="third_party", roles=("third_party",), client_id="someone-else", scopes=("procurement:delivery:write",)
    )
    async with other:
        refused = await other.post(
            f"{API}/care-assignments/{assignment_id}/visits",
            json={"staff": "冒名者", "visited_at": "2026-09-03T01:30:00Z", "minutes": 30, "content": "x"},
        )
        assert refused.status_code == 404
    set_now(h, "2026-10-12T02:00")
    evaluation = await ok(
        await h.client.post(
            f"{API}/contracts/{contract['id']}/evaluations",
            json={
                "period": "2026-09",
                "planned_visits": 6,
                "recipient_opinions": 1,
                "evaluator": "贵州某绩效评价事务所",
                "evaluator_type": "third_party",
                "scores": {"records_and_management": 90, "staff_and_training": 80},
            },
        ),
        201,
    )
    return dict(evaluation)


def expected_evaluation(evaluation: dict[str, Any]) -> None:
    # visits 5/6 → 83.33 × 0.4 = 33.33; satisfaction mean 4.75 → 95 × 0.3 = 28.5; 90 × 0.2 = 18;
    # 80 × 0.1 = 8 → 87.83 → 88 ≥ 80: the first instalment (50% of 240000.00) in full
    assert evaluation["scores"] == {
        "visits_delivered": "83.33",
        "recipient_satisfaction": "95.00",
        "records_and_management": "90.00",
        "staff_and_training": "80.00",
    }
    assert (evaluation["score"], evaluation["visits"], evaluation["minutes"]) == (88, 5, 450)
    assert evaluation["amount_due"] == "120000.00"


async def test_dispersed_approval_to_evaluation_in_process(h: ServiceHarness) -> None:
    contract = await running_care_contract(h)
    consumer = DEFINITION.worker_components(h.runtime).consumers[0]
    approved = approval()
    for event in (approved, approval(CaseCategory.TEKUN, SupportMode.CENTRALISED), approval(CaseCategory.DIBAO, None)):
        await h.bus.publish([message(event)])
    set_now(h, "2026-04-20T02:00")
    sub = await h.bus.subscribe("procurement.care", [ELIGIBILITY_EVENTS])
    for m in await sub.fetch(0.1):
        await consumer.process(m)
    await h.bus.publish([message(approved)])  # told twice: one assignment
    for m in await sub.fetch(0.1):
        await consumer.process(m)

    assignments = await ok(await h.client.get(f"{API}/care-assignments"))

    assert assignments["total"] == 1
    (a,) = assignments["items"]
    assert (a["state"], a["contract_id"], a["started_on"]) == ("active", contract["id"], "2026-05-01")
    assert a["person_masked"].endswith(RESIDENT[-4:])
    assert RESIDENT not in str(a)
    expected_evaluation(await deliver_and_evaluate(h, a["id"], contract))
    async with h.runtime.database.read() as session:  # issue 15 #16: carers' names never in clear
        cells = [r[0] for r in await session.execute(text("select staff from visit"))]
        cells += [r[0] for r in await session.execute(text("select doc from care_assignment"))]
    assert len(cells) == len(VISITS) + 1
    assert all(c.startswith("v1.") and "王护理员" not in c for c in cells)
    await h.relay()
    events = [parse_event(m.value) for m in h.bus.messages("procurement.events")]
    delivered = [e for e in events if isinstance(e, ServiceDelivered)]
    assert len(delivered) == len(VISITS)
    assert delivered[0].data.recipient.ref == approved.data.payee.ref
    (completed,) = [e for e in events if isinstance(e, EvaluationCompleted)]
    assert (completed.data.score, str(completed.data.amount_due), str(completed.data.period)) == (
        88,
        "120000.00",
        "2026-09",
    )

    await h.bus.publish([message(termination(approved))])
    for m in await sub.fetch(0.1):
        await consumer.process(m)
    (ended,) = (await ok(await h.client.get(f"{API}/care-assignments")))["items"]
    assert (ended["state"], ended["ended_on"], ended["end_reason"]) == ("ended", "2026-10-03", "death")
    late = await h.client.post(
        f"{API}/care-assignments/{a['id']}/visits",
        json={"staff": "王护理员", "visited_at": "2026-10-05T01:30:00Z", "minutes": 30, "content": "x"},
    )
    assert (late.status_code, late.json()["reason"]) == (409, "assignment_ended")
    again = await h.client.post(
        f"{API}/contracts/{contract['id']}/evaluations",
        json={
            "period": "2026-09",
            "planned_visits": 6,
            "recipient_opinions": 1,
            "evaluator": "x",
            "evaluator_type": "purchaser",
            "scores": {"records_and_management": 90, "staff_and_training": 80},
        },
    )
    assert (again.status_code, again.json()["reason"]) == (409, "already_evaluated")
    complained = await ok(
        await h.client.post(f"{API}/care-assignments/{a['id']}/complaints", json={"content": "护理员迟到"}), 201
    )
    (complaint,) = complained["complaints"]
    resolved = await ok(
        await h.client.post(
            f"{API}/care-assignments/{a['id']}/complaints/{complaint['id']}/resolution", json={"resolution": "已约谈"}
        )
    )
    assert resolved["complaints"][0]["resolution"] == "已约谈"
    assert resolved["carers"] == ["王护理员"]
    (published,) = await ok(await h.client.get(f"{API}/contracts/{contract['id']}/evaluations"))
    assert (published["period"], published["score"], published["amount_due"]) == ("2026-09", 88, "120000.00")


async def test_approval_before_any_care_contract_waits_for_the_next_one(h: ServiceHarness) -> None:
    consumer = DEFINITION.worker_components(h.runtime).consumers[0]
    set_now(h, "2026-02-20T02:00")
    await h.bus.publish([message(approval())])
    sub = await h.bus.subscribe("procurement.care", [ELIGIBILITY_EVENTS])
    for m in await sub.fetch(0.1):
        await consumer.process(m)
    (waiting,) = (await ok(await h.client.get(f"{API}/care-assignments")))["items"]
    assert (waiting["state"], waiting["contract_id"]) == ("waiting", None)

    contract = await running_care_contract(h)

    (taken,) = (await ok(await h.client.get(f"{API}/care-assignments")))["items"]
    assert (taken["state"], taken["contract_id"]) == ("active", contract["id"])


async def read_back(
    bus: KafkaBus, topic: str, want: int, kinds: Sequence[type[Event]], timeout: float = 60
) -> list[Event]:
    sub = await bus.subscribe(f"reader-{uuid4().hex[:6]}", [topic])
    found: list[Event] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < want and time.monotonic() < deadline:
            for m in await sub.fetch(1.0):
                event = parse_event(m.value)
                if isinstance(event, tuple(kinds)):
                    found.append(event)
    finally:
        await sub.close()
    return found


@pytest.mark.integration
async def test_on_kafka(tmp_path: Path) -> None:
    """PostgreSQL and Kafka: the approval published onto Kafka, procurement's consumer running
    as in the worker, the evaluation event read back from Kafka."""
    bootstrap = kafka_bootstrap()
    databases = ThrowawayDatabases.required()
    prefix = f"proc{uuid4().hex[:8]}."
    service_bus = KafkaBus(bootstrap, client_id="procurement", topic_prefix=prefix)
    eligibility = KafkaBus(bootstrap, client_id="eligibility-test-publisher", topic_prefix=prefix)
    try:
        url = await databases.create("procurement")
        async with service_harness(DEFINITION, tmp_path, database_url=url, bus=service_bus) as h:  # type: ignore[arg-type]
            contract = await running_care_contract(h)
            set_now(h, "2026-04-20T02:00")
            approved = approval()
            await eligibility.publish([message(approved)])
            consumer = DEFINITION.worker_components(h.runtime).consumers[0]
            stop = asyncio.Event()
            running = asyncio.create_task(consumer.run(stop, poll_seconds=0.2))
            try:
                deadline = time.monotonic() + 60
                while (listed := await ok(await h.client.get(f"{API}/care-assignments")))["total"] == 0:
                    assert time.monotonic() < deadline, "the approval never reached procurement"
                    assert not running.done(), running
                    await asyncio.sleep(0.3)
            finally:
                stop.set()
                await running
            (a,) = listed["items"]
            assert (a["state"], a["contract_id"], a["case_id"]) == (
                "active",
                contract["id"],
                str(approved.data.case_id),
            )

            expected_evaluation(await deliver_and_evaluate(h, a["id"], contract))
            assert await h.relay() >= 1 + len(VISITS) + 1

            (completed,) = await read_back(eligibility, "procurement.events", 1, [EvaluationCompleted])
            assert isinstance(completed, EvaluationCompleted)
            assert completed.data.contract_id == UUID(contract["id"])
            assert (completed.data.score, str(completed.data.amount_due)) == (88, "120000.00")
    finally:
        await eligibility.stop()
        await service_bus.stop()
        await databases.drop_all()
