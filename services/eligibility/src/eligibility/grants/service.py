"""临时救助 use cases: emergency first aid paid at once by the town, the paperwork that
follows, the one-off grant of an approved 支出型 application. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.deadlines.domain.calendar import CalendarOutOfRange, Step, WorkingDayCalendar, due_date
from eligibility.grants.adapters.repository import GrantRepository
from eligibility.grants.domain import rules
from eligibility.grants.domain.commands import Backfill, GrantFirstAid
from eligibility.grants.domain.model import ApprovalLevel, Grant, GrantKind, PaidBy, RemainderRoute
from eligibility.policy.domain.model import PolicyBook
from eligibility.procedure.domain.errors import CapacityNotAllowed, StaleApplication
from eligibility.procedure.domain.model import CaseFile
from jiuzhu_platform.auth import Principal, PrincipalKind, RegionScope
from jiuzhu_platform.errors import NotFound
from shared.types import business_date, mask_resident_id


class GrantNotFound(NotFound):
    def __init__(self, grant_id: UUID) -> None:
        super().__init__(f"grant {grant_id} not found", message_zh=f"未找到临时救助记录 {grant_id}")


@dataclass(frozen=True, slots=True)
class GrantDeps:
    policies: PolicyBook
    calendar: WorkingDayCalendar
    now: Callable[[], datetime]


def _backfill_due(calendar: WorkingDayCalendar, today: date) -> tuple[date | None, bool]:
    try:
        deadline = due_date(calendar, Step.TEMPORARY_EMERGENCY_BACKFILL, today)
    except CalendarOutOfRange:
        return None, False
    return deadline.due, deadline.provisional


async def grant_first_aid(session: AsyncSession, cmd: GrantFirstAid, caller: Principal, deps: GrantDeps) -> Grant:
    """先行救助: staff of the town (or county) where it happened pay up to the ceiling now."""
    if caller.kind is not PrincipalKind.STAFF:
        raise CapacityNotAllowed("emergency-grant")
    scope = RegionScope.for_principal(caller)
    town = scope.default_town(cmd.region_code, cmd.town_code)
    scope.require(region_code=town or cmd.region_code)
    now = deps.now()
    today = business_date(now)
    policy = deps.policies.resolve(cmd.region_code, "urban", today)
    aid = rules.first_aid(
        cmd.requested_fen,
        ceiling_fen=policy.temporary_emergency_multiple * policy.six_district_standard,
        expenditure_cap_fen=policy.temporary_cap_multiple * policy.standard * cmd.members,
    )
    due, provisional = _backfill_due(deps.calendar, today)
    grant = Grant(
        grant_id=uuid.uuid4(),
        kind=GrantKind.EMERGENCY,
        region_code=cmd.region_code,
        town_code=town,
        household_id=cmd.household_id,
        application_id=None,
        recipient_name=cmd.recipient_name,
        recipient_masked_id=mask_resident_id(cmd.recipient_resident_id.value),
        cause=cmd.cause,
        requested_fen=aid.requested_fen,
        granted_fen=aid.granted_fen,
        remainder_fen=aid.remainder_fen,
        remainder_route=aid.remainder_route,
        approval_level=ApprovalLevel.TOWN
        if scope.region_code and len(scope.region_code) == 12
        else ApprovalLevel.COUNTY,
        paid_by=cmd.paid_by,
        policy_version=policy.version,
        granted_by=caller.subject,
        granted_at=now,
        granted_on=today,
        backfill_due=due,
        backfill_provisional=provisional,
    )
    await GrantRepository(session).add(grant, cmd.recipient_resident_id.value)
    return grant


async def record_backfill(
    session: AsyncSession,
    grant_id: UUID,
    cmd: Backfill,
    caller: Principal,
    deps: GrantDeps,
    *,
    expected_version: int | None,
) -> Grant:
    repository = GrantRepository(session)
    grant = await load(session, grant_id, RegionScope.for_principal(caller))
    if caller.kind is not PrincipalKind.STAFF:
        raise CapacityNotAllowed("backfill")
    if expected_version is not None and expected_version != grant.version:
        raise StaleApplication(expected_version, grant.version)
    done = rules.backfill(grant, signed=cmd.signed, note=cmd.note, today=business_date(deps.now()))
    if not await repository.save(done, grant.version):
        raise StaleApplication(grant.version, grant.version + 1)
    return done


async def load(session: AsyncSession, grant_id: UUID, scope: RegionScope) -> Grant:
    grant = await GrantRepository(session).get(grant_id)
    if grant is None:
        raise GrantNotFound(grant_id)
    scope.require(region_code=grant.town_code or grant.region_code, household_id=str(grant.household_id))
    return grant


async def grant_from_approval(
    session: AsyncSession,
    case_file: CaseFile,
    *,
    region_code: str,
    town_code: str | None,
    recipient_name: str,
    recipient_resident_id: str,
    policy_version: str,
    approved_by: str,
    now: datetime,
) -> Grant | None:
    """The one-off grant of an approved 支出型 临时救助 application (paid by bank)."""
    decision = case_file.decision
    if decision is None or not decision.approved:
        return None
    grant = Grant(
        grant_id=uuid.uuid4(),
        kind=GrantKind.EXPENDITURE,
        region_code=region_code,
        town_code=town_code,
        household_id=case_file.household_id,
        application_id=case_file.application_id,
        recipient_name=recipient_name,
        recipient_masked_id=mask_resident_id(recipient_resident_id),
        cause=case_file.opinion.text if case_file.opinion else "支出型临时救助",
        requested_fen=decision.amount_fen,
        granted_fen=decision.amount_fen,
        remainder_fen=0,
        remainder_route=RemainderRoute.NONE,
        approval_level=ApprovalLevel(decision.level.value),
        paid_by=PaidBy.BANK,
        policy_version=policy_version,
        granted_by=approved_by,
        granted_at=now,
        granted_on=business_date(now),
        backfill_due=None,
    )
    await GrantRepository(session).add(grant, recipient_resident_id)
    return grant
