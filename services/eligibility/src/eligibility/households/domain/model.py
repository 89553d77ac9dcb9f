"""Households (户) as records (pure): the members with their personal facts, versioned.

A household is owned by eligibility; its id is the one every service and the citizen's
binding use. A resident ID belongs to at most one household's *current* members: a person who
leaves keeps their history (`left_on`, `leave_reason`) but can then join another household.
Sex and birth date are never stored apart from the resident ID: they are read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eligibility.assessment.domain.model import DisabilityCategory, HukouType, Relationship
from shared.types import ResidentId


class LabourCapacity(StrEnum):
    FULL = "full"  # 有劳动能力
    PARTIAL = "partial"  # 部分丧失劳动能力
    NONE = "none"  # 无劳动能力


class ChangeReason(StrEnum):
    """Why a household record changed (每次变更留痕)."""

    CREATED = "created"
    MEMBER_ADDED = "member_added"
    MEMBER_UPDATED = "member_updated"
    MEMBER_LEFT = "member_left"


class LeaveReason(StrEnum):
    DEATH = "death"  # 死亡
    MOVED_OUT = "moved_out"  # 迁出 / 分户
    MARRIED_OUT = "married_out"  # 婚嫁迁出
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Member:
    member_id: UUID
    resident_id: ResidentId
    name: str
    relationship: Relationship
    hukou_type: HukouType
    hukou_region_code: str | None = None
    """The county of the member's 户籍 (the application-place rules, DOMAIN-RULES §2.2)."""
    residence_town_code: str | None = None
    """Where the member actually lives (经常居住地), when known."""
    disability_category: DisabilityCategory | None = None
    disability_grade: int | None = None
    serious_illness: bool = False
    labour_capacity: LabourCapacity = LabourCapacity.FULL
    in_school: bool = False
    joined_on: date | None = None
    left_on: date | None = None
    leave_reason: LeaveReason | None = None

    @property
    def current(self) -> bool:
        return self.left_on is None

    @property
    def birth_date(self) -> date:
        return self.resident_id.birth_date

    def separated_residence(self, household_county: str) -> bool:
        """人户分离: the 户籍 county differs from where the household lives."""
        return self.hukou_region_code is not None and self.hukou_region_code != household_county


@dataclass(frozen=True, slots=True)
class HouseholdVersion:
    version: int
    at: datetime
    by: str
    reason: ChangeReason
    summary: str
    """What changed, with resident IDs masked."""


@dataclass(frozen=True, slots=True)
class Household:
    household_id: UUID
    region_code: str
    town_code: str | None
    members: tuple[Member, ...]
    version: int = 1
    history: tuple[HouseholdVersion, ...] = field(default=(), repr=False)

    @property
    def current_members(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.current)
