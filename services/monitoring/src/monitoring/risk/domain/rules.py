"""Pure rules of the risk recompute: a household's score from its inputs, with the warning rules
that raise alerts (`monitoring.warnings.domain.rules.score`), so the recomputed score and the
alert a signal raises never disagree."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from itertools import groupby
from typing import Any
from uuid import UUID

from monitoring.risk.domain.model import HouseholdInputs, HouseholdRisk
from monitoring.warnings.domain import rules as warning_rules
from monitoring.warnings.domain.model import RuleSet, Signal

NO_NOTICE = UUID(int=0)
"""The notice id of the signals rebuilt from the latest day per kind (the score needs no id)."""


def window_start(ruleset: RuleSet, today: date) -> date:
    """The earliest signal any rule still weighs today."""
    return today - timedelta(days=ruleset.window_days)


def risk(inputs: HouseholdInputs, today: date, ruleset: RuleSet) -> HouseholdRisk | None:
    """The household's highest score over the rules watching its categories (ties: the rule
    listed first), or None when no rule scores it."""
    signals = [Signal(NO_NOTICE, inputs.household_id, "", kind, on) for kind, on in inputs.latest.items()]
    best: HouseholdRisk | None = None
    for rule in ruleset.rules:
        if not rule.categories & inputs.categories:
            continue
        total, reasons = warning_rules.score(rule, signals, today)
        if total > 0 and (best is None or total > best.score):
            best = HouseholdRisk(
                household_id=inputs.household_id,
                region_code=inputs.region_code,
                town_code=inputs.town_code,
                score=total,
                rule=rule.code,
                level=rule.level,
                reasons=reasons,
                reached=total >= rule.threshold,
                rules_version=ruleset.version,
                computed_on=today,
            )
    return best


def households(rows: Iterable[Any]) -> Iterator[HouseholdInputs]:
    """Rows of (household, category, county, town, kind, latest day), ordered by household,
    folded into one `HouseholdInputs` each (the place of its first row)."""
    for household_id, group in groupby(rows, key=lambda r: r[0]):
        first, *rest = list(group)
        categories = {first[1]}
        latest = {first[4]: first[5]}
        for row in rest:
            categories.add(row[1])
            if row[4] not in latest or row[5] > latest[row[4]]:
                latest[row[4]] = row[5]
        yield HouseholdInputs(household_id, first[2], first[3], frozenset(categories), latest)
