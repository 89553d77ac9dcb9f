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


# --- the statuses every operation can answer with, documented once for all -----------------------

ERROR_BODY_REF = "#/components/schemas/ErrorBody"

COMMON_STATUSES: dict[int, str] = {
    400: "Malformed request (`reason`: `bad_request`, `invalid_request`, ...)",
    401: "No valid token or credentials (`reason`: `token_missing`, `token_expired`, `invalid_credentials`, ...)",
    403: "Authenticated but not allowed (`reason`: `scope_missing`, `region_not_allowed`, ...)",
    404: "No such record, or not in the caller's area (`reason`: `not_found` or a record's own code)",
    413: "Request body over the size limit (`reason`: `payload_too_large`)",
    422: "Request validation failed (`reason`: `request_invalid`; `detail` lists the fields) or a rule refused "
    "the input",
    429: "Too many requests (`reason`: `rate_limited`; `Retry-After` says when to try again)",
}
"""What an operation can answer besides its own codes, whatever its route declares: the edge's
validation, authentication, scoping and size and rate limits (see `document_common_errors`)."""

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def document_common_errors(document: dict[str, Any], *, behind_gateway: bool = False) -> dict[str, Any]:
    """Add to every operation of an OpenAPI `document` (in place; returned) the error statuses
    the platform itself can answer with, each with the common `ErrorBody`:

    - 422 on any operation that takes parameters or a body, and FastAPI's default 422 schema
      (`HTTPValidationError`) replaced by `ErrorBody` (whose `detail` is the field list or a
      message), so the document describes the body really sent;
    - 401 and 403 on every `/v1/` operation not published as public (`x-jiuzhu-public`);
    - 404 on every operation with a path parameter (unknown or out-of-area record);
    - 400 and 413 on every operation with a request body;
    - `behind_gateway` (the gateway's merged document): 429 on every `/v1/` operation (the
      gateway's rate limits) and 400 on every proxied one (a path it refuses to forward).

    Statuses a route declares itself (`refusals(...)`) keep their own description."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorBody" not in components:
        components["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for path, item in document.get("paths", {}).items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                _document_operation(path, operation, behind_gateway=behind_gateway)
    return document


def _document_operation(path: str, operation: dict[str, Any], *, behind_gateway: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    api = path.startswith("/v1/")
    has_body = "requestBody" in operation
    statuses: set[int] = set()
    if operation.get("parameters") or has_body or "{" in path:
        statuses.add(422)
    if api and operation.get("x-jiuzhu-public") is not True:
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if has_body:
        statuses |= {400, 413}
    if behind_gateway and api:
        statuses |= {400, 429}
    for status in sorted(statuses):
        responses.setdefault(str(status), {"description": COMMON_STATUSES[status]})
    for code, response in responses.items():
        if not (isinstance(response, dict) and str(code)[:1] in ("4", "5")):
            continue
        content = response.setdefault("content", {}).setdefault("application/json", {})
        schema = content.get("schema")
        if schema is None or (isinstance(schema, dict) and "HTTPValidationError" in str(schema.get("$ref", ""))):
            content["schema"] = {"$ref": ERROR_BODY_REF}
