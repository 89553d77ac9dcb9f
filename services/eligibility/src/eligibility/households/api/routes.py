"""Household record endpoints: read a household (members masked) and its version history, add a
member, record a member leaving. Region-scoped like every record: a citizen sees their own."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from eligibility.assessment.domain.model import DisabilityCategory, HukouType, Relationship
from eligibility.households import service
from eligibility.households.citizens import resolve_or_create_for_citizen
from eligibility.households.domain.binding import RegionUnknown
from eligibility.households.domain.errors import (
    DuplicateMember,
    HouseholdChanged,
    HouseholdNotFound,
    LastMemberCannotLeave,
    MemberNotFound,
    NoHouseholdForResident,
    ResidentInAnotherHousehold,
)
from eligibility.households.domain.model import ChangeReason, Household, LabourCapacity, LeaveReason, Member
from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from shared.types import CountyCode, NonEmptyStr, ResidentId, TownCode, business_date

router = APIRouter(prefix="/v1/eligibility", tags=["households"])

Reader = Annotated[Principal, requires("eligibility:applications:read")]
Handler = Annotated[Principal, requires("eligibility:procedure:act")]
Gateway = Annotated[Principal, requires("eligibility:households:resolve")]


class MemberRead(BaseModel):
    member_id: UUID
    name: str
    masked_id: str = Field(description="公民身份号码, masked")
    birth_date: date
    relationship: Relationship
    hukou_type: HukouType
    hukou_region_code: str | None
    residence_town_code: str | None
    separated_residence: bool = Field(description="人户分离: the 户籍 county differs from the household's")
    disability_category: DisabilityCategory | None
    disability_grade: int | None
    serious_illness: bool
    labour_capacity: LabourCapacity
    in_school: bool
    joined_on: date | None
    left_on: date | None
    leave_reason: LeaveReason | None


class HouseholdRead(BaseModel):
    household_id: UUID
    region_code: str
    town_code: str | None
    version: int
    members: list[MemberRead]
    former_members: list[MemberRead]


class VersionRead(BaseModel):
    version: int
    at: datetime
    by: str
    reason: ChangeReason
    summary: str


def household_read(record: Household) -> HouseholdRead:
    def member(m: Member) -> MemberRead:
        return MemberRead(
            member_id=m.member_id,
            name=m.name,
            masked_id=m.resident_id.masked(),
            birth_date=m.birth_date,
            relationship=m.relationship,
            hukou_type=m.hukou_type,
            hukou_region_code=m.hukou_region_code,
            residence_town_code=m.residence_town_code,
            separated_residence=m.separated_residence(record.region_code),
            disability_category=m.disability_category,
            disability_grade=m.disability_grade,
            serious_illness=m.serious_illness,
            labour_capacity=m.labour_capacity,
            in_school=m.in_school,
            joined_on=m.joined_on,
            left_on=m.left_on,
            leave_reason=m.leave_reason,
        )

    return HouseholdRead(
        household_id=record.household_id,
        region_code=record.region_code,
        town_code=record.town_code,
        version=record.version,
        members=[member(m) for m in record.members if m.current],
        former_members=[member(m) for m in record.members if not m.current],
    )


class MemberCreate(BaseModel):
    """A member joins the household (共同生活的家庭成员, DOMAIN-RULES §1.1)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "李小梅",
                    "resident_id": "520102201403150339",
                    "relationship": "child",
                    "hukou_type": "urban",
                    "hukou_region_code": "520102",
                    "in_school": True,
                }
            ]
        },
    )
    expected_version: int | None = Field(default=None, ge=0, le=1_000_000)
    name: NonEmptyStr = Field(max_length=100)
    resident_id: ResidentId
    relationship: Relationship
    hukou_type: HukouType = HukouType.URBAN
    hukou_region_code: CountyCode | None = None
    residence_town_code: TownCode | None = None
    disability_category: DisabilityCategory | None = None
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    serious_illness: bool = False
    labour_capacity: LabourCapacity = LabourCapacity.FULL
    in_school: bool = False


class MemberUpdate(BaseModel):
    """The facts of a member that change (every change versioned); only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"disability_category": "physical", "disability_grade": 2, "labour_capacity": "none"}]
        },
    )
    expected_version: int | None = Field(default=None, ge=0, le=1_000_000)
    name: NonEmptyStr | None = Field(default=None, max_length=100)
    relationship: Relationship | None = None
    hukou_type: HukouType | None = None
    hukou_region_code: CountyCode | None = None
    residence_town_code: TownCode | None = None
    disability_category: DisabilityCategory | None = None
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    serious_illness: bool | None = None
    labour_capacity: LabourCapacity | None = None
    in_school: bool | None = None

    def changes(self) -> dict[str, object]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if k != "expected_version"}


class MemberLeave(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "moved_out", "on": "2026-12-01"}]}
    )
    expected_version: int | None = Field(default=None, ge=0, le=1_000_000)
    reason: LeaveReason
    on: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))


class ResidentLookup(BaseModel):
    """Find a household by a member's resident ID (in the body: an ID never goes in a URL)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"resident_id": "520102198001011235"}]})
    resident_id: ResidentId


class CitizenBinding(BaseModel):
    """The gateway's real-name binding: a citizen whose name and resident ID it has checked."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "张三", "resident_id": "520102198001011235"}]}
    )
    name: NonEmptyStr = Field(max_length=50)
    resident_id: ResidentId


class CitizenHousehold(BaseModel):
    household_id: UUID


REFUSALS = (*PROTECTED, RegionNotAllowed, HouseholdNotFound, HouseholdChanged, RequestInvalid)


@router.get("/households/{household_id}", summary="A household record (members masked)", responses=refusals(*REFUSALS))
async def get_household(household_id: UUID, caller: Reader, session: ReadSessionDep) -> HouseholdRead:
    return household_read(await service.get(session, household_id, RegionScope.for_principal(caller)))


@router.post(
    "/households/search",
    summary="The household a person (by resident ID) currently belongs to, in your area",
    responses=refusals(*PROTECTED, NoHouseholdForResident, RequestInvalid),
)
async def find_household(body: ResidentLookup, caller: Reader, session: ReadSessionDep) -> HouseholdRead:
    """A POST so that the resident ID travels in the body, never in a URL or an access log."""
    return household_read(await service.find_by_resident(session, body.resident_id, RegionScope.for_principal(caller)))


@router.post(
    "/households/citizen-binding",
    summary="For the gateway only: the household of a citizen at real-name binding (made if none)",
    responses=refusals(*PROTECTED, RegionUnknown, RequestInvalid),
)
async def citizen_household(
    body: CitizenBinding, caller: Gateway, session: SessionDep, runtime: RuntimeDep
) -> CitizenHousehold:
    """The gateway calls this with its own short-lived service token once it has checked the
    citizen's name against the resident ID: the answer is the household a caseworker sees, the
    same id every time (a one-member household in the resident ID's county is made first when
    the person has none)."""
    household_id = await resolve_or_create_for_citizen(session, body.name, body.resident_id, now=runtime.now())
    return CitizenHousehold(household_id=household_id)


@router.get(
    "/households/{household_id}/versions",
    summary="Every change of a household record: who, when, why (IDs masked)",
    responses=refusals(*REFUSALS),
)
async def household_versions(household_id: UUID, caller: Reader, session: ReadSessionDep) -> list[VersionRead]:
    record = await service.get(session, household_id, RegionScope.for_principal(caller))
    return [
        VersionRead(version=v.version, at=v.at, by=v.by, reason=v.reason, summary=v.summary) for v in record.history
    ]


@router.post(
    "/households/{household_id}/members",
    summary="A member joins the household",
    responses=refusals(*REFUSALS, DuplicateMember, ResidentInAnotherHousehold),
)
async def add_member(
    household_id: UUID, body: MemberCreate, caller: Handler, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> HouseholdRead:
    now = runtime.now()
    member = Member(
        member_id=uuid4(),
        resident_id=body.resident_id,
        name=body.name,
        relationship=body.relationship,
        hukou_type=body.hukou_type,
        hukou_region_code=body.hukou_region_code,
        residence_town_code=body.residence_town_code,
        disability_category=body.disability_category,
        disability_grade=body.disability_grade,
        serious_illness=body.serious_illness,
        labour_capacity=body.labour_capacity,
        in_school=body.in_school,
        joined_on=business_date(now),
    )
    record = await service.add_member(
        session,
        household_id,
        member,
        RegionScope.for_principal(caller),
        expected_version=body.expected_version,
        by=caller.subject,
        now=now,
    )
    await audit.state_change(session, target_id=household_id, details={"action": "member_added"})
    return household_read(record)


@router.post(
    "/households/{household_id}/members/{member_id}/leave",
    summary="A member leaves the household (kept in its history)",
    responses=refusals(*REFUSALS, MemberNotFound, LastMemberCannotLeave),
)
async def member_leaves(
    household_id: UUID,
    member_id: UUID,
    body: MemberLeave,
    caller: Handler,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> HouseholdRead:
    record = await service.member_leaves(
        session,
        household_id,
        member_id,
        body.reason,
        body.on,
        RegionScope.for_principal(caller),
        expected_version=body.expected_version,
        by=caller.subject,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=household_id, details={"action": "member_left"})
    return household_read(record)


@router.patch(
    "/households/{household_id}/members/{member_id}",
    summary="A member's facts change (户籍, residence, disability, illness, labour capacity, school)",
    responses=refusals(*REFUSALS, MemberNotFound),
)
async def update_member(
    household_id: UUID,
    member_id: UUID,
    body: MemberUpdate,
    caller: Handler,
    session: SessionDep,
    runtime: RuntimeDep,
    audit: AuditDep,
) -> HouseholdRead:
    record = await service.update_member(
        session,
        household_id,
        member_id,
        body.changes(),
        RegionScope.for_principal(caller),
        expected_version=body.expected_version,
        by=caller.subject,
        now=runtime.now(),
    )
    await audit.state_change(session, target_id=household_id, details={"action": "member_updated"})
    return household_read(record)
