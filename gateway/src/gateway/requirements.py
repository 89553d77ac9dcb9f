"""What each proxied route requires, read from the services' own OpenAPI documents.

Every service publishes, per operation, `"x-jiuzhu-scopes": [...]` and `"x-jiuzhu-public":
bool` (`jiuzhu_platform.auth.publish_requirements`), so a requirement is declared once, in
the service, and enforced twice: here before forwarding, and in the service again.

- `RouteTable.from_openapi(document)` (pure) compiles the path templates
  (`/v1/eligibility/applications/{application_id}`: one `{param}` = one path segment).
- `RouteTable.match(method, path)`: the operations whose template matches the (decoded)
  path and whose method is the request's (`HEAD` counts as `GET`). Templates with more
  literal segments win (`/items/search` over `/items/{item_id}`); among equally specific
  ones the requirements merge (every scope; public only if all are public). A path no
  template matches, or a method no operation has, is `Lookup(None, None)`: the gateway then
  requires a valid token and lets the service answer 404/405.
- `RequirementCatalog` fetches each service's document lazily (first request), caches it,
  re-fetches it after `max_age_seconds`, and on a miss (an unknown path: maybe a newer
  deployment) or after a failure at most once per `min_refresh_seconds`. With no document at
  all (the service never answered) the lookup raises `RequirementsUnavailable` (503): the
  gateway cannot tell what the route needs, so it forwards nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jiuzhu_platform.auth import Requirement, published_requirement
from jiuzhu_platform.errors import Unavailable

logger = logging.getLogger(__name__)

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_PARAM = re.compile(r"\{[^{}/]+\}")


class RequirementsUnavailable(Unavailable):
    reason = "requirements_unavailable"

    def __init__(self, service: str) -> None:
        super().__init__(
            f"the access rules of the {service} service cannot be read now",
            message_zh=f"暂时无法获取 {service} 服务的访问控制规则，请稍后重试",
        )


@dataclass(frozen=True, slots=True)
class Lookup:
    """The matched template (for audit and metrics) and its requirement; `None`s when no
    operation matched."""

    template: str | None
    requirement: Requirement | None


@dataclass(frozen=True, slots=True)
class _Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literals: int
    requirement: Requirement | None


def _compile(template: str) -> tuple[re.Pattern[str], int]:
    parts: list[str] = []
    position = 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append("[^/]+")
        position = match.end()
    parts.append(re.escape(template[position:]))
    literals = sum(1 for segment in template.split("/") if segment and not _PARAM.search(segment))
    return re.compile("".join(parts)), literals


def _merge(requirements: list[Requirement | None]) -> Requirement | None:
    declared = [r for r in requirements if r is not None]
    if not declared:
        return None
    if len(declared) < len(requirements):  # one of them declares nothing: a token at least
        return Requirement(frozenset().union(*(r.scopes for r in declared)), public=False)
    if all(r.public for r in declared):
        return Requirement(frozenset(), public=True)
    return Requirement(frozenset().union(*(r.scopes for r in declared)), public=False)


@dataclass(frozen=True, slots=True)
class RouteTable:
    operations: tuple[_Operation, ...]

    @classmethod
    def from_openapi(cls, document: Mapping[str, Any]) -> RouteTable:
        paths = document.get("paths")
        if not isinstance(paths, Mapping):
            raise ValueError("an OpenAPI document needs a 'paths' object")
        operations = []
        for template, item in paths.items():
            if not isinstance(template, str) or not template.startswith("/") or not isinstance(item, Mapping):
                continue
            pattern, literals = _compile(template)
            for method, operation in item.items():
                if method not in HTTP_METHODS or not isinstance(operation, Mapping):
                    continue
                operations.append(
                    _Operation(method.upper(), template, pattern, literals, published_requirement(operation))
                )
        return cls(tuple(operations))

    def match(self, method: str, path: str) -> Lookup:
        wanted = {method.upper()} | ({"GET"} if method.upper() == "HEAD" else set())
        found = [op for op in self.operations if op.method in wanted and op.pattern.fullmatch(path)]
        if not found:
            return Lookup(None, None)
        best = max(op.literals for op in found)
        chosen = [op for op in found if op.literals == best]
        return Lookup(chosen[0].template, _merge([op.requirement for op in chosen]))


@dataclass
class _Entry:
    table: RouteTable | None = None
    fetched_at: float | None = None
    attempted_at: float | None = None
    attempts: int = 0
    """Refreshes finished (successful or not): a caller that waited for the lock and finds
    this changed had its answer fetched by the one before it."""


class RequirementCatalog:
    def __init__(
        self,
        fetch: Callable[[str], Awaitable[Mapping[str, Any]]],
        *,
        min_refresh_seconds: float = 30.0,
        max_age_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.min_refresh_seconds = min_refresh_seconds
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _may_try(self, entry: _Entry, now: float) -> bool:
        return entry.attempted_at is None or now - entry.attempted_at >= self.min_refresh_seconds

    def _joinable(self, service: str, entry: _Entry, now: float) -> bool:
        """A refresh may start now, or one is in flight: wait for its answer (a cold start
        under load must not answer 503 to everyone but the first caller)."""
        lock = self._locks.get(service)
        return (lock is not None and lock.locked()) or self._may_try(entry, now)

    async def _refresh(self, service: str, entry: _Entry, *, why: str) -> None:
        lock = self._locks.setdefault(service, asyncio.Lock())
        attempts = entry.attempts
        async with lock:
            if entry.attempts != attempts:  # someone refreshed while we waited
                return
            now = self._clock()
            entry.attempted_at = now
            try:
                document = await self._fetch(service)
                table = RouteTable.from_openapi(document)
            except Exception as exc:  # the service being down must not become a 500
                logger.warning("OpenAPI of %s could not be read (%s): %s", service, why, type(exc).__name__)
                return
            finally:
                entry.attempts += 1
            entry.table = table
            entry.fetched_at = now

    async def lookup(self, service: str, method: str, path: str) -> Lookup:
        entry = self._entries.setdefault(service, _Entry())
        now = self._clock()
        if entry.table is None:
            if self._joinable(service, entry, now):
                await self._refresh(service, entry, why="first use")
        elif (
            entry.fetched_at is not None
            and now - entry.fetched_at >= self.max_age_seconds
            and self._joinable(service, entry, now)
        ):
            await self._refresh(service, entry, why="expired")
        if entry.table is None:
            raise RequirementsUnavailable(service)
        found = entry.table.match(method, path)
        if found.template is None and self._joinable(service, entry, self._clock()):
            await self._refresh(service, entry, why="unknown route")
            found = entry.table.match(method, path)
        return found
