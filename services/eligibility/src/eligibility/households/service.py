"""Household use cases: the record an application belongs to (found by the applicant's resident
ID, created on the first application), reads within the caller's area, and member changes.
Never commits."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.repository import ApplicationRepository
from eligibility.assessment.domain.model import HukouType, Relationship
from eligibility.households.adapters.repository import HouseholdRepository
from eligibility.households.domain import rules
from eligibility.households.domain.errors import (
    HouseholdChanged,
    HouseholdNotFound,
    NoHouseholdForResident,
    ResidentInAnotherHousehold,
)
from eligibility.households.domain.model import Household, LeaveReason, Member
from jiuzhu_platform.auth import RegionScope
from shared.types import ResidentId


async def household_for_application(
    session: AsyncSession,
    scope: RegionScope,
    *,
    named: UUID | None,
    region_code: str,
    town_code: str | None,
    applicant_name: str,
    applicant: ResidentId,
    by: str,
    now: datetime,
    first_try: bool = True,
) -> UUID:
    """The household an application is for: the applicant's current household (one per resident
    ID); a household named by the caller must lie in their area and must not be another than the
    applicant's; a first application creates the record with the applicant as its first member."""
    repository = HouseholdRepository(session)
    if named is not None:
        record = await repository.get(named)
        if record is not None:
            scope.require(region_code=record.town_code or record.region_code, household_id=str(named))
        for county, town in await ApplicationRepository(session).areas_of_household(named):
            scope.require(region_code=town or county, household_id=str(named))
    current = await repository.of_resident(applicant.value)
    if current is None:  # records from before households: the applicant's applications say where
        current = await ApplicationRepository(session).household_of_applicant(applicant.value)
    if current is not None:
        household_id, county, town = current
        visible = scope.allows(region_code=town or county, household_id=str(household_id))
        if (named is not None and named != household_id) or not visible:
            raise ResidentInAnotherHousehold(household_id if visible else None)
        named = household_id
    household_id = named or uuid.uuid4()
    record = await repository.get(household_id)
    first = Member(
        member_id=uuid.uuid4(),
        resident_id=applicant,
        name=applicant_name,
        relationship=Relationship.SELF,
        hukou_type=HukouType.URBAN,
        joined_on=now.date(),
    )
    if record is None:
        created = rules.create(household_id, region_code, town_code, first, by=by, at=now)
        try:
            await repository.save(created, previous_version=0, now=now)
        except ResidentInAnotherHousehold:
            if not first_try:
                raise
            # a concurrent first application of the same person created their household since
            # the look-up (the unique index of current members decided): join it, as a later
            # application would (the savepoint was rolled back; the look-up now sees it)
            return await household_for_application(
                session,
                scope,
                named=None,
                region_code=region_code,
                town_code=town_code,
                applicant_name=applicant_name,
                applicant=applicant,
                by=by,
                now=now,
                first_try=False,
            )
    elif not any(m.resident_id == applicant for m in record.current_members):
        relationship = (
            Relationship.OTHER
            if any(m.relationship is Relationship.SELF for m in record.current_members)
            else Relationship.SELF
        )
        joined = rules.add_member(record, _with(first, relationship=relationship), by=by, at=now)
        if not await repository.save(joined, previous_version=record.version, now=now):
            raise HouseholdChanged(record.version, record.version + 1)
    return household_id


def _with(member: Member, **changes: Any) -> Member:
    return dataclasses.replace(member, **changes)


async def get(session: AsyncSession, household_id: UUID, scope: RegionScope) -> Household:
    record = await HouseholdRepository(session).get(household_id)
    if record is None:
        raise HouseholdNotFound(household_id)
    scope.require(region_code=record.town_code or record.region_code, household_id=str(household_id))
    return record


async def find_by_resident(session: AsyncSession, resident_id: ResidentId, scope: RegionScope) -> Household:
    """The household `resident_id` is a current member of, if the caller may see it; otherwise
    `NoHouseholdForResident` (out of area answers as not found)."""
    repository = HouseholdRepository(session)
    found = await repository.of_resident(resident_id.value)
    record = None if found is None else await repository.get(found[0])
    if record is None or not scope.allows(
        region_code=record.town_code or record.region_code, household_id=str(record.household_id)
    ):
        raise NoHouseholdForResident()
    return record


async def add_member(
    session: AsyncSession,
    household_id: UUID,
    member: Member,
    scope: RegionScope,
    *,
    expected_version: int | None,
    by: str,
    now: datetime,
) -> Household:
    record = await get(session, household_id, scope)
    repository = HouseholdRepository(session)
    elsewhere = await repository.of_resident(member.resident_id.value)
    if elsewhere is not None and elsewhere[0] != household_id:
        visible = scope.allows(region_code=elsewhere[2] or elsewhere[1], household_id=str(elsewhere[0]))
        raise ResidentInAnotherHousehold(elsewhere[0] if visible else None)
    return await _save(repository, record, rules.add_member(record, member, by=by, at=now), expected_version, now)


async def member_leaves(
    session: AsyncSession,
    household_id: UUID,
    member_id: UUID,
    reason: LeaveReason,
    on: date,
    scope: RegionScope,
    *,
    expected_version: int | None,
    by: str,
    now: datetime,
) -> Household:
    record = await get(session, household_id, scope)
    repository = HouseholdRepository(session)
    return await _save(
        repository, record, rules.member_leaves(record, member_id, reason, on, by=by, at=now), expected_version, now
    )


async def _save(
    repository: HouseholdRepository, record: Household, new: Household, expected_version: int | None, now: datetime
) -> Household:
    if expected_version is not None and expected_version != record.version:
        raise HouseholdChanged(expected_version, record.version)
    if not await repository.save(new, previous_version=record.version, now=now):
        raise HouseholdChanged(record.version, record.version + 1)
    return new


async def update_member(
    session: AsyncSession,
    household_id: UUID,
    member_id: UUID,
    changes: dict[str, Any],
    scope: RegionScope,
    *,
    expected_version: int | None,
    by: str,
    now: datetime,
) -> Household:
    """A member's facts change (户籍, residence, disability, illness, labour capacity, school)."""
    record = await get(session, household_id, scope)
    repository = HouseholdRepository(session)
    return await _save(
        repository, record, rules.update_member(record, member_id, changes, by=by, at=now), expected_version, now
    )
