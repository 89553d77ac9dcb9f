"""Asking many sources at once: every (member, source) query concurrently, each with its own
timeout, retries with exponential backoff and jitter (tenacity) while the source is unavailable,
and a circuit breaker per source, so that one slow or failed department costs its own queries
and nothing else (the rest of the report is still made; the missing part is re-queried later).

Why a small breaker here instead of a library: the maintained Python breakers are either
synchronous (pybreaker, whose asyncio support goes through Tornado) or bring their own storage
and configuration (purgatory); ours needs three states, a clock that tests move, and per-source
instances, in 40 lines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from verification.departments.domain.model import (
    PersonQuery,
    Source,
    SourceAnswer,
    SourceConnector,
    SourceRefused,
    SourceUnavailable,
)


@dataclass(frozen=True, slots=True)
class FanOutPolicy:
    timeout_seconds: float = 3.0
    """Per attempt, per query."""
    attempts: int = 3
    backoff_initial_seconds: float = 0.1
    backoff_max_seconds: float = 1.0
    breaker_failures: int = 5
    """Consecutive unavailable answers of one source that open its breaker."""
    breaker_reset_seconds: float = 30.0
    """How long an open breaker refuses before letting one trial query through."""
    max_concurrency: int = 256
    """Queries in flight at once, all sources together (a pool, not a per-check limit)."""


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Closed: queries go. After `failures` consecutive unavailable answers: open, queries are
    refused at once for `reset_seconds`; then half-open: one trial goes, its success closes the
    breaker, its failure opens it again."""

    failures: int
    reset_seconds: float
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    consecutive: int = 0
    opened_at: float = 0.0
    trial_running: bool = False

    def allow(self) -> bool:
        if self.state is BreakerState.OPEN and self.clock() - self.opened_at >= self.reset_seconds:
            self.state, self.trial_running = BreakerState.HALF_OPEN, False
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.HALF_OPEN and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def succeeded(self) -> None:
        self.state, self.consecutive, self.trial_running = BreakerState.CLOSED, 0, False

    def failed(self) -> None:
        self.consecutive += 1
        if self.state is BreakerState.HALF_OPEN or self.consecutive >= self.failures:
            self.state, self.opened_at, self.trial_running = BreakerState.OPEN, self.clock(), False


class BreakerOpen(SourceUnavailable):
    def __init__(self, source: Source) -> None:
        super().__init__(source, "breaker_open")


def _worth_retrying(error: BaseException) -> bool:
    """Unavailable may pass; a refusal will not, and an open breaker says not now."""
    return isinstance(error, SourceUnavailable) and not isinstance(error, BreakerOpen)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One query's end: an answer, or why not (`unavailable` or `refused`) after `attempts`."""

    answer: SourceAnswer | None
    refused: bool = False
    reason: str | None = None
    attempts: int = 1


@dataclass
class FanOut:
    connectors: Mapping[Source, SourceConnector]
    policy: FanOutPolicy = field(default_factory=FanOutPolicy)
    clock: Callable[[], float] = time.monotonic
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Run at `aclose` after the connectors (the shared HTTP client)."""
    breakers: dict[Source, CircuitBreaker] = field(init=False)
    _slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.breakers = {
            s: CircuitBreaker(self.policy.breaker_failures, self.policy.breaker_reset_seconds, self.clock)
            for s in Source
        }
        self._slots = asyncio.Semaphore(self.policy.max_concurrency)

    async def _once(self, connector: SourceConnector, query: PersonQuery) -> SourceAnswer:
        breaker = self.breakers[connector.source]
        if not breaker.allow():
            raise BreakerOpen(connector.source)
        try:
            async with asyncio.timeout(self.policy.timeout_seconds):
                answer = await connector.query(query)
        except TimeoutError:
            breaker.failed()
            raise SourceUnavailable(connector.source, "timeout") from None
        except SourceUnavailable:
            breaker.failed()
            raise
        except SourceRefused:
            breaker.succeeded()  # the source is up; it said no
            raise
        breaker.succeeded()
        return answer

    async def ask(self, source: Source, query: PersonQuery) -> Outcome:
        connector = self.connectors.get(source)
        if connector is None:
            return Outcome(None, reason="not_configured", attempts=0)
        policy = self.policy
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential_jitter(
                multiplier=policy.backoff_initial_seconds,
                max=policy.backoff_max_seconds,
                jitter=policy.backoff_initial_seconds,
            ),
            retry=retry_if_exception(_worth_retrying),
            reraise=True,
        )
        attempts = 0
        async with self._slots:
            try:
                async for attempt in retrying:
                    with attempt:
                        attempts += 1
                        answer = await self._once(connector, query)
                        return Outcome(answer, attempts=attempts)
            except SourceRefused as exc:
                return Outcome(None, refused=True, reason=exc.reason, attempts=attempts)
            except SourceUnavailable as exc:
                return Outcome(None, reason=exc.reason, attempts=attempts)
            except RetryError:  # pragma: no cover (reraise=True re-raises the last error instead)
                return Outcome(None, reason="retries_exhausted", attempts=attempts)
        raise AssertionError("unreachable")  # pragma: no cover

    async def ask_all(self, items: Sequence[tuple[Source, PersonQuery]]) -> list[Outcome]:
        """Every query at once; the answers in the order asked."""
        return list(await asyncio.gather(*(self.ask(source, query) for source, query in items)))

    async def aclose(self) -> None:
        for connector in self.connectors.values():
            await connector.aclose()
        for closer in self.closers:
            await closer()
