"""Procurement domain errors."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import Conflict, NotFound


class ProviderNotFound(NotFound):
    def __init__(self, provider_id: UUID) -> None:
        super().__init__(f"provider {provider_id} not found", message_zh=f"未找到承接主体 {provider_id}")


class ProviderExists(Conflict):
    def __init__(self, credit_code: str, existing_id: UUID) -> None:
        super().__init__(
            f"a provider with credit code {credit_code} is already registered: {existing_id}",
            message_zh=f"统一社会信用代码 {credit_code} 已登记: {existing_id}",
        )
