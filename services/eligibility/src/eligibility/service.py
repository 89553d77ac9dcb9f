"""Eligibility use cases: load via repositories, call the domain, persist, write the outbox.
Never commits (the request's session dependency does). Assessments are what-ifs: nothing is
stored; the route hands over the household as domain facts (in integer fen)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.adapters.orm import outbox
from eligibility.adapters.repository import ApplicationRepository, PolicyVersionRepository
from eligibility.domain import rules
from eligibility.domain.assessment import Assessment, assess
from eligibility.domain.commands import AssessHousehold, SubmitApplication
from eligibility.domain.errors import ApplicationNotFound, PolicyVersionChanged
from eligibility.domain.household import HukouType
from eligibility.domain.model import Application
from eligibility.domain.policy import PolicyBook, PolicySet
from eligibility.domain.termination import Trigger, dibao_triggers, tekun_triggers
from jiuzhu_platform.outbox import add_event
from shared.types import ResidentId


async def submit_application(
    session: AsyncSession, cmd: SubmitApplication, *, now: Callable[[], datetime]
) -> Application:
    application, event = rules.submit_application(cmd, now=now())
    await ApplicationRepository(session).add(application)
    await add_event(session, outbox, event, now=application.submitted_at)
    return application


async def applications_of_applicant(session: AsyncSession, resident_id: ResidentId) -> list[Application]:
    """Every application whose applicant has this resident ID (by blind index)."""
    return await ApplicationRepository(session).by_applicant(resident_id.value)


async def get_application(session: AsyncSession, application_id: UUID) -> Application:
    application = await ApplicationRepository(session).get(application_id)
    if application is None:
        raise ApplicationNotFound(application_id)
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
