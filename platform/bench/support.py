"""What the process-level benchmarks share (`bench_events.py`, `bench_http.py`): the local
PostgreSQL and Kafka, wrk, the check of service logs, and the ratio line.

The processes themselves are started with the e2e tier's runner (`tests/e2e/cluster.py`:
`Cluster` starts `python -m <service> …` with a log file each and stops them with SIGTERM), so
a benchmark runs the services exactly as the e2e tests and docker compose do. Importing this
module puts the repository root on `sys.path` for that (the benchmarks run as scripts).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # `tests.e2e.cluster`, the e2e tier's process runner


def start_servers() -> tuple[str, str]:
    """Start the local PostgreSQL and Kafka (idempotent: a running one is reused), export their
    addresses into this process's environment, and return (admin URL, Kafka bootstrap)."""
    print("local servers: deploy/local/postgres.sh start, deploy/local/kafka.sh start …", flush=True)
    for script in ("postgres.sh", "kafka.sh"):
        path = REPO / "deploy" / "local" / script
        result = subprocess.run([path, "start"], capture_output=True, text=True, check=False)  # noqa: S603 (ours)
        if result.returncode != 0:
            raise SystemExit(f"{path} start failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        exported = subprocess.run([path, "env"], capture_output=True, text=True, check=True).stdout  # noqa: S603
        for line in exported.splitlines():
            if line.startswith("export ") and "=" in line:
                name, _, value = line.removeprefix("export ").partition("=")
                os.environ[name] = shlex.split(value)[0] if value else ""
    return os.environ["JIUZHU_PG_ADMIN_URL"], os.environ["JIUZHU_KAFKA_BOOTSTRAP"]


def ratio_line(figure: float, baseline: float) -> str:
    """The last line of every comparison: figure ÷ baseline, higher is better."""
    return f"ratio: {figure / baseline:.2f}"


def rate(count: float, seconds: float, unit: str) -> str:
    return f"{count / seconds:>10,.0f} {unit + '/s':<8}"


# ------------------------------------------------------------------------------------ wrk


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    output: str

    def line(self, label: str) -> str:
        return (
            f"  {label:<54} {self.per_second:>9,.0f} req/s    p50 {self.p50_ms:6.2f} ms   p99 {self.p99_ms:6.2f} ms"
            f"   ({self.requests:,} requests)"
        )


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get (Debian package `wrk`) when missing, as
    deploy/local/postgres.sh does for PostgreSQL."""
    found = shutil.which("wrk")
    if found:
        return found
    apt_get = shutil.which("apt-get")
    if apt_get and os.geteuid() == 0:
        print("wrk is missing: apt-get install -y wrk …", flush=True)
        subprocess.run([apt_get, "update"], check=True, capture_output=True)  # noqa: S603 (fixed arguments)
        subprocess.run([apt_get, "install", "-y", "wrk"], check=True, capture_output=True)  # noqa: S603
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("this benchmark needs wrk (HTTP load generator): `sudo apt-get install wrk`")
    return found


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    per_second = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if not (done and per_second and p50 and p99):
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=_ms(done.group(2), done.group(3)) / 1000,
        per_second=float(per_second.group(1)),
        p50_ms=_ms(p50.group(1), p50.group(2)),
        p99_ms=_ms(p99.group(1), p99.group(2)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        output=output,
    )


def wrk(
    url: str,
    *,
    seconds: float,
    threads: int = 1,
    connections: int = 1,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    warmup_seconds: float = 0.0,
) -> WrkResult:
    """Run wrk against `url` (after a warm-up run of the same request when asked) and fail
    loudly if any response was not 2xx or any socket error occurred: the figure would then
    measure error pages."""
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    if seconds <= 0:
        raise ValueError("wrk needs a duration")
    for duration, warmup in ((warmup_seconds, True), (seconds, False)):
        if duration <= 0:
            continue
        result = subprocess.run(  # noqa: S603 (wrk, with arguments built here)
            [*command, f"-d{max(1, round(duration))}s", url], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        measured = parse_wrk(result.stdout)
        if measured.non_2xx or measured.socket_errors:
            raise SystemExit(
                f"{'warm-up of ' if warmup else ''}{url}: {measured.non_2xx} non-2xx responses and "
                f"{measured.socket_errors} socket errors out of {measured.requests}; the figure would "
                f"measure errors, stopping here.\n{result.stdout}"
            )
    return measured


# ---------------------------------------------------------------------------- service logs


def log_problems(text: str, name: str, *, limit: int = 8) -> list[str]:
    """Warnings, errors and non-JSON lines (tracebacks, crashes) of one process's log."""
    found: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        try:
            record: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            found.append(f"{name}: {line[:200]}")
            continue
        if not isinstance(record, dict):
            continue
        level = str(record.get("level", "")).upper()
        if level in ("WARNING", "ERROR", "CRITICAL"):
            found.append(f"{name}: {level} {str(record.get('message', ''))[:200]}")
    distinct = list(dict.fromkeys(found))
    return distinct[:limit] + ([f"{name}: … {len(distinct) - limit} more"] if len(distinct) > limit else [])


def report_logs(logs: dict[str, str]) -> None:
    """One line if the processes' logs are clean, else what they complained about."""
    problems = [problem for name, text in logs.items() for problem in log_problems(text, name)]
    if not problems:
        print(f"  logs of {', '.join(logs)}: no warnings or errors")
        return
    print(f"  logs of {', '.join(logs)}: {len(problems)} kinds of warnings/errors")
    for problem in problems:
        print(f"    {problem}")


class LogWatch:
    """Reports what processes logged since the previous report (`read(name)` gives a log)."""

    def __init__(self, read: Callable[[str], str], names: Sequence[str]) -> None:
        self._read = read
        self._offsets = dict.fromkeys(names, 0)

    def report(self) -> None:
        fresh = {}
        for name, offset in self._offsets.items():
            text = self._read(name)
            fresh[name] = text[offset:]
            self._offsets[name] = len(text)
        report_logs(fresh)
