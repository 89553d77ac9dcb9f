"""Errors of proactive discovery (4xx in the common shape, zh-CN and English)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import NotFound


class DiscoveryNotFound(NotFound):
    reason = "discovery_not_found"

    def __init__(self, discovery_id: UUID) -> None:
        super().__init__(f"discovery report {discovery_id} not found", message_zh=f"未找到主动发现记录 {discovery_id}")
