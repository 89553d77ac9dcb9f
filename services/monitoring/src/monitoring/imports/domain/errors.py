"""Errors of list imports (4xx in the common shape, zh-CN and English)."""

from __future__ import annotations

from uuid import UUID

from jiuzhu_platform.errors import DomainError, NotFound


class ImportNotFound(NotFound):
    reason = "import_not_found"

    def __init__(self, import_id: UUID) -> None:
        super().__init__(f"list import {import_id} not found", message_zh=f"未找到名单导入批次 {import_id}")


class ListRefused(DomainError):
    """422: the list as a whole cannot be read. Reasons: `list_header` (a column missing),
    `list_encoding` (not UTF-8), `list_too_large`. Rows that fail alone are reported in the
    import, not refused."""

    status_code = 422
    reason = "list_header"

    def __init__(self, reason: str, detail: str, message_zh: str) -> None:
        super().__init__(detail, message_zh=message_zh, reason=reason)
