"""Asking many sources at once (`FanOut`), with in-memory sources (unit tests of the
orchestration; the real connectors and simulator are tested in tests/departments): all queries
in flight together, a per-attempt timeout, retries while a source is unavailable, none when it
refuses, and a circuit breaker per source that stops asking a failing department and lets one
trial through after its reset time."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from verification.checks.adapters.fanout import BreakerState, CircuitBreaker, FanOut, FanOutPolicy
from verification.departments.domain.model import PersonQuery, Source, SourceAnswer, SourceRefused, SourceUnavailable

FAST = FanOutPolicy(timeout_seconds=0.2, attempts=3, backoff_initial_seconds=0.001, backoff_max_seconds=0.002)


def query() -> PersonQuery:
    return PersonQuery(uuid.uuid4(), "520102198001011232", "张三", date(2025, 12, 1), date(2026, 11, 30))


@dataclass
class Scripted:
    """A source that answers after `delay`, failing its first `failures` calls with `error`."""

    source: Source
    delay: float = 0.0
    failures: int = 0
    error: str = "unavailable"
    calls: int = 0

    async def query(self, person: PersonQuery) -> SourceAnswer:
        self.calls += 1
        if self.calls <= self.failures:
            if self.error == "refused":
                raise SourceRefused(self.source, "http_400")
            if self.error == "hang":
                await asyncio.sleep(10)
            raise SourceUnavailable(self.source, "http_503")
        await asyncio.sleep(self.delay)
        return SourceAnswer(self.source, (), datetime.now(UTC), department_reference=f"{self.source}-1")

    async def aclose(self) -> None:
        return None


async def test_every_source_is_asked_at_the_same_time() -> None:
    started: list[Source] = []
    gate = asyncio.Event()

    @dataclass
    class Waiting(Scripted):
        async def query(self, person: PersonQuery) -> SourceAnswer:
            started.append(self.source)
            if len(started) == len(Source):
                gate.set()
            await asyncio.wait_for(gate.wait(), 5)  # answers only once every source was asked
            return await super().query(person)

    fanout = FanOut({s: Waiting(s) for s in Source}, FAST)

    outcomes = await fanout.ask_all([(s, query()) for s in Source])

    assert all(o.answer is not None for o in outcomes)
    assert sorted(started) == sorted(Source)


async def test_an_unavailable_source_is_retried_and_then_answers() -> None:
    flaky = Scripted(Source.TAX, failures=2)

    outcome = await FanOut({Source.TAX: flaky}, FAST).ask(Source.TAX, query())

    assert outcome.answer is not None
    assert (outcome.attempts, flaky.calls) == (3, 3)


async def test_a_hanging_source_times_out_on_every_attempt() -> None:
    hanging = Scripted(Source.REAL_ESTATE, failures=99, error="hang")

    outcome = await FanOut({Source.REAL_ESTATE: hanging}, FAST).ask(Source.REAL_ESTATE, query())

    assert (outcome.answer, outcome.reason, outcome.attempts, outcome.refused) == (None, "timeout", 3, False)


async def test_a_refusal_is_not_retried() -> None:
    refusing = Scripted(Source.MARRIAGE, failures=99, error="refused")

    outcome = await FanOut({Source.MARRIAGE: refusing}, FAST).ask(Source.MARRIAGE, query())

    assert (outcome.refused, outcome.reason, refusing.calls) == (True, "http_400", 1)


async def test_an_unconfigured_source_is_reported_not_asked() -> None:
    outcome = await FanOut({}, FAST).ask(Source.SECURITIES, query())

    assert (outcome.answer, outcome.reason, outcome.attempts) == (None, "not_configured", 0)


async def test_the_breaker_stops_asking_a_failing_source_and_tries_again_after_its_reset() -> None:
    now = [0.0]
    policy = FanOutPolicy(
        timeout_seconds=0.2, attempts=1, breaker_failures=3, breaker_reset_seconds=30, backoff_initial_seconds=0.001
    )
    down = Scripted(Source.BANK_DEPOSITS, failures=3)
    fanout = FanOut({Source.BANK_DEPOSITS: down}, policy, clock=lambda: now[0])

    first = [await fanout.ask(Source.BANK_DEPOSITS, query()) for _ in range(3)]
    refused_fast = await fanout.ask(Source.BANK_DEPOSITS, query())

    assert [o.reason for o in first] == ["http_503"] * 3
    assert refused_fast.reason == "breaker_open"
    assert down.calls == 3  # the open breaker did not call the source
    now[0] = 31.0  # half-open: one trial goes through, and it succeeds
    healed = await fanout.ask(Source.BANK_DEPOSITS, query())
    assert healed.answer is not None
    assert fanout.breakers[Source.BANK_DEPOSITS].state is BreakerState.CLOSED


def test_a_failed_trial_opens_the_breaker_again() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, reset_seconds=10, clock=lambda: now[0])
    breaker.failed()
    breaker.failed()
    assert not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    breaker.failed()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
