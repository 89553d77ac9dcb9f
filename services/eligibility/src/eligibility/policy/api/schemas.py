"""Response models for policies."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from eligibility.policy.domain.model import PolicyVersion


class PolicyVersionSummary(BaseModel):
    policy_set: str
    version: str
    effective_from: date
    title: str
    illustrative: bool


class PolicyVersionRead(PolicyVersionSummary):
    parameters: dict[str, dict[str, str | None]]


def policy_version_read(policy_set: str, v: PolicyVersion, *, full: bool) -> PolicyVersionSummary:
    summary_fields = {
        "policy_set": policy_set,
        "version": v.version,
        "effective_from": v.effective_from,
        "title": v.title,
        "illustrative": v.is_illustrative,
    }
    if not full:
        return PolicyVersionSummary(**summary_fields)
    parameters = {
        name: {"value": str(p.value), "unit": p.unit, "source": p.source, "note": p.note}
        for name, p in sorted(v.parameters.items())
    }
    return PolicyVersionRead(**summary_fields, parameters=parameters)
