"""The correlation id of the work in progress (a request or a consumed event)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import uuid4

REQUEST_ID_HEADER = "X-Request-ID"

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_service: ContextVar[str | None] = ContextVar("service", default=None)


def get_service() -> str | None:
    """The service doing the current work (several share a process in embedded mode)."""
    return _service.get()


@contextmanager
def service_scope(service: str) -> Iterator[str]:
    token = _service.set(service)
    try:
        yield service
    finally:
        _service.reset(token)


def get_correlation_id() -> str | None:
    return _correlation_id.get()


def new_correlation_id() -> str:
    return uuid4().hex


@contextmanager
def correlation_scope(correlation_id: str) -> Iterator[str]:
    token = _correlation_id.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _correlation_id.reset(token)
