"""Pure rules of proactive discovery: a report becomes a task (an alert of the town)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from monitoring.discovery.domain.model import Discovery
from monitoring.warnings.domain.model import Alert
from shared.events.monitoring import RiskLevel

DISCOVERY_RULE = "discovery.reported"
DUE_DAYS = 7
"""The town visits, verifies and helps the household apply within a week (then the task
escalates to the county like any alert)."""


def task_of(discovery: Discovery, *, today: date, household_id: UUID, version: str) -> Alert:
    """The town's task for a report: visit, verify, help the household apply. Until the
    household is known, the task's household id is the report's own id. `version`: the warning
    rules in force (recorded on every alert)."""
    return Alert(
        alert_id=discovery.alert_id,
        household_id=household_id,
        rule=DISCOVERY_RULE,
        rules_version=version,
        level=RiskLevel.MEDIUM,
        score=0,
        reasons=tuple(f"reported: {h.value}" for h in discovery.hardships),
        region_code=discovery.region_code,
        town_code=discovery.town_code,
        raised_on=today,
        due_on=today + timedelta(days=DUE_DAYS),
    )
