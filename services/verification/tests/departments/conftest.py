"""Fixtures of the department tests: valid resident IDs, queries, and the simulator reached
through `httpx.ASGITransport` (in process, no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date
from uuid import uuid4

import httpx
import pytest

from shared.types.resident_id import resident_id_check_digit
from verification.departments.connectors import build_connectors, simulator_urls
from verification.departments.domain.model import PersonQuery, Source, SourceConnector
from verification.departments.simulator import create_simulator_app

SIMULATOR_URL = "http://departments.test"
PERIOD_START = date(2025, 3, 1)
PERIOD_END = date(2026, 2, 28)

Connectors = dict[Source, SourceConnector]
ConnectorsFactory = Callable[..., AbstractAsyncContextManager[Connectors]]


def resident_id(n: int) -> str:
    """A valid 18-character 公民身份号码 (南明区), distinct for n in 0..99_999, born 1941..1990."""
    body = f"520102{1941 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}{n // 50 % 1000:03d}"
    return body + resident_id_check_digit(body)


def query(rid: str, *, start: date = PERIOD_START, end: date = PERIOD_END) -> PersonQuery:
    return PersonQuery(query_id=uuid4(), resident_id=rid, name="王某", period_start=start, period_end=end)


@asynccontextmanager
async def simulated_connectors(*, timeout: float = 5.0, **simulator_options: object) -> AsyncIterator[Connectors]:
    """The twelve connectors on a fresh in-process simulator made with `simulator_options`."""
    app = create_simulator_app(**simulator_options)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        yield build_connectors(simulator_urls(SIMULATOR_URL), client=client)


@pytest.fixture
def connectors_for() -> ConnectorsFactory:
    return simulated_connectors


@pytest.fixture
def make_id() -> Callable[[int], str]:
    return resident_id


@pytest.fixture
def make_query() -> Callable[..., PersonQuery]:
    return query
