"""FastAPI dependencies every service shares, as `Annotated` aliases that routes import from
here: `SessionDep`, `ReadSessionDep`, `RuntimeDep`, `CorrelationIdDep` (the caller's
`Principal` comes from `jiuzhu_platform.auth.requires`, the audit trail from
`jiuzhu_platform.access.AuditDep`). A service adds its own `api/deps.py` only for aliases of its
own (`<Port>Dep`), not to re-export these."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.context import get_correlation_id, new_correlation_id
from jiuzhu_platform.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit after the endpoint returns, roll back on error."""
    async with runtime.database.transaction() as session:
        yield session


# scope="function": commit right after the endpoint returns, BEFORE the response is sent, so a
# failed commit is a failed request (never a 201 for data that was not stored).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A request that only reads: no transaction (no BEGIN/COMMIT round trips), writes refused."""
    async with runtime.database.read() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
"""For routes that only read. Each statement sees what is committed when it runs; a route
that writes anything (an audit entry included) takes `SessionDep`."""


async def get_request_correlation_id() -> str:
    return get_correlation_id() or new_correlation_id()


CorrelationIdDep = Annotated[str, Depends(get_request_correlation_id)]
