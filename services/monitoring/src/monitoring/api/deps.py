"""Dependency aliases for the monitoring routes."""

from __future__ import annotations

from jiuzhu_platform.deps import RuntimeDep, SessionDep

__all__ = ["RuntimeDep", "SessionDep"]
