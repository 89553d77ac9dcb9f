"""The household of a citizen at real-name binding (实名绑定): the household the resident ID is a
current member of, or a new one-member household with that person as its applicant (placed in
the county of the resident ID's address code; `RegionUnknown` when that is not a Guiyang
county). The same resident ID always resolves to the same household; concurrent bindings or
applications of one person are decided by the unique index of current members. Never commits.

Called by the gateway's real-name binding (`POST /v1/eligibility/households/citizen-binding`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.repository import ApplicationRepository
from eligibility.assessment.domain.model import HukouType, Relationship
from eligibility.households.adapters.repository import HouseholdRepository
from eligibility.households.domain import rules
from eligibility.households.domain.binding import binding_county
from eligibility.households.domain.errors import ResidentInAnotherHousehold
from eligibility.households.domain.model import Member
from shared.types import ResidentId, business_date

BINDING = "citizen-binding"
"""Who a household created at binding is recorded as created by (the version's `by`)."""


async def resolve_or_create_for_citizen(
    session: AsyncSession, name: str, resident_id: ResidentId, *, now: datetime, by: str = BINDING
) -> UUID:
    """The id of the household `resident_id` belongs to, created (one member, the applicant) if
    there is none. The person's own household: no region scope applies (the gateway has checked
    the real name)."""
    repository = HouseholdRepository(session)
    current = await repository.of_resident(resident_id.value)
    if current is None:  # records from before households: the person's applications say which
        current = await ApplicationRepository(session).household_of_applicant(resident_id.value)
    if current is not None:
        return current[0]
    county = binding_county(resident_id)
    applicant = Member(
        member_id=uuid.uuid4(),
        resident_id=resident_id,
        name=name,
        relationship=Relationship.SELF,
        hukou_type=HukouType.URBAN,
        hukou_region_code=county,
        joined_on=business_date(now),
    )
    record = rules.create(uuid.uuid4(), county, None, applicant, by=by, at=now)
    try:
        await repository.save(record, previous_version=0, now=now)
    except ResidentInAnotherHousehold:  # created first by a concurrent binding or application
        current = await repository.of_resident(resident_id.value)
        if current is None:
            raise
        return current[0]
    return record.household_id
