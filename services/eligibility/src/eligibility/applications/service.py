"""Application use cases: load via the repository, call the domain, persist, write the outbox.
Each receives the caller's `RegionScope`: it checks a record against it and filters lists with
it in SQL (`jiuzhu_platform.scoping.region_clause`). Never commits (the request's session
dependency does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.adapters.orm import outbox
from eligibility.applications.adapters.repository import ApplicationRepository
from eligibility.applications.domain import rules
from eligibility.applications.domain.commands import SubmitApplication
from eligibility.applications.domain.errors import ApplicationNotFound, HouseholdNotBound
from eligibility.applications.domain.model import Application
from eligibility.households import service as households_service
from jiuzhu_platform.auth import RegionNotAllowed, RegionScope
from jiuzhu_platform.outbox import add_event
from shared.types import ResidentId


async def submit_application(
    session: AsyncSession,
    scope: RegionScope,
    cmd: SubmitApplication,
    *,
    citizen: bool = False,
    by: str = "system",
    now: Callable[[], datetime],
) -> Application:
    """申请 within the caller's `scope`: a citizen (`citizen`) for their own household only,
    staff in their own area, placed in a town caseworker's town when no town is given. The
    application joins the applicant's household record (one per resident ID; created on the
    first application: `households.service.household_for_application`)."""
    town_code = scope.default_town(cmd.region_code, cmd.town_code)
    if citizen:
        named: UUID | None = _own_household(scope, cmd.household_id)
    else:
        scope.require(region_code=town_code or cmd.region_code)
        named = cmd.household_id
    at = now()
    household_id = await households_service.household_for_application(
        session,
        scope,
        named=named,
        region_code=cmd.region_code,
        town_code=town_code,
        applicant_name=cmd.applicant_name,
        applicant=cmd.applicant_resident_id,
        by=by,
        now=at,
    )
    cmd = replace(cmd, household_id=household_id, town_code=town_code)
    application, event = rules.submit_application(cmd, now=at)
    await ApplicationRepository(session).add(application)
    await add_event(session, outbox, event, now=application.submitted_at)
    return application


def _own_household(scope: RegionScope, asked: UUID | None) -> UUID:
    """A citizen applies for their own household only (bound at real-name binding)."""
    if scope.household_id is None:
        raise HouseholdNotBound()
    own = UUID(scope.household_id)
    if asked is not None and asked != own:
        raise RegionNotAllowed("a citizen applies for their own household only", "居民只能为本人家庭提出申请")
    return own


async def applications_of_applicant(
    session: AsyncSession, scope: RegionScope, resident_id: ResidentId, *, limit: int = 200
) -> list[Application]:
    """The applications whose applicant has this resident ID (by blind index), newest first:
    those within the caller's `scope` only, filtered in the query, so a page is always full."""
    return await ApplicationRepository(session).by_applicant(resident_id.value, scope, limit=limit)


async def get_application(session: AsyncSession, scope: RegionScope, application_id: UUID) -> Application:
    """One application, if it is within the caller's `scope` (else `RegionNotAllowed`)."""
    application = await ApplicationRepository(session).get(application_id)
    if application is None:
        raise ApplicationNotFound(application_id)
    scope.require(region_code=application.area_code, household_id=str(application.household_id))
    return application
