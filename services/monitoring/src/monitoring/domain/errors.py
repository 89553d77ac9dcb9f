"""Monitoring domain errors."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import NotFound


class HouseholdNotInRegister(NotFound):
    def __init__(self, household_id: UUID) -> None:
        super().__init__(
            f"household {household_id} is not in the monitoring register",
            message_zh=f"家庭 {household_id} 不在监测名册中",
        )
