"""Verification HTTP endpoints."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from shared.errors import ErrorBody
from verification import service as verification_service
from verification.api.deps import CorrelationIdDep, RuntimeDep, SessionDep
from verification.api.schemas import ConsentCreate, ConsentRead

router = APIRouter(prefix="/v1/verification", tags=["verification"])


@router.post(
    "/consents",
    status_code=status.HTTP_201_CREATED,
    summary="Record a check authorisation (核对授权书)",
    responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def create_consent(
    body: ConsentCreate, session: SessionDep, runtime: RuntimeDep, correlation_id: CorrelationIdDep
) -> ConsentRead:
    consent = await verification_service.record_consent(
        session,
        household_id=body.household_id,
        subject_name=body.subject_name,
        subject_resident_id=body.subject_resident_id,
        purpose=body.purpose,
        signed_on=body.signed_on,
        correlation_id=correlation_id,
        now=runtime.now,
    )
    return ConsentRead.model_validate(consent, from_attributes=True)


@router.get("/consents/{consent_id}", summary="Read a check authorisation", responses={404: {"model": ErrorBody}})
async def get_consent(consent_id: UUID, session: SessionDep) -> ConsentRead:
    consent = await verification_service.get_consent(session, consent_id)
    return ConsentRead.model_validate(consent, from_attributes=True)
