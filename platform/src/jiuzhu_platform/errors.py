"""Domain error bases, rendered once as `shared.errors.ErrorBody` with real status codes.

Services raise subclasses (`ApplicationNotFound(NotFound)`); routes never raise
`HTTPException`. Each error carries an English and a zh-CN message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jiuzhu_platform.context import get_correlation_id
from shared.errors import ErrorBody

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = 400

    def __init__(
        self,
        detail: str,
        *,
        message_zh: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`errors`: field-level problems (`loc`, `msg`, `type`), rendered as the body's detail;
        `headers`: response headers such as `Retry-After`."""
        super().__init__(detail)
        self.detail = detail
        self.message_zh = message_zh
        self.errors = errors
        self.headers = headers


class BadRequest(DomainError):
    status_code = 400


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


def error_response(
    status_code: int,
    error: str,
    detail: str | list[dict[str, Any]],
    *,
    message_zh: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=error, detail=detail, message_zh=message_zh, correlation_id=get_correlation_id())
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status_code, headers=dict(headers) if headers else None
    )


def internal_error_response() -> JSONResponse:
    """A 500 that says nothing about the internals (they are in the log, with the same id)."""
    return error_response(500, "InternalError", "internal error", message_zh="系统内部错误")


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
            422, "RequestValidationError", _jsonable_errors(exc.errors()), message_zh="请求参数校验失败"
        )

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        names = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}
        return error_response(
            exc.status_code, names.get(exc.status_code, "HTTPError"), str(exc.detail), headers=exc.headers
        )

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return internal_error_response()

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
