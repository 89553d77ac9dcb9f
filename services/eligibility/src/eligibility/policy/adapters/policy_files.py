"""Policy sets stored as YAML files in the repository (`services/eligibility/policies/`),
validated by the domain's Pydantic models on load."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from eligibility.policy.domain.model import PolicyBook, PolicySet

POLICY_DIR = Path(__file__).resolve().parents[4] / "policies"
DEFAULT_POLICY_SET = "guiyang-demo"


def load_policy_set(path: Path) -> PolicySet:
    with path.open(encoding="utf-8") as handle:
        return PolicySet.model_validate(yaml.safe_load(handle))


@cache
def policy_book(name: str = DEFAULT_POLICY_SET) -> PolicyBook:
    """The named policy set (read once, on first use; never at import)."""
    return PolicyBook(load_policy_set(POLICY_DIR / f"{name}.yaml"))
