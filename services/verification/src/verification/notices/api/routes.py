"""The department-notice exchange over HTTP: push one notice, push an NDJSON batch, read."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from jiuzhu_platform.access import AccessAudit, AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, PrincipalKind, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Offset, limit_query
from jiuzhu_platform.runtime import Runtime
from shared.events.verification import Department, DepartmentNoticeKind
from verification.notices import service as notices_service
from verification.notices.adapters.repository import NoticeFilter
from verification.notices.api.schemas import (
    EXAMPLE_BATCH,
    EXAMPLE_ENVELOPE,
    NoticeCreate,
    NoticeLineResult,
    NoticePage,
    NoticeRead,
    NoticeReceipt,
)
from verification.notices.domain.commands import ReceiveNotice
from verification.notices.domain.errors import (
    BatchMediaTypeUnsupported,
    NotADepartment,
    NoticeNotFound,
    NoticeRefused,
)
from verification.notices.domain.model import ReceiptStatus

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/verification", tags=["department notices"])

NoticePusher = Annotated[Principal, requires("verification:notices:push")]
NoticeReader = Annotated[Principal, requires("verification:notices:read")]

MAX_LINE_BYTES = 16 * 1024
"""A batch line longer than this is rejected (`line_too_long`) without being read further."""
MAX_LINES = 100_000
"""Lines of one batch; the next one is answered `too_many_lines` and the batch ends there."""
CHUNK_LINES = 500
"""Lines per transaction of a batch: a chunk is committed before the next is read."""
NDJSON = "application/x-ndjson"
UNSTORED = "the database could not store this chunk: nothing of it was stored, send the line again"

PUSH_DESCRIPTION = """
部门信息推送 (a department's change notice about one person), in a DCI / G2P Connect shaped
envelope:

```json
{"header": {"message_id": "gaj-20261130-000123", "sender_id": "<your client_id, optional>",
            "sent_at": "2026-12-01T08:30:00+08:00"},
 "message": {"kind": "death", "department": "public_security", "resident_id": "11010519491231002X",
             "name": "李四", "occurred_on": "2026-11-30", "reference": "HJ-ZX-2026-0042"}}
```

**Who may push.** A department client whose data-sharing agreement grants
`verification:notices:push` (client-credentials token, `kind` `department`). The sender is the
token's `client_id`; `header.sender_id`, when given, must be the same. Through the gateway every
department POST is **signed** (Ed25519 with the key registered for the client) and replay-checked:

    X-Jiuzhu-Timestamp: <unix seconds>          (within the gateway's window)
    X-Jiuzhu-Nonce:     <16–64 of A-Z a-z 0-9 _ ->  (never reused)
    X-Jiuzhu-Signature: base64url(Ed25519(private key, signing string))

    signing string = "<timestamp>\\n<nonce>\\n<METHOD>\\n<path?query as sent>\\n<sha256 hex of the body>"

(see `services/verification/examples/push_notice.py`).

**Rules.** `message_id`: 1–100 visible ASCII characters, unique per sender: a message sent again
is answered `duplicate` with the original `notice_id` and has no second effect (also when two
copies race). `resident_id`: 18 characters with a valid GB 11643 check character. `kind`: one
of `DepartmentNoticeKind`, and one the department reports (public_security: death, hukou_moved,
vehicle_registered, imprisoned; health: death, hospitalised; civil_affairs: death, married; …).
`occurred_on`: from 1900-01-01 to tomorrow (Asia/Shanghai). No control characters anywhere.

**Answers.** ACK `{"message_id", "status": "accepted" | "duplicate", "notice_id"}` (201 accepted,
200 duplicate). NACK: 422 in the common error shape with `reason` (`kind_not_reported_by_department`,
`occurred_in_future`, `sender_mismatch`), or `request_invalid` with the field errors; 401/403 for
tokens and scopes (`not_a_department` for a non-department caller). An accepted notice is
stored (the resident ID encrypted) and announced as `verification.department_notice_received`
(v1, subject the person reference; no clear ID in events).
"""

BATCH_DESCRIPTION = f"""
Many notices at once: an `{NDJSON}` body, one envelope (as in `POST /v1/verification/notices`)
per line, up to {MAX_LINES:,} lines of at most {MAX_LINE_BYTES // 1024} KiB each. The body is
read as a stream and processed in chunks of {CHUNK_LINES} lines (one transaction each, committed
before the next chunk is read); the answer streams back as `{NDJSON}`, one result per non-blank
line, in order:

    {{"line": 1, "message_id": "m-1", "status": "accepted", "notice_id": "…", "reason": null, "detail": null}}
    {{"line": 2, "message_id": "m-2", "status": "duplicate", "notice_id": "…", "reason": null, "detail": null}}
    {{"line": 3, "message_id": null, "status": "rejected", "reason": "request_invalid", "detail": [...]}}

A bad line is rejected alone (`request_invalid`, `line_too_long`, or a NACK reason of the single
push); line {MAX_LINES + 1:,} and after end the batch with one `too_many_lines`. A chunk the
database could not store is answered `unavailable` line by line (nothing of it stored: send those
lines again, duplicates are harmless). Sign the batch like a single push (the digest is of the
whole body). Note: the gateway reads a signed body whole to check its digest before forwarding.
"""


def _sender(caller: Principal) -> str:
    if caller.kind is not PrincipalKind.DEPARTMENT or not caller.client_id:
        raise NotADepartment()
    return caller.client_id


def _command(envelope: NoticeCreate, *, sender: str, correlation_id: str) -> ReceiveNotice:
    header, message = envelope.header, envelope.message
    return ReceiveNotice(
        sender_client_id=sender,
        message_id=header.message_id,
        department=message.department,
        kind=message.kind,
        person_name=message.name,
        resident_id=message.resident_id,
        occurred_on=message.occurred_on,
        correlation_id=correlation_id,
        reference=message.reference,
        sent_at=header.sent_at,
        header_sender_id=header.sender_id,
    )


@router.post(
    "/notices",
    summary="Push one department notice (部门信息推送)",
    description=PUSH_DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": NoticeReceipt, "description": "`duplicate`: received before, nothing new happened"},
        **refusals(*PROTECTED, NotADepartment, NoticeRefused, RequestInvalid),
    },
    openapi_extra={
        "requestBody": {"content": {"application/json": {"examples": {"death": {"value": EXAMPLE_ENVELOPE}}}}}
    },
)
async def push_notice(
    body: NoticeCreate,
    caller: NoticePusher,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> NoticeReceipt:
    command = _command(body, sender=_sender(caller), correlation_id=correlation_id)
    receipt = await notices_service.receive_notice(
        session, command, person_ref_key=runtime.settings.person_ref_secret(), now=runtime.now
    )
    if receipt.status is ReceiptStatus.ACCEPTED:
        await audit.state_change(session, target_id=receipt.notice_id)
    else:
        response.status_code = status.HTTP_200_OK
    return NoticeReceipt(message_id=receipt.message_id, status=receipt.status.value, notice_id=receipt.notice_id)


class _DuplexStreamingResponse(StreamingResponse):
    """A streamed answer written while the request body is still being read: Starlette's
    `StreamingResponse` would listen on `receive` for a disconnect at the same time (ASGI < 2.4)
    and swallow body chunks; here only the generator reads `receive` (through `request.stream()`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.stream_response(send)


@router.post(
    "/notices/batch",
    summary="Push department notices as an NDJSON stream (批量推送)",
    description=BATCH_DESCRIPTION,
    response_class=_DuplexStreamingResponse,
    responses={
        200: {
            "content": {NDJSON: {"schema": NoticeLineResult.model_json_schema()}},
            "description": "One result per line",
        },
        **refusals(*PROTECTED, NotADepartment, BatchMediaTypeUnsupported),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                NDJSON: {
                    "schema": {"type": "string", "description": "One NoticeCreate envelope per line"},
                    "example": EXAMPLE_BATCH,
                }
            },
        }
    },
)
async def push_notices_batch(
    request: Request,
    caller: NoticePusher,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> _DuplexStreamingResponse:
    sender = _sender(caller)
    content_type = request.headers.get("content-type")
    if content_type is None or content_type.split(";")[0].strip().lower() != NDJSON:
        raise BatchMediaTypeUnsupported(content_type)
    results = _process_batch(
        _lines(request.stream()), runtime=runtime, audit=audit, sender=sender, correlation_id=correlation_id
    )
    return _DuplexStreamingResponse(_ndjson(results), media_type=NDJSON)


# --------------------------------------------------------------------------- the batch stream


class _TooLong:
    """A line that exceeded `MAX_LINE_BYTES` (its content dropped)."""


async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes | _TooLong]]:
    """(line number from 1, content) of every non-blank line of a byte stream, holding at most
    one line (`MAX_LINE_BYTES`) in memory; a longer line is reported once as `_TooLong`."""
    number = 0
    buffer = bytearray()
    skipping = False
    async for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not skipping:
                buffer += piece
                if len(buffer) > MAX_LINE_BYTES:
                    skipping = True
                    buffer.clear()
            if end < 0:
                break
            number += 1
            if skipping:
                yield number, _TooLong()
            elif buffer.strip():
                yield number, bytes(buffer)
            buffer.clear()
            skipping = False
            start = end + 1
    if skipping or buffer.strip():
        number += 1
        yield number, (_TooLong() if skipping else bytes(buffer))


def _rejected(line: int, reason: str, detail: Any = None, message_id: str | None = None) -> NoticeLineResult:
    return NoticeLineResult(line=line, message_id=message_id, status="rejected", reason=reason, detail=detail)


def _field_errors(error: ValidationError) -> list[dict[str, object]]:
    # `input` is left out on purpose: it may hold personal data
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]


async def _process_batch(
    lines: AsyncIterator[tuple[int, bytes | _TooLong]],
    *,
    runtime: Runtime,
    audit: AccessAudit,
    sender: str,
    correlation_id: str,
) -> AsyncIterator[NoticeLineResult]:
    chunk: list[tuple[int, NoticeCreate | NoticeLineResult]] = []
    count = 0
    async for number, content in lines:
        count += 1
        if count > MAX_LINES:
            for result in await _store(chunk, runtime=runtime, audit=audit, sender=sender, cid=correlation_id):
                yield result
            yield _rejected(number, "too_many_lines", f"a batch holds at most {MAX_LINES} lines")
            return
        if isinstance(content, _TooLong):
            chunk.append((number, _rejected(number, "line_too_long", f"a line holds at most {MAX_LINE_BYTES} bytes")))
        else:
            try:
                chunk.append((number, NoticeCreate.model_validate_json(content)))
            except ValidationError as error:
                chunk.append((number, _rejected(number, RequestInvalid.reason, _field_errors(error))))
        if len(chunk) >= CHUNK_LINES:
            for result in await _store(chunk, runtime=runtime, audit=audit, sender=sender, cid=correlation_id):
                yield result
            chunk = []
    for result in await _store(chunk, runtime=runtime, audit=audit, sender=sender, cid=correlation_id):
        yield result


async def _store(
    chunk: list[tuple[int, NoticeCreate | NoticeLineResult]],
    *,
    runtime: Runtime,
    audit: AccessAudit,
    sender: str,
    cid: str,
) -> list[NoticeLineResult]:
    """One chunk in one transaction (the edge owns it): every envelope received or refused, one
    audit entry for what was accepted."""
    if not chunk:
        return []
    key = runtime.settings.person_ref_secret()
    results: list[NoticeLineResult] = []
    try:
        async with runtime.database.transaction() as session:
            accepted: list[str] = []
            for number, item in chunk:
                if isinstance(item, NoticeLineResult):
                    results.append(item)
                    continue
                message_id = item.header.message_id
                try:
                    command = _command(item, sender=sender, correlation_id=cid)
                    receipt = await notices_service.receive_notice(
                        session, command, person_ref_key=key, now=runtime.now
                    )
                except NoticeRefused as refused:
                    results.append(_rejected(number, refused.reason, refused.detail, message_id))
                    continue
                if receipt.status is ReceiptStatus.ACCEPTED:
                    accepted.append(str(receipt.notice_id))
                results.append(
                    NoticeLineResult(
                        line=number, message_id=message_id, status=receipt.status.value, notice_id=receipt.notice_id
                    )
                )
            if accepted:
                lines = f"{chunk[0][0]}-{chunk[-1][0]}"
                await audit.state_change(
                    session, target_id=accepted[0], details={"lines": lines, "accepted": len(accepted)}
                )
    except SQLAlchemyError as error:
        # the error's text would carry the statement's parameters (names): its class only
        logger.error(
            "a batch chunk could not be stored (lines %s-%s): %s", chunk[0][0], chunk[-1][0], type(error).__name__
        )
        return [
            item if isinstance(item, NoticeLineResult) else _rejected(number, "unavailable", UNSTORED, None)
            for number, item in chunk
        ]
    return results


async def _ndjson(results: AsyncIterator[NoticeLineResult]) -> AsyncIterator[bytes]:
    async for result in results:
        yield result.model_dump_json().encode() + b"\n"


# --------------------------------------------------------------------------- reading


def _read(notice: Any) -> NoticeRead:
    return NoticeRead.model_validate(notice, from_attributes=True)


@router.get(
    "/notices",
    summary="Department notices received, newest first (resident IDs masked)",
    description=(
        "Notices are city-wide facts about people: they belong to no household or region (the "
        "match to a case happens in eligibility, by person reference), so every holder of "
        "`verification:notices:read` sees all of them, masked."
    ),
    responses=refusals(*PROTECTED, RequestInvalid),
)
async def list_notices(
    caller: NoticeReader,
    session: ReadSessionDep,
    kind: Annotated[DepartmentNoticeKind | None, Query()] = None,
    department: Annotated[Department | None, Query()] = None,
    occurred_from: Annotated[date | None, Query(description="occurred_on on or after")] = None,
    occurred_to: Annotated[date | None, Query(description="occurred_on on or before")] = None,
    limit: Annotated[int, limit_query(le=500)] = 50,
    offset: Offset = 0,
) -> NoticePage:
    where = NoticeFilter(
        department=department.value if department else None,
        kind=kind.value if kind else None,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    notices, total = await notices_service.list_notices(session, where, limit=limit, offset=offset)
    return NoticePage(items=[_read(n) for n in notices], total=total, limit=limit, offset=offset)


@router.get(
    "/notices/{notice_id}",
    summary="One department notice (resident ID masked)",
    responses=refusals(*PROTECTED, NoticeNotFound, RequestInvalid),
)
async def get_notice(notice_id: UUID, caller: NoticeReader, session: ReadSessionDep) -> NoticeRead:
    return _read(await notices_service.get_notice(session, notice_id))
