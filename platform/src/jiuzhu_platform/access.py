"""Access auditing at the service edge: who did what to which record, written to the service's
hash-chained audit log (`jiuzhu_platform.audit`), and the auditors' read API over it.

- `AuditDep` gives a route an `AccessAudit` bound to the request: `await audit.state_change(
  session, target_id=...)` after a change, `await audit.pii_read(session, target_id=...,
  purpose=..., fields=[...])` before returning unmasked personal data. Both append in the
  request's own transaction, so the entry and the change commit (or roll back) together.
- Refusals (401/403 raised anywhere in a request) are recorded by an exception handler that
  `install_refusal_audit` registers; they go in a transaction of their own (the request's work
  is rolled back, the record of the refusal is not).
- `audit_router(table)` serves `GET /v1/<service>/audit` (auditors only: `audit:read`), and
  `GET /v1/<service>/audit/verify` (the hash chain checked now). Reading the trail is itself
  recorded.

Entries carry ids and codes only: the route *template*, never the concrete path or a query
string, never a resident ID, phone or account number.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform import audit
from jiuzhu_platform.audit_anchor import load_public_key, verify_anchored
from jiuzhu_platform.auth import PROTECTED, Principal, Unauthorized, requires
from jiuzhu_platform.context import get_correlation_id
from jiuzhu_platform.deps import RuntimeDep, SessionDep
from jiuzhu_platform.errors import DomainError, Forbidden, RequestInvalid
from jiuzhu_platform.http_errors import domain_error_response, refusals
from jiuzhu_platform.params import AfterSeq, CleanText, Instant, limit_query
from jiuzhu_platform.purpose import MAX_NOTE_LENGTH, PURPOSE_DESCRIPTION, ReadPurpose, check_note
from jiuzhu_platform.runtime import Runtime

logger = logging.getLogger(__name__)

__all__ = [
    "AccessAudit",
    "AuditDep",
    "AuditEntryRead",
    "AuditPage",
    "PurposeNoteQuery",
    "PurposeQuery",
    "audit_page",
    "audit_router",
    "install_refusal_audit",
]


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


def _principal(request: Request) -> Principal | None:
    principal = getattr(request.state, "principal", None)
    return principal if isinstance(principal, Principal) else None


def _entry(
    request: Request,
    *,
    kind: str,
    outcome: str,
    target_id: str | None = None,
    purpose: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> audit.AuditEntry:
    principal = _principal(request)
    if principal is None:
        actor, actor_kind, role, region = None, audit.ActorKind.ANONYMOUS, None, None
    else:
        actor, actor_kind = principal.client_id or principal.subject, audit.ActorKind(principal.kind.value)
        role = principal.role_label[:100] if principal.role_label else None
        region = principal.region_code
    return audit.AuditEntry(
        kind=kind,
        actor_kind=actor_kind,
        outcome=outcome,
        actor=actor,
        role=role,
        region_code=region,
        route=_route_template(request),
        method=request.method,
        target_id=target_id,
        purpose=purpose,
        correlation_id=get_correlation_id(),
        details=details,
    )


def _audit_table(request: Request) -> Table:
    table = getattr(request.app.state, "audit_table", None)
    if not isinstance(table, Table):
        raise RuntimeError("this service has no audit table (ServiceDefinition.audit)")
    return table


class AccessAudit:
    """The audit trail as one request sees it."""

    def __init__(self, request: Request, runtime: Runtime) -> None:
        self.request = request
        self.runtime = runtime
        self.table = _audit_table(request)

    async def state_change(
        self, session: AsyncSession, *, target_id: str | UUID, details: Mapping[str, Any] | None = None
    ) -> None:
        """Record a successful change, in the request's transaction (call it last)."""
        await self._append(session, audit.AuditKind.STATE_CHANGE, target_id=str(target_id), details=details)

    async def pii_read(
        self,
        session: AsyncSession,
        *,
        target_id: str | UUID,
        purpose: ReadPurpose,
        fields: Sequence[str],
        note: str | None = None,
    ) -> None:
        """Record a full-value read of personal data (who, when, which record, why: the purpose's
        code, and its note in `details.purpose_note` when one was given)."""
        purpose = ReadPurpose(purpose)  # only a code from the fixed list reaches the trail
        details: dict[str, Any] = {"fields": sorted(fields)}
        if note is not None:
            details["purpose_note"] = check_note(note)
        await self._append(
            session, audit.AuditKind.PII_READ, target_id=str(target_id), purpose=purpose.value, details=details
        )

    async def _append(self, session: AsyncSession, kind: str, **values: Any) -> None:
        entry = _entry(self.request, kind=kind, outcome="success", **values)
        await audit.append(session, self.table, entry, now=self.runtime.now())


async def get_access_audit(request: Request, runtime: RuntimeDep) -> AccessAudit:
    return AccessAudit(request, runtime)


AuditDep = Annotated[AccessAudit, Depends(get_access_audit)]


def install_refusal_audit(app: FastAPI) -> None:
    """Record every 401 and 403 (authentication failures, missing scopes, region refusals) in
    the audit log, then answer in the common error shape as usual. If the log cannot be
    written the refusal still stands (logged as a warning): a refused request stays refused."""

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        runtime = getattr(request.app.state, "runtime", None)
        table = getattr(request.app.state, "audit_table", None)
        if isinstance(runtime, Runtime) and isinstance(table, Table):
            reason = exc.reason[:100]
            outcome = "unauthenticated" if exc.status_code == 401 else "forbidden"
            entry = _entry(
                request, kind=audit.AuditKind.AUTHORIZATION_REFUSED, outcome=outcome, details={"reason": reason}
            )
            try:
                async with runtime.database.transaction() as session:
                    await audit.append(session, table, entry, now=runtime.now())
            except Exception as error:
                logger.warning("could not record a refusal in the audit log: %s", type(error).__name__)
        return domain_error_response(exc)

    # A 503 (`AuthenticationUnavailable`: the token cannot be judged) is not a refusal of the
    # caller and keeps the usual handler.
    app.add_exception_handler(Unauthorized, refused)
    app.add_exception_handler(Forbidden, refused)


# --------------------------------------------------------------------------- auditors' API


class AuditEntryRead(BaseModel):
    seq: int
    entry_id: UUID
    occurred_at: datetime
    kind: str
    actor: str | None
    actor_kind: str
    role: str | None
    region_code: str | None
    route: str | None
    method: str | None
    target_id: str | None
    purpose: str | None
    outcome: str
    correlation_id: str | None
    details: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_after_seq: int | None = Field(description="Pass as after_seq for the next page; null at the end")


class AuditVerifyRead(BaseModel):
    ok: bool
    count: int
    last_seq: int | None
    last_hash: str
    first_broken_seq: int | None
    reason: str | None


def audit_page(records: Sequence[audit.AuditRecord], limit: int) -> AuditPage:
    """A page of the trail as the auditors' API returns it (services and the gateway alike)."""
    items = [
        AuditEntryRead(
            **{name: getattr(record, name) for name in AuditEntryRead.model_fields if name != "details"},
            details=record.details_value(),
        )
        for record in records
    ]
    return AuditPage(items=items, next_after_seq=records[-1].seq if len(records) == limit else None)


Auditor = Annotated[Principal, requires("audit:read")]


def audit_router(service: str) -> APIRouter:
    """`GET /v1/<service>/audit` and `/audit/verify`, for auditors only."""
    router = APIRouter(prefix=f"/v1/{service}", tags=["audit"])

    @router.get(
        "/audit",
        summary="The access audit trail (审计日志), auditors only",
        responses=refusals(*PROTECTED, RequestInvalid),
    )
    async def list_audit(
        request: Request,
        _auditor: Auditor,
        session: SessionDep,
        runtime: RuntimeDep,
        kind: Annotated[CleanText | None, Query(max_length=50)] = None,
        actor: Annotated[CleanText | None, Query(max_length=200)] = None,
        target_id: Annotated[CleanText | None, Query(max_length=200)] = None,
        correlation_id: Annotated[CleanText | None, Query(max_length=200)] = None,
        since: Instant | None = None,
        until: Instant | None = None,
        after_seq: AfterSeq = None,
        limit: Annotated[int, limit_query(le=audit.MAX_QUERY_LIMIT)] = 100,
    ) -> AuditPage:
        table = _audit_table(request)
        records = await audit.query(
            session,
            table,
            kind=kind,
            actor=actor,
            target_id=target_id,
            correlation_id=correlation_id,
            since=since,
            until=until,
            after_seq=after_seq,
            limit=limit,
        )
        # Reading the trail is itself on the trail (after the read: the page excludes it).
        await audit.append(
            session,
            table,
            _entry(request, kind="audit_read", outcome="success", details={"returned": len(records)}),
            now=runtime.now(),
        )
        return audit_page(records, limit)

    @router.get(
        "/audit/verify",
        summary="Check the audit trail's hash chain now (and its latest signed anchor, when anchored), auditors only",
        responses=refusals(*PROTECTED),
    )
    async def verify_audit(
        request: Request, _auditor: Auditor, session: SessionDep, runtime: RuntimeDep
    ) -> AuditVerifyRead:
        settings = runtime.settings
        if settings.audit_anchor_key_file is not None and settings.audit_anchor_file is not None:
            result = await verify_anchored(
                session,
                _audit_table(request),
                anchor_file=settings.audit_anchor_file,
                public_key=load_public_key(settings.audit_anchor_key_file),
                service=service,
            )
        else:
            result = await audit.verify(session, _audit_table(request))
        return AuditVerifyRead.model_validate(result, from_attributes=True)

    return router


PurposeQuery = Annotated[ReadPurpose, Query(description=PURPOSE_DESCRIPTION)]
"""The stated purpose every full-value read of personal data must give: a code from a fixed list
(`jiuzhu_platform.purpose.ReadPurpose`), recorded in the audit log."""

PurposeNoteQuery = Annotated[
    Annotated[str, AfterValidator(check_note)] | None,
    Query(
        max_length=MAX_NOTE_LENGTH,
        description="Optional context for the purpose (at most 200 characters, no resident ID, phone or "
        "bank account number: it is recorded in the audit log)",
    ),
]
"""The optional note of a full-value read (`jiuzhu_platform.purpose.check_note`)."""
