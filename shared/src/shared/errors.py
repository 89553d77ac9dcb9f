"""The one error body every service and the gateway return (ARCHITECTURE: one error shape)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """`{"error", "reason", "detail", "message_zh", "correlation_id"}`.

    - `error`: the kind of error, a stable machine name (the domain error's class name,
      `RequestValidationError`, `UpstreamUnavailable`, ...).
    - `reason`: the stable machine-readable code a client branches on (`region_not_allowed`,
      `token_expired`, `request_invalid`, ...); documented per route in the OpenAPI responses.
    - `detail`: a human message, or for request validation (422) the list of field errors.
    - `message_zh`: the same message in zh-CN where one exists (user-facing text is bilingual).
    - `correlation_id`: the request id that is also in the logs and in the events caused.
    """

    model_config = ConfigDict(extra="forbid")

    error: str
    reason: str
    detail: str | list[dict[str, Any]]
    message_zh: str | None = Field(default=None)
    correlation_id: str | None = None
