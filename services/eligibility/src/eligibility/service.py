"""Eligibility use cases: load via repositories, call the domain, persist, write the outbox.
Never commits (the request's session dependency does). Assessments are what-ifs: nothing is
stored; conversion to integer fen happens here, at the edge of the domain."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.adapters.orm import outbox
from eligibility.adapters.repository import ApplicationRepository, PolicyVersionRepository
from eligibility.api.assessment_schemas import AssessmentCreate
from eligibility.domain import rules
from eligibility.domain.assessment import Assessment, assess
from eligibility.domain.errors import ApplicationNotFound, PolicyVersionChanged
from eligibility.domain.household import HouseholdFacts, MemberFacts, TemporaryFacts
from eligibility.domain.model import Application
from eligibility.domain.policy import PolicyBook, PolicySet
from eligibility.domain.termination import Trigger, dibao_triggers, tekun_triggers
from jiuzhu_platform.outbox import add_event
from shared.events import AssistanceType
from shared.types import ResidentId, per_mille, to_centi_m2, to_fen


async def submit_application(
    session: AsyncSession,
    *,
    household_id: UUID | None,
    assistance_type: AssistanceType,
    region_code: str,
    town_code: str | None = None,
    member_count: int,
    applicant_name: str,
    applicant_resident_id: ResidentId,
    correlation_id: str,
    now: Callable[[], datetime],
) -> Application:
    application, event = rules.submit_application(
        household_id=household_id,
        assistance_type=assistance_type,
        region_code=region_code,
        town_code=town_code,
        member_count=member_count,
        applicant_name=applicant_name,
        applicant_resident_id=applicant_resident_id,
        correlation_id=correlation_id,
        now=now(),
    )
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


def facts_from_request(body: AssessmentCreate) -> HouseholdFacts:
    members = tuple(
        MemberFacts(
            member_id=m.member_id,
            birth_date=m.resident_id.birth_date,
            masked_id=m.resident_id.masked(),
            relationship=m.relationship.value,
            co_resident=m.co_resident,
            status=m.status.value,
            in_full_time_education=m.in_full_time_education,
            able_to_live_independently=m.able_to_live_independently,
            has_labour_capacity=m.has_labour_capacity,
            disability_category=m.disability.category.value if m.disability else None,
            disability_grade=m.disability.grade if m.disability else None,
            serious_illness=m.serious_illness,
            sanwu=m.sanwu,
            self_care_failed=sum(not ok for ok in m.self_care.model_dump().values()),
            has_able_supporter=m.has_able_supporter,
            incomes=tuple((i.category.value, tuple(to_fen(x) for x in i.monthly)) for i in m.incomes),
        )
        for m in body.members
    )
    rigid = body.rigid_expenditure_12m
    temporary = body.temporary
    return HouseholdFacts(
        region_code=body.region_code,
        hukou=body.hukou_type.value,
        benefit_month=body.benefit_month.first_day,
        members=members,
        financial_assets=to_fen(body.assets.financial),
        vehicles=tuple((to_fen(v.value), v.purpose) for v in body.assets.vehicles),
        dwellings=body.assets.dwellings,
        floor_area_centi_m2=to_centi_m2(body.assets.floor_area_m2),
        company_shareholding=body.assets.company_shareholding,
        rigid_expenditure=(
            None
            if rigid is None
            else (to_fen(rigid.medical), to_fen(rigid.education), to_fen(rigid.rehabilitation), to_fen(rigid.living))
        ),
        irregular_income=body.irregular_income,
        single_person_member_id=body.single_person_member_id,
        temporary=(
            None
            if temporary is None
            else TemporaryFacts(
                temporary.kind, temporary.cause, to_fen(temporary.requested), temporary.prior_grants_same_cause_12m
            )
        ),
        current_benefit=None if body.current_case is None else to_fen(body.current_case.monthly_benefit),
        income_rise_from_employment=bool(body.current_case and body.current_case.income_rise_from_employment),
        cpi_rise=None if body.prices is None else per_mille(body.prices.cpi_yoy_percent),
        food_cpi_rise=None if body.prices is None else per_mille(body.prices.food_cpi_yoy_percent),
    )


def assess_household(body: AssessmentCreate, book: PolicyBook) -> tuple[Assessment, list[Trigger]]:
    """Assess; for a household with an active case also say what would stop it (§2.9, §3.5)."""
    facts = facts_from_request(body)
    policy = book.resolve(facts.region_code, "urban" if facts.hukou == "urban" else "rural", facts.benefit_month)
    assessment = assess(facts, policy)
    triggers: list[Trigger] = []
    if body.current_case is not None:
        events = frozenset(body.current_case.events)
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
