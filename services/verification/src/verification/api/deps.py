"""Dependency aliases for the verification routes."""

from __future__ import annotations

from jiuzhu_platform.deps import CorrelationIdDep, ReadSessionDep, RuntimeDep, SessionDep

__all__ = ["CorrelationIdDep", "ReadSessionDep", "RuntimeDep", "SessionDep"]
