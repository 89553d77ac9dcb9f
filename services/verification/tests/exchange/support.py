"""Helpers of the exchange tests: eligibility events, feeding them to the `exchange` consumer,
department tokens, DCI envelopes, and a callback receiver (an ASGI app) that checks nothing and
records everything (the tests check the signatures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI, Request, Response

from jiuzhu_platform.bus import OutgoingMessage
from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY, ServiceHarness
from shared.events import BenefitChanged, CaseApproved, CaseTerminated, Event, TemporaryAssistanceGranted
from shared.events.eligibility import (
    ApprovalLevel,
    BenefitAmounts,
    BenefitChangedData,
    BenefitChangeReason,
    BenefitComponent,
    BenefitLine,
    CaseApprovedData,
    CaseCategory,
    CaseTerminatedData,
    PayoutChannel,
    TemporaryAssistanceGrantedData,
    TemporaryAssistanceKind,
    TerminationReason,
)
from shared.types import Period, ResidentId, resident_id_check_digit
from verification.exchange.adapters.callbacks import RESOURCE, HttpCallbackSender

KEY = person_ref_key_from_config(TEST_PERSON_REF_KEY)
COUNTY = "520102"
SEARCH = "/v1/verification/exchange/search"
SUBSCRIBE = "/v1/verification/exchange/subscribe"
TRANSACTIONS = "/v1/verification/exchange/transactions"
SUBSCRIPTIONS = "/v1/verification/exchange/subscriptions"
MEDICAL = "dept-medical-security"
HOUSING = "dept-housing"
EXCHANGE_SCOPES = ("verification:exchange:search", "verification:exchange:subscribe")


def resident(body17: str) -> str:
    return body17 + resident_id_check_digit(body17)


ADULT = resident("52010219800101301")
SPOUSE = resident("52010219820202302")
CHILD = resident("52010220150303303")
STRANGER = resident("52010219700404304")


def ref(number: str) -> Any:
    return person_ref(ResidentId(number), KEY)


def department(h: ServiceHarness, client_id: str = MEDICAL, scopes: Sequence[str] = EXCHANGE_SCOPES) -> dict[str, str]:
    return h.issuer.headers(kind="department", roles=("department",), client_id=client_id, scopes=tuple(scopes))


def _amounts(*members: str) -> BenefitAmounts:
    lines = tuple(
        BenefitLine(member=ref(m), component=BenefitComponent.GAP, monthly=Decimal("300.00")) for m in members
    )
    return BenefitAmounts(lines=lines, monthly_total=Decimal("300.00") * len(lines))


def _create(event_class: type[Event], data: Any, household_id: UUID) -> Any:
    return event_class.create(
        data, subject=str(household_id), correlation_id="exchange-test", now=datetime(2026, 12, 1, 2, tzinfo=UTC)
    )


def case_approved(case_id: UUID, household_id: UUID, *members: str, payee: str | None = None) -> CaseApproved:
    data = CaseApprovedData(
        case_id=case_id,
        household_id=household_id,
        application_id=uuid4(),
        category=CaseCategory.DIBAO,
        amounts=_amounts(*members),
        payee=ref(payee or members[0]),
        effective_from=Period(2026, 11),
        policy_version="2026.1",
        region_code=COUNTY,
    )
    return _create(CaseApproved, data, household_id)  # type: ignore[no-any-return]


def benefit_changed(case_id: UUID, household_id: UUID, *members: str) -> BenefitChanged:
    data = BenefitChangedData(
        case_id=case_id,
        household_id=household_id,
        amounts=_amounts(*members),
        effective_from=Period(2027, 1),
        reason=BenefitChangeReason.MEMBER_CHANGE,
        policy_version="2026.1",
    )
    return _create(BenefitChanged, data, household_id)  # type: ignore[no-any-return]


def case_terminated(case_id: UUID, household_id: UUID) -> CaseTerminated:
    data = CaseTerminatedData(
        case_id=case_id,
        household_id=household_id,
        reason=TerminationReason.INCOME_ABOVE_STANDARD,
        terminated_on=date(2027, 3, 10),
        last_paid_month=Period(2027, 3),
    )
    return _create(CaseTerminated, data, household_id)  # type: ignore[no-any-return]


def temporary_granted(household_id: UUID, payee: str) -> TemporaryAssistanceGranted:
    data = TemporaryAssistanceGrantedData(
        grant_id=uuid4(),
        household_id=household_id,
        kind=TemporaryAssistanceKind.EMERGENCY,
        amount=Decimal("1500.00"),
        approval_level=ApprovalLevel.TOWN,
        case_by_case=False,
        payout=PayoutChannel.BANK,
        payee=ref(payee),
        granted_on=date(2026, 12, 2),
        region_code=COUNTY,
    )
    return _create(TemporaryAssistanceGranted, data, household_id)  # type: ignore[no-any-return]


async def deliver(h: ServiceHarness, event: Event) -> str:
    """Publish `event` on the in-process bus and let the `exchange` consumer process it."""
    topic = "eligibility.events"
    await h.bus.publish([OutgoingMessage(topic, event.subject.encode(), event.to_json_bytes())])
    (consumer,) = [c for c in h.definition.worker_components(h.runtime).consumers if c.name.endswith("exchange")]
    return await consumer.process(h.bus.messages(topic)[-1])


def search_body(
    *queries: tuple[str, str], transaction_id: str = "tx-1", callback_uri: str | None = None, **header: Any
) -> dict[str, Any]:
    head: dict[str, Any] = {
        "message_id": f"m-{transaction_id}",
        "message_ts": "2026-12-04T09:30:00+08:00",
        "action": "search",
        "purpose": "medical_assistance",
        **header,
    }
    if callback_uri is not None:
        head["callback_uri"] = callback_uri
    return {
        "header": head,
        "message": {
            "transaction_id": transaction_id,
            "search_request": [
                {
                    "reference_id": reference,
                    "search_criteria": {"query_type": "idtype-value", "query": {"type": "resident_id", "value": value}},
                }
                for reference, value in queries
            ],
        },
    }


def subscribe_body(callback_uri: str, *persons: tuple[str, str]) -> dict[str, Any]:
    return {
        "header": {"message_id": "sub-1", "message_ts": "2026-12-04T09:30:00+08:00", "action": "subscribe"},
        "message": {
            "callback_uri": callback_uri,
            "persons": [{"reference_id": r, "resident_id": v} for r, v in persons],
            "events": ["recipient_changed"],
        },
    }


@dataclass
class Received:
    path: str
    body: bytes
    headers: Mapping[str, str]


@dataclass
class Receiver:
    """A department's callback endpoint: records every POST; answers 500 while `failures` > 0."""

    received: list[Received] = field(default_factory=list)
    failures: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            self.received.append(Received(path, await request.body(), dict(request.headers)))
            if self.failures > 0:
                self.failures -= 1
                return Response(status_code=500)
            return Response(status_code=200)

        return app


def install_receiver(h: ServiceHarness, receiver: Receiver) -> httpx.AsyncClient:
    """The production sender, its client sending to `receiver` over ASGI (no network); the
    caller closes the client."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    h.runtime.resources[RESOURCE] = HttpCallbackSender(client)
    return client
