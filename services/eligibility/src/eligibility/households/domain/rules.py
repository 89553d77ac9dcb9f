"""Household rules (pure): create, add a member, update a member's facts, a member leaves.
Each change returns the new household with its version record; resident IDs in the record's
summary are masked."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eligibility.households.domain.errors import DuplicateMember, LastMemberCannotLeave, MemberNotFound
from eligibility.households.domain.model import ChangeReason, Household, HouseholdVersion, LeaveReason, Member


def create(
    household_id: UUID, region_code: str, town_code: str | None, first: Member, *, by: str, at: datetime
) -> Household:
    version = HouseholdVersion(1, at, by, ChangeReason.CREATED, f"created with {first.resident_id.masked()}")
    return Household(household_id, region_code, town_code, (first,), 1, (version,))


def _changed(
    household: Household, members: tuple[Member, ...], reason: ChangeReason, summary: str, by: str, at: datetime
) -> Household:
    version = HouseholdVersion(household.version + 1, at, by, reason, summary)
    return dataclasses.replace(
        household, members=members, version=household.version + 1, history=(*household.history, version)
    )


def add_member(household: Household, member: Member, *, by: str, at: datetime) -> Household:
    if any(m.resident_id == member.resident_id for m in household.current_members):
        raise DuplicateMember()
    return _changed(
        household,
        (*household.members, member),
        ChangeReason.MEMBER_ADDED,
        f"added {member.resident_id.masked()}",
        by,
        at,
    )


def update_member(
    household: Household, member_id: UUID, changes: dict[str, Any], *, by: str, at: datetime
) -> Household:
    member = _current(household, member_id)
    updated = dataclasses.replace(member, **changes)
    members = tuple(updated if m.member_id == member_id else m for m in household.members)
    summary = f"updated {member.resident_id.masked()}: {', '.join(sorted(changes))}"
    return _changed(household, members, ChangeReason.MEMBER_UPDATED, summary, by, at)


def member_leaves(
    household: Household, member_id: UUID, reason: LeaveReason, on: date, *, by: str, at: datetime
) -> Household:
    member = _current(household, member_id)
    if len(household.current_members) == 1:
        raise LastMemberCannotLeave()
    left = dataclasses.replace(member, left_on=on, leave_reason=reason)
    members = tuple(left if m.member_id == member_id else m for m in household.members)
    summary = f"{member.resident_id.masked()} left ({reason.value})"
    return _changed(household, members, ChangeReason.MEMBER_LEFT, summary, by, at)


def _current(household: Household, member_id: UUID) -> Member:
    for member in household.current_members:
        if member.member_id == member_id:
            return member
    raise MemberNotFound(member_id)
