"""Rendering errors over HTTP: every domain error, request-validation error, HTTP error and
unexpected exception becomes one `shared.errors.ErrorBody` with its status code.

`register_exception_handlers(app)` installs the handlers; `refusals(...)` documents on a route
which errors it can answer with (status, reason codes), derived from the error classes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jiuzhu_platform.context import get_correlation_id
from jiuzhu_platform.errors import DomainError, RequestInvalid, snake_case
from shared.errors import ErrorBody

logger = logging.getLogger(__name__)


HTTP_MESSAGES_ZH = {404: "未找到请求的路径", 405: "不支持该请求方法", 413: "请求体过大"}
"""Chinese messages of the router's own errors (no route, wrong method, body too large)."""


def error_response(
    status_code: int,
    error: str,
    detail: str | list[dict[str, Any]],
    *,
    reason: str,
    message_zh: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(
        error=error, reason=reason, detail=detail, message_zh=message_zh, correlation_id=get_correlation_id()
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status_code, headers=dict(headers) if headers else None
    )


def internal_error_response() -> JSONResponse:
    """A 500 that says nothing about the internals (they are in the log, with the same id)."""
    return error_response(500, "InternalError", "internal error", reason="internal_error", message_zh="系统内部错误")


def _jsonable_errors(errors: Any) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        item = {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))}
        out.append(item)  # `input` is left out on purpose: it may hold personal data
    return out


def domain_error_response(exc: DomainError) -> JSONResponse:
    """A domain error in the common error shape, with its status code and headers."""
    return error_response(
        exc.status_code,
        type(exc).__name__,
        exc.errors or exc.detail,
        reason=exc.reason,
        message_zh=exc.message_zh,
        headers=exc.headers,
    )


def register_exception_handlers(app: FastAPI) -> None:
    async def domain_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return domain_error_response(exc)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(
            422,
            "RequestValidationError",
            _jsonable_errors(exc.errors()),
            reason=RequestInvalid.reason,
            message_zh="请求参数校验失败",
        )

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        names = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
        error = names.get(exc.status_code, "HTTPError")
        return error_response(
            exc.status_code,
            error,
            str(exc.detail),
            reason=snake_case(error),
            message_zh=HTTP_MESSAGES_ZH.get(exc.status_code),
            headers=exc.headers,
        )

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return internal_error_response()

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def refusals(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that can answer with `errors`: one entry per status,
    the common error body, and a description listing the reason codes. A class whose reason
    varies per instance lists them in `reasons` (`Unauthorized`: one per `AuthFailure`)."""
    codes: dict[int, set[str]] = defaultdict(set)
    for error in errors:
        codes[error.status_code].update(getattr(error, "reasons", (error.reason,)))
    return {
        status: {"model": ErrorBody, "description": "`reason`: " + ", ".join(f"`{c}`" for c in sorted(found))}
        for status, found in sorted(codes.items())
    }
