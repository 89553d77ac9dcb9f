"""Verification HTTP endpoints."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status

from jiuzhu_platform.access import AuditDep, PurposeNoteQuery, PurposeQuery
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from verification import service as verification_service
from verification.api.schemas import ConsentCreate, ConsentPersonalData, ConsentRead, ConsentRevoke
from verification.domain.commands import RecordConsent
from verification.domain.errors import (
    ConsentAlreadyRevoked,
    ConsentNotFound,
    ConsentPeriodInvalid,
    ConsentSignedInFuture,
)

router = APIRouter(prefix="/v1/verification", tags=["verification"])

ConsentWriter = Annotated[Principal, requires("verification:consents:write")]
ConsentReader = Annotated[Principal, requires("verification:consents:read")]
FullValueReader = Annotated[Principal, requires("verification:consents:read", "pii:read_full")]


@router.post(
    "/consents",
    status_code=status.HTTP_201_CREATED,
    summary="Record a check authorisation (核对授权书)",
    responses=refusals(*PROTECTED, RegionNotAllowed, ConsentSignedInFuture, ConsentPeriodInvalid, RequestInvalid),
)
async def create_consent(
    body: ConsentCreate,
    caller: ConsentWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> ConsentRead:
    command = RecordConsent(
        household_id=body.household_id,
        region_code=body.region_code,
        town_code=body.town_code,
        subject_name=body.subject_name,
        subject_resident_id=body.subject_resident_id,
        purpose=body.purpose,
        signed_on=body.signed_on,
        correlation_id=correlation_id,
        valid_until=body.valid_until,
    )
    consent = await verification_service.record_consent(
        session,
        RegionScope.for_principal(caller),
        command,
        now=runtime.now,
        person_ref_key=runtime.settings.person_ref_secret(),
    )
    await audit.state_change(session, target_id=consent.id)
    return ConsentRead.model_validate(consent, from_attributes=True)


@router.get(
    "/consents/{consent_id}",
    summary="Read a check authorisation (personal data masked)",
    responses=refusals(*PROTECTED, RegionNotAllowed, ConsentNotFound, RequestInvalid),
)
async def get_consent(consent_id: UUID, caller: ConsentReader, session: ReadSessionDep) -> ConsentRead:
    consent = await verification_service.get_consent(session, RegionScope.for_principal(caller), consent_id)
    return ConsentRead.model_validate(consent, from_attributes=True)


@router.post(
    "/consents/{consent_id}/revoke",
    summary="Revoke a check authorisation (撤销授权): later checks no longer use it",
    responses=refusals(*PROTECTED, RegionNotAllowed, ConsentNotFound, ConsentAlreadyRevoked, RequestInvalid),
)
async def revoke_consent(
    consent_id: UUID,
    body: ConsentRevoke,
    caller: ConsentWriter,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> ConsentRead:
    consent = await verification_service.revoke_consent(
        session, RegionScope.for_principal(caller), consent_id, body.reason, now=runtime.now()
    )
    await audit.state_change(session, target_id=consent.id, details={"action": "revoked", "reason": body.reason})
    return ConsentRead.model_validate(consent, from_attributes=True)


@router.get(
    "/consents/{consent_id}/personal-data",
    summary="The unmasked personal data of a consent (full-value read, audited with its purpose)",
    responses=refusals(*PROTECTED, RegionNotAllowed, ConsentNotFound, RequestInvalid),
)
async def get_consent_personal_data(
    consent_id: UUID,
    purpose: PurposeQuery,
    caller: FullValueReader,
    session: SessionDep,
    audit: AuditDep,
    purpose_note: PurposeNoteQuery = None,
) -> ConsentPersonalData:
    consent = await verification_service.get_consent(session, RegionScope.for_principal(caller), consent_id)
    await audit.pii_read(
        session, target_id=consent.id, purpose=purpose, fields=["subject_resident_id"], note=purpose_note
    )
    return ConsentPersonalData(
        id=consent.id, subject_name=consent.subject_name, subject_resident_id=consent.subject_resident_id
    )
