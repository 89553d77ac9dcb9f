"""The load harness's arithmetic (pure): nearest-rank percentiles, a phase's figures from its
samples (latency from the due time, errors by status), the step search and the mix."""

from __future__ import annotations

import math

import pytest

from tests.load.figures import OK, Mix, RateSearch, Sample, percentile, phase_plan, summarize, table


class TestPercentile:
    def test_nearest_rank_is_a_real_sample(self) -> None:
        values = [float(v) for v in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
        assert percentile(values, 50) == 50
        assert percentile(values, 99) == 99
        assert percentile(values, 100) == 100
        assert percentile(values, 0) == 1

    def test_one_slow_request_in_a_hundred_is_not_the_p99(self) -> None:
        values = [0.01] * 99 + [5.0]
        assert percentile(values, 99) == 0.01
        assert percentile([*values, 5.0], 99) == 5.0  # two in 101: it is

    def test_no_values_is_nan_and_a_bad_quantile_is_refused(self) -> None:
        assert math.isnan(percentile([], 99))
        with pytest.raises(ValueError, match="outside"):
            percentile([1.0], 101)


def sample(kind: str, at: float, latency: float, outcome: str = OK) -> Sample:
    return Sample(kind=kind, scheduled=at, latency=latency, send_lag=0.0, outcome=outcome)


class TestSummarize:
    def test_rates_latencies_and_errors_by_status(self) -> None:
        samples = [sample("read", 100 + i * 0.1, 0.02) for i in range(98)]
        samples += [sample("create", 105.0, 0.5, "503"), sample("read", 106.0, 10.0, "timeout")]
        result = summarize("step 1", 10.0, 100.0, 10.0, samples)
        assert result.sent == 100
        assert result.offered_rate == 10.0
        assert result.error_count == 2
        assert result.error_rate == 0.02
        assert dict(result.errors) == {"503": 1, "timeout": 1}
        assert dict(result.kind_errors["create"]) == {"503": 1}
        assert result.latency.p50 == 0.02
        assert result.latency.max == 10.0
        # the last answer came at 116 s: 98 good answers over 16 s
        assert result.completed_in == pytest.approx(16.0)
        assert result.achieved_rate == pytest.approx(98 / 16)
        assert not result.passes(1.0)

    def test_a_clean_fast_phase_passes_and_a_slow_one_does_not(self) -> None:
        fast = summarize("a", 5.0, 0.0, 10.0, [sample("read", i / 5, 0.05) for i in range(50)])
        assert fast.passes(1.0)
        assert fast.achieved_rate == pytest.approx(5.0)
        slow = summarize("b", 5.0, 0.0, 10.0, [sample("read", i / 5, 0.05 if i else 2.0) for i in range(50)])
        assert slow.latency.p99 == 2.0
        assert not slow.passes(1.0)

    def test_an_empty_phase_does_not_pass(self) -> None:
        assert not summarize("empty", 5.0, 0.0, 10.0, []).passes(1.0)

    def test_the_table_names_the_errors(self) -> None:
        result = summarize("step 2", 10.0, 0.0, 1.0, [sample("read", 0.0, 0.1), sample("read", 0.5, 0.1, "429")])
        printed = table([result], 1.0)
        assert "step 2" in printed
        assert "FAIL" in printed
        assert "429: 1" in printed
        assert result.as_json()["errors"] == {"429": 1}


class TestRateSearch:
    def test_steps_up_until_a_failure_then_refines_once(self) -> None:
        search = RateSearch(start=10, factor=2, refinements=1)
        assert search.next_rate() == 10
        search.record(10, True)
        assert search.next_rate() == 20
        search.record(20, True)
        assert search.next_rate() == 40
        search.record(40, False)
        middle = search.next_rate()
        assert middle == pytest.approx(math.sqrt(20 * 40))
        assert middle is not None
        search.record(middle, True)
        assert search.next_rate() is None
        assert search.best == middle

    def test_a_failing_refinement_keeps_the_lower_pass(self) -> None:
        search = RateSearch(start=10, factor=2, refinements=1)
        for rate, passed in ((10, True), (20, False)):
            search.record(rate, passed)
        middle = search.next_rate()
        assert middle is not None
        search.record(middle, False)
        assert search.next_rate() is None
        assert search.best == 10

    def test_a_failing_first_step_goes_down_to_the_floor(self) -> None:
        search = RateSearch(start=8, factor=2, floor=1)
        search.record(8, False)
        assert search.next_rate() == 4
        search.record(4, False)
        assert search.next_rate() == 2
        search.record(2, False)
        assert search.next_rate() == 1
        search.record(1, False)
        assert search.next_rate() is None
        assert search.best is None

    def test_a_bracket_within_ten_percent_is_not_refined(self) -> None:
        search = RateSearch(start=100, factor=1.05, refinements=3)
        search.record(100, True)
        search.record(105, False)
        assert search.next_rate() is None

    def test_nonsense_is_refused(self) -> None:
        with pytest.raises(ValueError, match="factor"):
            RateSearch(start=10, factor=1)


class TestMixAndPlan:
    def test_the_mix_draws_by_share(self) -> None:
        mix = Mix((("read", 3), ("create", 1)))
        assert mix.fractions() == {"read": 0.75, "create": 0.25}
        assert mix.pick(0.0) == "read"
        assert mix.pick(0.74) == "read"
        assert mix.pick(0.75) == "create"
        assert mix.pick(0.999) == "create"

    def test_a_kind_without_share_is_refused(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            Mix((("read", 0),))

    def test_a_third_is_kept_for_the_sustained_run(self) -> None:
        search, sustain = phase_plan(180, 1 / 3)
        assert (search, sustain) == pytest.approx((120, 60))
