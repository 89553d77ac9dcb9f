"""The household rules (pure, no database): each change gives the new record and its version
record; illegal changes are refused with a typed error carrying its reason code; version
summaries name people by masked ID only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from eligibility.assessment.domain.model import HukouType, Relationship
from eligibility.households.domain import rules
from eligibility.households.domain.model import ChangeReason, Household, LabourCapacity, LeaveReason, Member
from eligibility.testing import COUNTY, TOWN, resident
from jiuzhu_platform.errors import Conflict, DomainError, NotFound
from shared.types import ResidentId
from shared.types.resident_id import Sex

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
MOTHER = ResidentId(resident("52010219800101302"))  # sequence digit 2: female
CHILD = ResidentId(resident("52010220140315301"))  # sequence digit 1: male
GRANDMOTHER = ResidentId(resident("52011219500601102"))  # 户籍 in 520112


def member(resident_id: ResidentId, relationship: Relationship = Relationship.SELF, **facts: Any) -> Member:
    return Member(
        member_id=uuid4(),
        resident_id=resident_id,
        name="李梅",
        relationship=relationship,
        hukou_type=HukouType.URBAN,
        joined_on=AT.date(),
        **facts,
    )


def household(*others: Member) -> Household:
    record = rules.create(uuid4(), COUNTY, TOWN, member(MOTHER), by="li.na", at=AT)
    for other in others:
        record = rules.add_member(record, other, by="li.na", at=AT)
    return record


def summaries(record: Household) -> str:
    return " | ".join(v.summary for v in record.history)


class TestCreate:
    def test_a_new_household_is_version_one_with_its_creation_recorded(self) -> None:
        record = household()

        assert record.version == 1
        assert [(v.version, v.reason, v.by, v.at) for v in record.history] == [(1, ChangeReason.CREATED, "li.na", AT)]
        assert MOTHER.masked() in record.history[0].summary
        assert MOTHER.value not in summaries(record)

    def test_birth_date_and_sex_are_read_from_the_resident_id(self) -> None:
        (first,) = household().members

        assert first.birth_date == date(1980, 1, 1)
        assert first.resident_id.sex is Sex.FEMALE
        assert CHILD.sex is Sex.MALE


class TestChanges:
    def test_each_change_is_a_new_version_with_who_when_and_why(self) -> None:
        child = member(CHILD, Relationship.CHILD, in_school=True)
        later = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

        record = household(child)
        record = rules.update_member(
            record, child.member_id, {"labour_capacity": LabourCapacity.NONE}, by="wang.fang", at=later
        )
        record = rules.member_leaves(
            record, child.member_id, LeaveReason.MOVED_OUT, date(2026, 11, 21), by="wang.fang", at=later
        )

        assert record.version == 4
        assert [(v.version, v.reason, v.by) for v in record.history] == [
            (1, ChangeReason.CREATED, "li.na"),
            (2, ChangeReason.MEMBER_ADDED, "li.na"),
            (3, ChangeReason.MEMBER_UPDATED, "wang.fang"),
            (4, ChangeReason.MEMBER_LEFT, "wang.fang"),
        ]
        assert "labour_capacity" in record.history[2].summary
        assert CHILD.value not in summaries(record)
        assert MOTHER.value not in summaries(record)

    def test_a_member_who_leaves_is_kept_with_the_date_and_reason(self) -> None:
        child = member(CHILD, Relationship.CHILD)

        record = rules.member_leaves(
            household(child), child.member_id, LeaveReason.MARRIED_OUT, date(2026, 11, 21), by="li.na", at=AT
        )

        (gone,) = (m for m in record.members if m.member_id == child.member_id)
        assert (gone.current, gone.left_on, gone.leave_reason) == (False, date(2026, 11, 21), LeaveReason.MARRIED_OUT)
        assert [m.resident_id for m in record.current_members] == [MOTHER]

    def test_a_person_who_left_may_join_again(self) -> None:
        child = member(CHILD, Relationship.CHILD)
        record = rules.member_leaves(
            household(child), child.member_id, LeaveReason.MOVED_OUT, date(2026, 11, 21), by="li.na", at=AT
        )

        back = rules.add_member(record, member(CHILD, Relationship.CHILD), by="li.na", at=AT)

        assert [m.resident_id for m in back.current_members] == [MOTHER, CHILD]
        assert len(back.members) == 3  # the earlier membership is kept

    def test_the_rules_do_not_change_the_record_they_were_given(self) -> None:
        record = household()

        rules.add_member(record, member(CHILD, Relationship.CHILD), by="li.na", at=AT)

        assert (record.version, len(record.members), len(record.history)) == (1, 1, 1)


class TestSeparatedResidence:
    """人户分离 (DOMAIN-RULES §2.2): the member's 户籍 county differs from where the household lives."""

    @pytest.mark.parametrize(
        ("hukou_region_code", "separated"),
        [
            pytest.param(None, False, id="hukou-unknown"),
            pytest.param(COUNTY, False, id="same-county"),
            pytest.param("520112", True, id="other-county"),
        ],
    )
    def test_separated_when_the_hukou_county_differs(self, hukou_region_code: str | None, separated: bool) -> None:
        grandmother = member(GRANDMOTHER, Relationship.GRANDPARENT, hukou_region_code=hukou_region_code)

        assert grandmother.separated_residence(COUNTY) is separated


@dataclass(frozen=True)
class Refusal:
    change: Callable[[Household, Member], Household]
    error: type[DomainError]
    reason: str


UNKNOWN = UUID(int=0)
REFUSALS = {
    "the same person twice": Refusal(
        lambda r, _: rules.add_member(r, member(MOTHER, Relationship.OTHER), by="li.na", at=AT),
        Conflict,
        "duplicate_member",
    ),
    "update an unknown member": Refusal(
        lambda r, _: rules.update_member(r, UNKNOWN, {"in_school": True}, by="li.na", at=AT),
        NotFound,
        "member_not_found",
    ),
    "update a member who left": Refusal(
        lambda r, child: rules.update_member(
            rules.member_leaves(r, child.member_id, LeaveReason.DEATH, AT.date(), by="li.na", at=AT),
            child.member_id,
            {"in_school": False},
            by="li.na",
            at=AT,
        ),
        NotFound,
        "member_not_found",
    ),
    "an unknown member leaves": Refusal(
        lambda r, _: rules.member_leaves(r, UNKNOWN, LeaveReason.OTHER, AT.date(), by="li.na", at=AT),
        NotFound,
        "member_not_found",
    ),
    "a member leaves twice": Refusal(
        lambda r, child: rules.member_leaves(
            rules.member_leaves(r, child.member_id, LeaveReason.DEATH, AT.date(), by="li.na", at=AT),
            child.member_id,
            LeaveReason.DEATH,
            AT.date(),
            by="li.na",
            at=AT,
        ),
        NotFound,
        "member_not_found",
    ),
    "the last current member leaves": Refusal(
        lambda r, child: rules.member_leaves(
            rules.member_leaves(r, child.member_id, LeaveReason.MOVED_OUT, AT.date(), by="li.na", at=AT),
            r.members[0].member_id,
            LeaveReason.DEATH,
            AT.date(),
            by="li.na",
            at=AT,
        ),
        Conflict,
        "last_member_cannot_leave",
    ),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_illegal_changes_are_refused_with_their_reason(case: Refusal) -> None:
    child = member(CHILD, Relationship.CHILD)
    record = household(child)

    with pytest.raises(case.error) as refused:
        case.change(record, child)

    assert refused.value.reason == case.reason
    assert refused.value.message_zh  # every refusal speaks zh-CN too
    assert MOTHER.value not in refused.value.detail
    assert CHILD.value not in refused.value.detail
