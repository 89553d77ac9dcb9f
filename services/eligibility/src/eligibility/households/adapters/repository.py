"""Loading and storing household records."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.assessment.domain.model import DisabilityCategory, HukouType, Relationship
from eligibility.households.adapters.orm import MEMBER_RESIDENT_ID, household, household_member, household_version
from eligibility.households.domain.errors import ResidentInAnotherHousehold
from eligibility.households.domain.model import (
    ChangeReason,
    Household,
    HouseholdVersion,
    LabourCapacity,
    LeaveReason,
    Member,
)
from jiuzhu_platform.db import is_unique_violation
from jiuzhu_platform.pii import session_key_ring
from shared.types import ResidentId


class HouseholdRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def index(self, resident_id: str) -> str:
        return MEMBER_RESIDENT_ID.index(session_key_ring(self.session), resident_id)

    async def of_resident(self, resident_id: str) -> tuple[UUID, str, str | None] | None:
        """The household (id, county, town) the person is a current member of, if any."""
        h, m = household, household_member
        row = (
            await self.session.execute(
                select(h.c.household_id, h.c.region_code, h.c.town_code)
                .join(m, m.c.household_id == h.c.household_id)
                .where(m.c.current_resident_bidx == self.index(resident_id))
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def get(self, household_id: UUID) -> Household | None:
        row = (
            (await self.session.execute(select(household).where(household.c.household_id == household_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        members = await self.session.execute(
            select(household_member)
            .where(household_member.c.household_id == household_id)
            .order_by(household_member.c.seq)
        )
        versions = await self.session.execute(
            select(household_version)
            .where(household_version.c.household_id == household_id)
            .order_by(household_version.c.version)
        )
        return Household(
            household_id=row["household_id"],
            region_code=row["region_code"],
            town_code=row["town_code"],
            members=tuple(_member(r) for r in members.mappings()),
            version=row["version"],
            history=tuple(
                HouseholdVersion(v["version"], v["at"], v["by"], ChangeReason(v["reason"]), v["summary"])
                for v in versions.mappings()
            ),
        )

    async def save(self, new: Household, *, previous_version: int, now: datetime) -> bool:
        """Insert (previous_version 0) or update the record, its members and its new versions;
        False when someone changed it first. A person who is a current member elsewhere (a
        concurrent write) is refused with `ResidentInAnotherHousehold`."""
        try:
            async with self.session.begin_nested():
                if previous_version == 0:
                    await self.session.execute(
                        insert(household),
                        {
                            "household_id": new.household_id,
                            "region_code": new.region_code,
                            "town_code": new.town_code,
                            "version": new.version,
                            "updated_at": now,
                        },
                    )
                else:
                    result = await self.session.execute(
                        update(household)
                        .where(household.c.household_id == new.household_id, household.c.version == previous_version)
                        .values(version=new.version, updated_at=now)
                    )
                    if result.rowcount != 1:  # type: ignore[attr-defined]
                        return False
                    await self.session.execute(
                        delete(household_member).where(household_member.c.household_id == new.household_id)
                    )
                ring = session_key_ring(self.session)
                for seq, member in enumerate(new.members):
                    await self.session.execute(insert(household_member), _row(new.household_id, seq, member, ring))
                for version in new.history:
                    if version.version > previous_version:
                        await self.session.execute(
                            insert(household_version),
                            {
                                "household_id": new.household_id,
                                "version": version.version,
                                "at": version.at,
                                "by": version.by,
                                "reason": version.reason.value,
                                "summary": version.summary,
                            },
                        )
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise ResidentInAnotherHousehold() from None
        return True


def _row(household_id: UUID, seq: int, member: Member, ring: Any) -> dict[str, Any]:
    values = MEMBER_RESIDENT_ID.values(ring, member.resident_id.value)
    return {
        "member_id": member.member_id,
        "household_id": household_id,
        "seq": seq,
        **values,
        "current_resident_bidx": values[MEMBER_RESIDENT_ID.index_name] if member.current else None,
        "name": member.name,
        "relationship": member.relationship.value,
        "hukou_type": member.hukou_type.value,
        "hukou_region_code": member.hukou_region_code,
        "residence_town_code": member.residence_town_code,
        "disability_category": member.disability_category.value if member.disability_category else None,
        "disability_grade": member.disability_grade,
        "serious_illness": member.serious_illness,
        "labour_capacity": member.labour_capacity.value,
        "in_school": member.in_school,
        "joined_on": member.joined_on,
        "left_on": member.left_on,
        "leave_reason": member.leave_reason.value if member.leave_reason else None,
    }


def _member(r: Any) -> Member:
    return Member(
        member_id=r["member_id"],
        resident_id=ResidentId(r["resident_id"]),
        name=r["name"],
        relationship=Relationship(r["relationship"]),
        hukou_type=HukouType(r["hukou_type"]),
        hukou_region_code=r["hukou_region_code"],
        residence_town_code=r["residence_town_code"],
        disability_category=DisabilityCategory(r["disability_category"]) if r["disability_category"] else None,
        disability_grade=r["disability_grade"],
        serious_illness=r["serious_illness"],
        labour_capacity=LabourCapacity(r["labour_capacity"]),
        in_school=r["in_school"],
        joined_on=r["joined_on"],
        left_on=r["left_on"],
        leave_reason=LeaveReason(r["leave_reason"]) if r["leave_reason"] else None,
    )
