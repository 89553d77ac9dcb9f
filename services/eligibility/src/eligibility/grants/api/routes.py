"""临时救助 endpoints: emergency first aid (急难型 先行救助), its paperwork, and the grants list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eligibility.deadlines.adapters.calendar_file import working_day_calendar
from eligibility.grants import service
from eligibility.grants.adapters.repository import GrantRepository
from eligibility.grants.domain.commands import Backfill, GrantFirstAid
from eligibility.grants.domain.model import ApprovalLevel, Grant, GrantKind, PaidBy, RemainderRoute
from eligibility.grants.domain.rules import AlreadyBackfilled, backfill_overdue
from eligibility.policy.adapters.policy_files import policy_book
from eligibility.policy.domain.errors import PolicyNotInForce, RegionNotCovered
from eligibility.procedure.domain.errors import CapacityNotAllowed, StaleApplication, StepRefused
from eligibility.procedure.events import Publisher
from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.params import Limit, Offset
from jiuzhu_platform.person_ref import person_ref
from jiuzhu_platform.runtime import Runtime
from shared.types import (
    CountyCode,
    InvalidValueError,
    NonEmptyStr,
    NonNegativeMoney,
    ResidentId,
    TownCode,
    business_date,
    check_town_in_county,
    format_fen,
    to_fen,
)

router = APIRouter(prefix="/v1/eligibility", tags=["temporary assistance"])

Handler = Annotated[Principal, requires("eligibility:procedure:act")]
Reader = Annotated[Principal, requires("eligibility:applications:read")]


def deps(runtime: Runtime) -> service.GrantDeps:
    return service.GrantDeps(policies=policy_book(), calendar=working_day_calendar(), now=runtime.now)


class FirstAidCreate(BaseModel):
    """急难型 先行救助: paid at once by the town where the emergency happened (no 核对, 评议 or 公示;
    no hukou or residence condition); the paperwork follows by the backfill deadline."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region_code": "520102",
                    "town_code": "520102001000",
                    "recipient": {"name": "陈刚", "resident_id": "11010519491231002X"},
                    "cause": "住房失火，生活用品全部烧毁",
                    "requested": "5000.00",
                    "members": 3,
                    "paid_by": "town_cash",
                }
            ]
        },
    )

    class Recipient(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: NonEmptyStr = Field(max_length=100)
        resident_id: ResidentId

    region_code: CountyCode = Field(description="Where the emergency happened (急难发生地)")
    town_code: TownCode | None = None
    household_id: UUID | None = None
    recipient: Recipient
    cause: NonEmptyStr
    requested: NonNegativeMoney = Field(description="元 the household needs")
    members: int = Field(default=1, ge=1, le=50, strict=True)
    paid_by: PaidBy = PaidBy.TOWN_CASH

    @model_validator(mode="after")
    def _town_in_county(self) -> FirstAidCreate:
        try:
            check_town_in_county(self.town_code, self.region_code)
        except InvalidValueError as exc:
            raise exc.to_pydantic() from None
        return self

    def command(self) -> GrantFirstAid:
        return GrantFirstAid(
            region_code=self.region_code,
            town_code=self.town_code,
            recipient_name=self.recipient.name,
            recipient_resident_id=self.recipient.resident_id,
            cause=self.cause,
            requested_fen=to_fen(self.requested),
            members=self.members,
            paid_by=self.paid_by,
            household_id=self.household_id,
        )


class BackfillBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"signed": True, "note": "已登记救助对象、事由和金额，签字盖章齐全"}]},
    )
    expected_version: int | None = Field(default=None, ge=0, le=1_000_000)
    signed: bool
    note: NonEmptyStr


class GrantRead(BaseModel):
    grant_id: UUID
    kind: GrantKind
    region_code: str
    town_code: str | None
    household_id: UUID | None
    application_id: UUID | None
    recipient_name: str
    recipient_masked_id: str
    cause: str
    requested: str
    granted: str = Field(description="元 paid now")
    remainder: str = Field(description="元 above the ceiling")
    remainder_route: RemainderRoute = Field(description="Where the remainder goes: 支出型 application or 一事一议")
    approval_level: ApprovalLevel
    paid_by: PaidBy
    policy_version: str
    granted_by: str
    granted_at: datetime
    backfill_due: date | None
    backfill_provisional: bool
    backfilled_on: date | None
    backfill_overdue: bool
    version: int


class GrantPage(BaseModel):
    items: list[GrantRead]
    total: int
    limit: int
    offset: int


def grant_read(grant: Grant, today: date) -> GrantRead:
    return GrantRead(
        grant_id=grant.grant_id,
        kind=grant.kind,
        region_code=grant.region_code,
        town_code=grant.town_code,
        household_id=grant.household_id,
        application_id=grant.application_id,
        recipient_name=grant.recipient_name,
        recipient_masked_id=grant.recipient_masked_id,
        cause=grant.cause,
        requested=format_fen(grant.requested_fen),
        granted=format_fen(grant.granted_fen),
        remainder=format_fen(grant.remainder_fen),
        remainder_route=grant.remainder_route,
        approval_level=grant.approval_level,
        paid_by=grant.paid_by,
        policy_version=grant.policy_version,
        granted_by=grant.granted_by,
        granted_at=grant.granted_at,
        backfill_due=grant.backfill_due,
        backfill_provisional=grant.backfill_provisional,
        backfilled_on=grant.backfilled_on,
        backfill_overdue=backfill_overdue(grant, today),
        version=grant.version,
    )


@router.post(
    "/emergency-grants",
    status_code=status.HTTP_201_CREATED,
    summary="Emergency first aid (急难型临时救助 先行救助): pay now up to the ceiling, say where the rest goes",
    responses=refusals(
        *PROTECTED,
        RegionNotAllowed,
        CapacityNotAllowed,
        RegionNotCovered,
        PolicyNotInForce,
        StepRefused,
        RequestInvalid,
    ),
)
async def create_emergency_grant(
    body: FirstAidCreate,
    caller: Handler,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
    correlation_id: CorrelationIdDep,
) -> GrantRead:
    grant = await service.grant_first_aid(session, body.command(), caller, deps(runtime))
    payee = person_ref(body.recipient.resident_id, runtime.settings.person_ref_secret())
    await Publisher(session, correlation_id, runtime.now()).granted(grant, payee=payee)
    await audit.state_change(session, target_id=grant.grant_id, details={"action": "emergency_grant"})
    return grant_read(grant, business_date(runtime.now()))


@router.post(
    "/emergency-grants/{grant_id}/backfill",
    summary="Complete the paperwork of a first-aid grant (补办手续: registration, signatures)",
    responses=refusals(
        *PROTECTED,
        RegionNotAllowed,
        service.GrantNotFound,
        CapacityNotAllowed,
        AlreadyBackfilled,
        StepRefused,
        StaleApplication,
        RequestInvalid,
    ),
)
async def backfill_grant(
    grant_id: UUID, body: BackfillBody, caller: Handler, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> GrantRead:
    grant = await service.record_backfill(
        session,
        grant_id,
        Backfill(body.signed, body.note),
        caller,
        deps(runtime),
        expected_version=body.expected_version,
    )
    await audit.state_change(session, target_id=grant_id, details={"action": "backfill"})
    return grant_read(grant, business_date(runtime.now()))


@router.get(
    "/temporary-grants",
    summary="临时救助 grants (emergency and 支出型), region-scoped; `overdue` = paperwork past its deadline",
    responses=refusals(*PROTECTED, RequestInvalid),
)
async def list_grants(
    caller: Reader,
    session: ReadSessionDep,
    runtime: RuntimeDep,
    overdue: bool = False,
    kind: GrantKind | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> GrantPage:
    today = business_date(runtime.now())
    grants, total = await GrantRepository(session).page(
        RegionScope.for_principal(caller), overdue_on=today if overdue else None, kind=kind, limit=limit, offset=offset
    )
    return GrantPage(items=[grant_read(g, today) for g in grants], total=total, limit=limit, offset=offset)
