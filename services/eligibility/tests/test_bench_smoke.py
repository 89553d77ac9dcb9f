"""The benchmark script runs end to end on a small slice (it measures; this only checks it works)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "bench_assess.py"


def test_benchmark_runs_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_assess", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--count", "300", "--chunk", "100"]) == 0
    out = capsys.readouterr().out
    for line in ("households           300", "full assessment", "baseline (补差 only)", "full / baseline", "peak RSS"):
        assert line in out
