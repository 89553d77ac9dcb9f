"""The warning rules as a YAML file in the repository (`services/monitoring/rules/`), validated on
load, read once on first use (never at import)."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitoring.warnings.domain import rules
from monitoring.warnings.domain.model import RuleSet, WarningRule
from shared.events.monitoring import RiskLevel

RULES_FILE = Path(__file__).resolve().parents[4] / "rules" / "warning-rules.yaml"


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)+$", max_length=80)
    weights: dict[str, int] = Field(min_length=1)
    threshold: int = Field(gt=0)
    categories: list[str] = Field(min_length=1)
    level: Literal["low", "medium", "high"]
    window_days: int = Field(default=90, gt=0, le=366)
    due_days: int = Field(default=7, gt=0, le=60)


class _Version(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=20)
    effective_from: date
    title: str
    rules: list[_Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_unique(self) -> _Version:
        codes = [r.code for r in self.rules]
        if len(codes) != len(set(codes)):
            raise ValueError(f"version {self.version}: a rule code appears twice")
        return self


class _Book(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    versions: list[_Version] = Field(min_length=1)


def load_rule_sets(path: Path = RULES_FILE) -> tuple[RuleSet, ...]:
    """The versions of the file, oldest first; a malformed file or versions out of order (by
    date, or a version named twice) is refused (ValueError)."""
    with path.open(encoding="utf-8") as handle:
        book = _Book.model_validate(yaml.safe_load(handle))
    sets = tuple(
        RuleSet(
            version=v.version,
            effective_from=v.effective_from,
            rules=tuple(
                WarningRule(
                    code=r.code,
                    weights=dict(r.weights),
                    threshold=r.threshold,
                    categories=frozenset(r.categories),
                    level=RiskLevel(r.level),
                    window_days=r.window_days,
                    due_days=r.due_days,
                )
                for r in v.rules
            ),
        )
        for v in book.versions
    )
    rules.check_versions(sets)
    return sets


@cache
def rule_sets() -> tuple[RuleSet, ...]:
    """The repository's warning rules (read once, on first use)."""
    return load_rule_sets()


def rules_in_force(day: date) -> RuleSet:
    """The version of the warning rules in force on `day`."""
    return rules.in_force(rule_sets(), day)
