"""The inter-department exchange over HTTP (DCI / G2P Connect shaped): search (sync or async),
an async search's transaction, subscribe / unsubscribe."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response, status

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, PrincipalKind, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.runtime import Runtime
from verification.exchange import service
from verification.exchange.api.schemas import (
    EXAMPLE_ASYNC_SEARCH,
    EXAMPLE_SEARCH,
    EXAMPLE_SUBSCRIBE,
    SearchAccepted,
    SearchAnswer,
    SearchEnvelope,
    SubscribeEnvelope,
    SubscriptionCreated,
    TransactionRead,
)
from verification.exchange.domain import rules
from verification.exchange.domain.errors import (
    ExchangeRefused,
    NotADepartmentClient,
    SubscriptionExists,
    SubscriptionNotFound,
    TransactionExists,
    TransactionNotFound,
)

router = APIRouter(prefix="/v1/verification/exchange", tags=["inter-department exchange"])

Searcher = Annotated[Principal, requires("verification:exchange:search")]
Subscriber = Annotated[Principal, requires("verification:exchange:subscribe")]

DESCRIPTION = """
救助对象信息共享 (is this person a recipient of social assistance, of what?) for departments
that grant 医疗 / 住房 / 教育 / 就业救助, in a DCI / G2P Connect shaped envelope.

**Who.** A department client whose data-sharing agreement grants `verification:exchange:search`
(and `verification:exchange:subscribe` to subscribe); the scopes are held by no staff role (staff
read cases in eligibility). `header.sender_id`, when given, must be the token's `client_id`.
`header.purpose` (optional, recommended): medical_assistance, housing_assistance,
education_assistance, employment_assistance, utility_relief, other_assistance. Every search is
audited (`exchange_search`: the client, the purpose, how many persons, how many found; never
who).

**Search** (`action: search`): 1–100 `search_request`s, each `{"reference_id", "search_criteria":
{"query_type": "idtype-value", "query": {"type": "resident_id", "value": "<18 characters>"}}}`.
Each request is answered on its own: `succ` with `data.reg_records` (empty when the person
receives nothing), or `rjct` with a `reason` (`invalid_resident_id`, `unsupported_query_type`,
`unsupported_id_type`). The message's `header.status` is `succ` (all answered), `part`, or `rjct`
(none). A record: `{"programme": "dibao" | "tekun" | "marginal" | … | "temporary", "status":
"active" | "terminated" | "granted", "since", "until", "region_code", "masked_id"}`. Answers
carry masked IDs only.

**Async.** With `header.callback_uri` (absolute http(s), no credentials, ≤ 2000 characters) the
answer is 202 `{"transaction_id", "status": "pdng", "secret"}`; the worker computes it and POSTs
the same envelope (`action: on-search`) to the callback, retrying with exponential backoff
(5 s, 10 s, 20 s … at most 15 min; 8 tries) until a 2xx. `GET …/transactions/{transaction_id}`
(the asking client only) gives `pdng` / `succ` / `part` / `rjct`, the delivery status and the
answer once computed. A transaction id is used once per client (409 `transaction_exists`).
A subscribe message id too (409 `subscription_exists`, naming the subscription).

**Subscribe** (`action: subscribe`): `{"callback_uri", "persons": [{"reference_id",
"resident_id"}] (1–1000), "events": ["recipient_changed"]}` → `{"subscription_id", "secret"}`.
When a subscribed person's record changes (approved, members changed, terminated, a temporary
grant), an `on-notify` envelope is POSTed: `{"header": {"message_id": <the notification's id,
the same on every retry>, "message_ts", "action": "on-notify", …}, "message": {"subscription_id",
"notify_event": [{"reference_id": <yours>, "event": "recipient_changed", "changed_at", "data":
{"reg_records": [record]}}]}}`, retried like an answer. One subscriber's notifications are sent
one at a time, oldest first; after a retry order by `changed_at`. `DELETE …/subscriptions/{id}` ends it (own only).

**Signature.** Every callback carries `X-Jiuzhu-Signature: sha256=<hex>`: HMAC-SHA256 under the
`secret` returned with the transaction or subscription (shown once, stored encrypted) of the
exact request body bytes. Verify it (constant-time compare) before trusting a callback, and
drop repeats by `header.message_id`.
"""


def _client(caller: Principal, sender_id: str | None) -> str:
    if caller.kind is not PrincipalKind.DEPARTMENT or not caller.client_id:
        raise NotADepartmentClient()
    if sender_id is not None and sender_id != caller.client_id:
        raise ExchangeRefused.sender_mismatch()
    return caller.client_id


def _callback(uri: str) -> str:
    problem = rules.callback_problem(uri)
    if problem is not None:
        raise ExchangeRefused.callback_invalid(problem)
    return uri


def _unique(references: list[str]) -> None:
    if len(set(references)) != len(references):
        raise ExchangeRefused.duplicate_reference()


def _deps(runtime: Runtime) -> service.ExchangeDeps:
    return service.deps_of(runtime)


@router.post(
    "/search",
    summary="Search recipients of social assistance (sync, or async with a callback)",
    description=DESCRIPTION,
    responses={
        202: {"model": SearchAccepted, "description": "Async: answered later at `header.callback_uri`"},
        **refusals(*PROTECTED, NotADepartmentClient, ExchangeRefused, TransactionExists, RequestInvalid),
    },
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {"sync": {"value": EXAMPLE_SEARCH}, "async": {"value": EXAMPLE_ASYNC_SEARCH}}
                }
            }
        }
    },
)
async def search(
    body: SearchEnvelope,
    caller: Searcher,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    correlation_id: CorrelationIdDep,
) -> SearchAnswer | SearchAccepted:
    header, message = body.header, body.message
    who = service.Requester(
        _client(caller, header.sender_id), header.purpose.value if header.purpose else None, correlation_id
    )
    _unique([r.reference_id for r in message.search_request])
    queries = [
        service.SearchQuery(
            r.reference_id, r.search_criteria.query_type, r.search_criteria.query.type, r.search_criteria.query.value
        )
        for r in message.search_request
    ]
    if header.callback_uri is None:
        answer = await service.search(session, who, message.transaction_id, queries, _deps(runtime))
        return SearchAnswer.model_validate(answer)
    secret = await service.accept_search(
        session,
        who,
        transaction_id=message.transaction_id,
        message_id=header.message_id,
        callback_uri=_callback(header.callback_uri),
        queries=queries,
        deps=_deps(runtime),
    )
    response.status_code = status.HTTP_202_ACCEPTED
    return SearchAccepted(transaction_id=message.transaction_id, status="pdng", secret=secret)


@router.get(
    "/transactions/{transaction_id}",
    summary="An async search's status and, once computed, its answer (the asking client only)",
    responses=refusals(*PROTECTED, NotADepartmentClient, TransactionNotFound, RequestInvalid),
)
async def get_transaction(
    caller: Searcher,
    session: ReadSessionDep,
    transaction_id: Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[!-~]+$")],
) -> TransactionRead:
    row = await service.transaction(session, _client(caller, None), transaction_id)
    return TransactionRead.model_validate(dict(row))


@router.post(
    "/subscribe",
    summary="Subscribe to changes of persons' assistance (notified at the callback)",
    description=DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    responses=refusals(*PROTECTED, NotADepartmentClient, ExchangeRefused, SubscriptionExists, RequestInvalid),
    openapi_extra={
        "requestBody": {"content": {"application/json": {"examples": {"subscribe": {"value": EXAMPLE_SUBSCRIBE}}}}}
    },
)
async def subscribe(
    body: SubscribeEnvelope,
    caller: Subscriber,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> SubscriptionCreated:
    header, message = body.header, body.message
    who = service.Requester(
        _client(caller, header.sender_id), header.purpose.value if header.purpose else None, correlation_id
    )
    _unique([p.reference_id for p in message.persons])
    subscription_id, secret = await service.subscribe(
        session,
        who,
        message_id=header.message_id,
        callback_uri=_callback(message.callback_uri),
        persons=[service.SubscribedPerson(p.reference_id, p.resident_id) for p in message.persons],
        events=message.events,
        deps=_deps(runtime),
    )
    await audit.state_change(
        session, target_id=subscription_id, details={"persons": len(message.persons), "purpose": who.purpose}
    )
    return SubscriptionCreated(
        subscription_id=subscription_id, secret=secret, persons=len(message.persons), events=sorted(set(message.events))
    )


@router.delete(
    "/subscriptions/{subscription_id}",
    summary="End one of your subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=refusals(*PROTECTED, NotADepartmentClient, SubscriptionNotFound, RequestInvalid),
)
async def unsubscribe(
    subscription_id: UUID, caller: Subscriber, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> Response:
    await service.unsubscribe(session, _client(caller, None), subscription_id, runtime.now())
    await audit.state_change(session, target_id=subscription_id, details={"cancelled": True})
    return Response(status_code=status.HTTP_204_NO_CONTENT)
