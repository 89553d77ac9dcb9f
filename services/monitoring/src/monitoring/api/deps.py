"""Dependency aliases for the monitoring routes."""

from __future__ import annotations

from jiuzhu_platform.deps import ReadSessionDep, RuntimeDep, SessionDep

__all__ = ["ReadSessionDep", "RuntimeDep", "SessionDep"]
