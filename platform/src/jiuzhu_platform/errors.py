"""Domain errors: the refusals and failures a use case can answer with, as data.

Pure (no web framework): `domain/` modules of every service import these bases, and
`jiuzhu_platform.http_errors` renders them once as `shared.errors.ErrorBody` with real
status codes. Services raise typed subclasses (`ApplicationNotFound(NotFound)`); routes never
raise `HTTPException`.

Every error carries
- `reason`: a stable machine-readable code (`region_not_allowed`, `token_expired`, …): what a
  client branches on and what tests assert. A class states its own (`reason = "…"`); a class
  that does not gets its name in snake_case (`ApplicationNotFound` → `application_not_found`).
  One class may carry several reasons (`Unauthorized` has one per `AuthFailure`): pass
  `reason=` to the constructor;
- `detail`: the English message for people, never parsed;
- `message_zh`: the same for people in zh-CN.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    reason: str = "bad_request"
    """The stable code; the class's own unless the constructor was given one."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "reason" not in cls.__dict__:
            cls.reason = snake_case(cls.__name__)

    def __init__(
        self,
        detail: str,
        *,
        message_zh: str | None = None,
        reason: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`errors`: field-level problems (`loc`, `msg`, `type`), rendered as the body's detail;
        `headers`: response headers such as `Retry-After`."""
        super().__init__(detail)
        self.detail = detail
        self.message_zh = message_zh
        if reason is not None:
            self.reason = reason
        self.errors = errors
        self.headers = headers


class BadRequest(DomainError):
    status_code = 400
    reason = "bad_request"


class Unauthenticated(DomainError):
    """401: no usable credentials."""

    status_code = 401
    reason = "unauthenticated"


class Forbidden(DomainError):
    status_code = 403
    reason = "forbidden"


class NotFound(DomainError):
    status_code = 404
    reason = "not_found"


class Conflict(DomainError):
    status_code = 409
    reason = "conflict"


class RequestInvalid(DomainError):
    """422: the request does not fit the operation's schema (field errors in `detail`). Raised
    by the framework's request validation; named here so routes can document it."""

    status_code = 422
    reason = "request_invalid"


class Unavailable(DomainError):
    """503: a dependency the answer needs cannot be reached now; try again later."""

    status_code = 503
    reason = "unavailable"
