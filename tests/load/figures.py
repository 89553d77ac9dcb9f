"""The load harness's arithmetic (pure: no clock, no I/O): what one request's outcome was, what a
phase's samples add up to, and which rate to offer next.

Latency is counted from the time a request was *scheduled* to be sent (open loop), not from the
time it was sent, so a generator or a connection pool that falls behind shows up as latency
instead of silently lowering the rate (coordinated omission)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

OK = "ok"


@dataclass(frozen=True)
class Sample:
    """One request: its kind (`get_application`, `sign_in`, …), when it was due and how it went."""

    kind: str
    scheduled: float
    """seconds on the monotonic clock"""
    latency: float
    """from `scheduled` to the end of the response"""
    send_lag: float
    """from `scheduled` to the moment the generator actually started the request"""
    outcome: str
    """`ok` for the expected status; else the status code (`"503"`) or the transport error's name"""


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (`q` in 0–100) of `values`, which need not be sorted; NaN for
    none. Nearest rank never interpolates: p99 of 100 samples is the 99th smallest, a real one."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0–100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Latencies:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Latencies:
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
            max=max(values) if values else math.nan,
        )


@dataclass(frozen=True)
class PhaseResult:
    """What one phase (a step of the search, or the sustained run) measured."""

    name: str
    target_rate: float
    seconds: float
    """the arrival window (requests were scheduled within it)"""
    sent: int
    completed_in: float
    """from the window's start to the last response"""
    latency: Latencies
    """every request, errors included (a refused request is an answer the caller waited for)"""
    errors: Counter[str]
    by_kind: dict[str, Latencies]
    kind_errors: dict[str, Counter[str]]
    send_lag_p99: float
    cpu: dict[str, float] = field(default_factory=dict)
    """optional CPU figures of the phase, % of the whole box (`box`, `services`, `generator`),
    filled by the caller"""
    processes: dict[str, float] = field(default_factory=dict)
    """optional CPU of each process in % of one core, busiest first, filled by the caller"""

    @property
    def offered_rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def achieved_rate(self) -> float:
        """Answered as expected per second, over the time until the last answer."""
        ok = self.sent - sum(self.errors.values())
        return ok / self.completed_in if self.completed_in > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def error_rate(self) -> float:
        return self.error_count / self.sent if self.sent else 0.0

    def passes(self, p99_limit: float) -> bool:
        """The criterion: p99 under the limit and not a single error."""
        return self.sent > 0 and self.error_count == 0 and self.latency.p99 < p99_limit

    def as_json(self) -> dict[str, object]:
        def ms(figures: Latencies) -> dict[str, object]:
            return {
                "count": figures.count,
                **{k: round(getattr(figures, k) * 1000, 1) for k in ("p50", "p95", "p99", "max")},
            }

        return {
            "phase": self.name,
            "target_rate": round(self.target_rate, 1),
            "offered_rate": round(self.offered_rate, 1),
            "achieved_rate": round(self.achieved_rate, 1),
            "seconds": round(self.seconds, 1),
            "sent": self.sent,
            "latency_ms": ms(self.latency),
            "errors": dict(self.errors),
            "error_rate": self.error_rate,
            "send_lag_p99_ms": round(self.send_lag_p99 * 1000, 1),
            "by_kind": {
                kind: ms(figures) | {"errors": dict(self.kind_errors.get(kind, Counter()))}
                for kind, figures in sorted(self.by_kind.items())
            },
            "cpu_percent_of_box": {k: round(v, 1) for k, v in self.cpu.items()},
            "cpu_percent_of_a_core": {k: round(v, 1) for k, v in self.processes.items()},
        }


def summarize(name: str, target_rate: float, started: float, seconds: float, samples: Sequence[Sample]) -> PhaseResult:
    """A phase's figures from its samples; its arrival window began at `started` (monotonic
    seconds) and lasted `seconds`."""
    errors: Counter[str] = Counter(s.outcome for s in samples if s.outcome != OK)
    kinds = sorted({s.kind for s in samples})
    last_answer = max((s.scheduled + s.latency for s in samples), default=started)
    completed_in = max(last_answer - started, seconds)
    return PhaseResult(
        name=name,
        target_rate=target_rate,
        seconds=seconds,
        sent=len(samples),
        completed_in=completed_in,
        latency=Latencies.of([s.latency for s in samples]),
        errors=errors,
        by_kind={k: Latencies.of([s.latency for s in samples if s.kind == k]) for k in kinds},
        kind_errors={
            k: Counter(s.outcome for s in samples if s.kind == k and s.outcome != OK)
            for k in kinds
            if any(s.kind == k and s.outcome != OK for s in samples)
        },
        send_lag_p99=percentile([s.send_lag for s in samples], 99) if samples else math.nan,
    )


class RateSearch:
    """Which rate to offer next: up by `factor` from `start` until a step fails; then, between
    the best passing and the lowest failing rate, up to `refinements` geometric midpoints; if the
    very first step fails, down by `factor` until one passes or the rate would go under
    `floor`. `next_rate()` is `None` when the search has nothing more to try."""

    def __init__(self, *, start: float, factor: float, refinements: int = 1, floor: float = 1.0) -> None:
        if start <= 0 or factor <= 1:
            raise ValueError("start must be positive and factor above 1")
        self.start = start
        self.factor = factor
        self.refinements = refinements
        self.floor = floor
        self.best: float | None = None
        """the highest rate that passed"""
        self.failed: float | None = None
        """the lowest rate that failed"""
        self.tried: list[tuple[float, bool]] = []

    def record(self, rate: float, passed: bool) -> None:
        if self.failed is not None and self.best is not None and self.best < rate < self.failed:
            self.refinements -= 1
        self.tried.append((rate, passed))
        if passed:
            self.best = rate if self.best is None else max(self.best, rate)
        else:
            self.failed = rate if self.failed is None else min(self.failed, rate)

    def next_rate(self) -> float | None:
        if not self.tried:
            return self.start
        if self.failed is None:
            assert self.best is not None
            return self.best * self.factor
        if self.best is None:
            lower = self.failed / self.factor
            return lower if lower >= self.floor else None
        if self.refinements <= 0 or self.failed / self.best < 1.1:
            return None  # bracketed within 10 %: a closer figure would be noise on this box
        return math.sqrt(self.best * self.failed)


def phase_plan(duration: float, sustain_fraction: float) -> tuple[float, float]:
    """The time for the search and the least time left for the sustained run."""
    if not 0 < sustain_fraction < 1:
        raise ValueError("sustain_fraction must be between 0 and 1")
    sustain = duration * sustain_fraction
    return duration - sustain, sustain


@dataclass(frozen=True)
class Mix:
    """The workload: request kinds and their shares (normalised), drawn with a caller's random
    number in [0, 1)."""

    shares: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        if not self.shares or any(w <= 0 for _, w in self.shares):
            raise ValueError("a mix needs kinds with positive shares")

    def pick(self, u: float) -> str:
        total = sum(w for _, w in self.shares)
        point = u * total
        running = 0.0
        for kind, weight in self.shares:
            running += weight
            if point < running:
                return kind
        return self.shares[-1][0]

    def fractions(self) -> dict[str, float]:
        total = sum(w for _, w in self.shares)
        return {kind: weight / total for kind, weight in self.shares}


def table(results: Sequence[PhaseResult], p99_limit: float) -> str:
    """The results as a fixed-width table (latencies in ms)."""
    header = (
        f"{'phase':<10} {'target/s':>8} {'offered/s':>9} {'achieved/s':>10} {'sent':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} {'err %':>6} "
        f"{'lag p99':>8} {'CPU box':>7} {'svc':>5} {'gen':>5} {'rest':>5}  verdict  errors by status"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        errors = ", ".join(f"{k}: {v}" for k, v in r.errors.most_common()) or "-"
        cpu = {k: f"{r.cpu[k]:.0f}%" if k in r.cpu else "?" for k in ("box", "services", "generator", "rest")}
        lines.append(
            f"{r.name:<10} {r.target_rate:>8.1f} {r.offered_rate:>9.1f} {r.achieved_rate:>10.1f} {r.sent:>7} "
            f"{r.latency.p50 * 1000:>8.1f} {r.latency.p95 * 1000:>8.1f} {r.latency.p99 * 1000:>8.1f} "
            f"{r.latency.max * 1000:>8.1f} {r.error_count:>6} {r.error_rate * 100:>6.2f} "
            f"{r.send_lag_p99 * 1000:>8.1f} {cpu['box']:>7} "
            f"{cpu['services']:>5} {cpu['generator']:>5} {cpu['rest']:>5}  "
            f"{'pass' if r.passes(p99_limit) else 'FAIL':<7}  {errors}"
        )
    return "\n".join(lines)


def kind_table(result: PhaseResult) -> str:
    """One phase's latencies by request kind."""
    header = f"{'kind':<22} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  errors"
    lines = [header, "-" * len(header)]
    for kind, figures in sorted(result.by_kind.items(), key=lambda item: -item[1].count):
        errors = ", ".join(f"{k}: {v}" for k, v in result.kind_errors.get(kind, Counter()).most_common()) or "-"
        lines.append(
            f"{kind:<22} {figures.count:>7} {figures.p50 * 1000:>8.1f} {figures.p95 * 1000:>8.1f} "
            f"{figures.p99 * 1000:>8.1f} {figures.max * 1000:>8.1f}  {errors}"
        )
    return "\n".join(lines)
