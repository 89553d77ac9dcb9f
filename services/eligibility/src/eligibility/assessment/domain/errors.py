"""Assessment errors: a description that cannot be assessed as given (422)."""

from __future__ import annotations

from jiuzhu_platform.errors import DomainError


class InconsistentHousehold(DomainError):
    """The description cannot be assessed as given (422 with field-level errors)."""

    status_code = 422

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str, str]]) -> None:
        errors = [{"loc": ["body", *loc], "msg": msg, "type": kind} for loc, msg, kind in problems]
        super().__init__("; ".join(p[1] for p in problems), message_zh="家庭信息不一致，无法认定", errors=errors)
