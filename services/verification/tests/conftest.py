"""Fixtures of the verification tests (with `h` and `tier_h` from services/conftest.py)."""

from __future__ import annotations

import pytest

from jiuzhu_platform.definition import ServiceDefinition
from verification.main import DEFINITION


@pytest.fixture(scope="session")
def definition() -> ServiceDefinition:
    return DEFINITION
