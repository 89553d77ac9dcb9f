"""Eligibility domain errors (rendered as ErrorBody by the platform)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import NotFound


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: UUID) -> None:
        super().__init__(f"application {application_id} not found", message_zh=f"未找到申请 {application_id}")
