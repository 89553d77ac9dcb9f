"""Structured JSON logs carrying the service name and the correlation id, with personal
numbers (resident IDs, phones, bank accounts) masked by `RedactionFilter`.

`configure_logging` is called by the process entry points (CLI), never at import.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from jiuzhu_platform.context import get_correlation_id, get_service
from jiuzhu_platform.redaction import RedactionFilter


class ContextFilter(logging.Filter):
    """Adds `correlation_id` (from the context) and `service` to every record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "correlation_id"):
            record.correlation_id = get_correlation_id()
        if not hasattr(record, "service"):
            record.service = get_service() or self.service
        return True


def json_handler(service: str, stream: Any = None) -> logging.Handler:
    """A handler writing one JSON object per line, with `service` and `correlation_id`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{correlation_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(ContextFilter(service))
    handler.addFilter(RedactionFilter())  # resident IDs, phones and bank numbers never reach a log
    return handler


def configure_logging(service: str, level: str = "INFO", stream: Any = None) -> None:
    handler = json_handler(service, stream)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka", "sqlalchemy.engine", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = True  # the request middleware logs requests
