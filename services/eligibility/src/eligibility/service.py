"""Eligibility use cases: load via repositories, call the domain, persist, write the outbox.
Each use case on records receives the caller's `RegionScope`: it checks a record against it and
filters lists with it in SQL (`jiuzhu_platform.scoping.region_clause`). Never commits (the
request's session dependency does). Assessments are what-ifs: nothing is stored; the route hands
over the household as domain facts (in integer fen)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.adapters.orm import outbox
from eligibility.adapters.repository import ApplicationRepository, PolicyVersionRepository
from eligibility.domain import rules
from eligibility.domain.assessment import Assessment, assess
from eligibility.domain.commands import AssessHousehold, SubmitApplication
from eligibility.domain.errors import ApplicationNotFound, HouseholdNotBound, PolicyVersionChanged
from eligibility.domain.household import HukouType
from eligibility.domain.model import Application
from eligibility.domain.policy import PolicyBook, PolicySet
from eligibility.domain.termination import Trigger, dibao_triggers, tekun_triggers
from jiuzhu_platform.auth import RegionNotAllowed, RegionScope
from jiuzhu_platform.outbox import add_event
from shared.types import ResidentId


async def submit_application(
    session: AsyncSession,
    scope: RegionScope,
    cmd: SubmitApplication,
    *,
    citizen: bool = False,
    now: Callable[[], datetime],
) -> Application:
    """申请 within the caller's `scope`: a citizen (`citizen`) for their own household only,
    staff in their own area, placed in a town caseworker's town when no town is given."""
    household_id = _own_household(scope, cmd.household_id) if citizen else cmd.household_id
    town_code = scope.default_town(cmd.region_code, cmd.town_code)
    if not citizen:
        scope.require(region_code=town_code or cmd.region_code)
    cmd = replace(cmd, household_id=household_id, town_code=town_code)
    application, event = rules.submit_application(cmd, now=now())
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


def assess_household(cmd: AssessHousehold, book: PolicyBook) -> tuple[Assessment, list[Trigger]]:
    """Assess; for a household with an active case also say what would stop it (§2.9, §3.5)."""
    facts = cmd.facts
    hukou: Literal["urban", "rural"] = "urban" if facts.hukou == HukouType.URBAN else "rural"
    assessment = assess(facts, book.resolve(facts.region_code, hukou, facts.benefit_month))
    triggers: list[Trigger] = []
    if cmd.has_current_case:
        events = cmd.case_events
        triggers = dibao_triggers(assessment, events)
        for person in assessment.tekun_persons:
            triggers += tekun_triggers(person.member_id, assessment, events)
    return assessment, triggers


async def load_policies(session: AsyncSession, policy_set: PolicySet, *, now: datetime) -> list[str]:
    """Store the policy set's versions in the database (idempotent). A version already stored
    with different content is refused: versions are immutable, a change is a new version."""
    repository = PolicyVersionRepository(session)
    stored = await repository.digests(policy_set.name)
    added = []
    for version in policy_set.versions:
        document = version.model_dump_json()
        digest = hashlib.sha256(document.encode()).hexdigest()
        if version.version in stored:
            if stored[version.version] != digest:
                raise PolicyVersionChanged(policy_set.name, version.version)
            continue
        await repository.add(policy_set.name, version, document, digest, now)
        added.append(version.version)
    return added
