"""Who is in the household unit (§1.1), 单人户 (§2.2) and what a disability means for the
rules (pure). See `rules` for the decisions taken where the sources are silent."""

from __future__ import annotations

from datetime import date

from eligibility.assessment.domain.model import (
    EXCLUSION_STATUSES,
    DisabilityCategory,
    HouseholdFacts,
    IncomeCategory,
    MemberFacts,
    Relationship,
)
from shared.types import age_in_years

ALWAYS_IN_UNIT = frozenset({Relationship.SELF, Relationship.SPOUSE})


WITH_CO_RESIDENCE = frozenset(
    {
        Relationship.PARENT,
        Relationship.GRANDPARENT,
        Relationship.GRANDCHILD,
        Relationship.SIBLING,
        Relationship.PARENT_IN_LAW,
        Relationship.CHILD_IN_LAW,
    }
)


MIND = frozenset({DisabilityCategory.INTELLECTUAL, DisabilityCategory.MENTAL})
"""智力 and 精神: disability kinds with their own, wider grade limits."""


def household_unit(facts: HouseholdFacts, day: date) -> tuple[list[MemberFacts], list[tuple[str, str]]]:
    """共同生活的家庭成员 (§1.1): who counts, and why each other person does not."""
    included: list[MemberFacts] = []
    excluded: list[tuple[str, str]] = []
    for m in facts.members:
        if m.status in EXCLUSION_STATUSES:
            excluded.append((m.member_id, m.status))
            continue
        relation = m.relationship
        if relation in ALWAYS_IN_UNIT:
            included.append(m)
        elif relation == Relationship.CHILD:
            minor = age_in_years(m.birth_date, day) < 18
            if minor or m.in_full_time_education or not m.able_to_live_independently or m.co_resident:
                included.append(m)
            else:
                excluded.append((m.member_id, "adult_child_living_apart"))
        elif relation in WITH_CO_RESIDENCE:
            if m.co_resident:
                included.append(m)
            else:
                excluded.append((m.member_id, "not_co_resident"))
        else:
            excluded.append((m.member_id, "no_support_relationship"))
    return included, excluded


def is_severely_disabled(m: MemberFacts) -> bool:
    """重度残疾 for 分类施保 and 单人户: grade 1–2 of any kind, or grade 3 intellectual/mental."""
    grade = m.disability_grade
    if grade is None:
        return False
    return grade <= 2 or (grade == 3 and m.disability_category in MIND)


def disability_means_no_labour_capacity(m: MemberFacts) -> bool:
    """特困 无劳动能力 by disability (§3.1): 智力/精神 1–3, 肢体 1–2, 视力 1."""
    grade, category = m.disability_grade, m.disability_category
    if grade is None:
        return False
    if category in MIND:
        return grade <= 3
    if category == DisabilityCategory.PHYSICAL:
        return grade <= 2
    if category == DisabilityCategory.VISUAL:
        return grade == 1
    if category == DisabilityCategory.MULTIPLE:
        return grade <= 2
    return False


def single_person_allowed(m: MemberFacts, day: date, months: int) -> bool:
    """单人户 (§2.2, S6): an adult without work (no wage in the look-back window) who is
    severely disabled."""
    adult = age_in_years(m.birth_date, day) >= 18
    has_wage = any(category == IncomeCategory.WAGE and any(monthly[-months:]) for category, monthly in m.incomes)
    return adult and not has_wage and is_severely_disabled(m)
