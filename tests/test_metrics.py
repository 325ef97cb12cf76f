"""`/metrics` parsing on the real vLLM 0.32 pages, and the windowed maths checked against hand-computed
bucket deltas (a counter reset included)."""

from __future__ import annotations

import pytest

from tests.conftest import raw_response
from tui.collectors.metrics import parse_metrics
from tui.samples import Histogram, MetricsSample, ProbeSample, SemanticSample
from tui.state.store import Store
from tui.state.window import counter_increase, histogram_increase, in_window, increase, percentiles, quantile


def page(rel: str) -> str:
    status, _, body = raw_response(rel)
    assert status == 200
    return body.decode()


def test_real_page_after_load() -> None:
    m = parse_metrics(page("qwen3-tiny/GET_metrics_after_load.response"), 100.0)
    assert m.ok
    assert (m.running, m.waiting, m.kv_usage) == (0.0, 0.0, 0.0)
    assert m.start_time == pytest.approx(1.79554778713e9)
    assert m.counters["prompt_tokens"] == 22568.0
    assert m.success["stop"] == 552.0 and m.success["abort"] == 0.0
    e2e = m.histograms["e2e"]
    assert e2e.count == 552.0 and e2e.buckets[0] == (0.3, 552.0) and e2e.buckets[-1][0] == float("inf")
    assert "queue" in m.histograms


def test_real_page_before_load_and_http_counter() -> None:
    before = parse_metrics(page("http/07-GET_metrics_before_load.response"), 1.0)
    after = parse_metrics(page("http/49-GET_metrics_after_load.response"), 2.0)
    assert before.ok and after.ok
    assert after.counters["prompt_tokens"] >= before.counters["prompt_tokens"]
    assert after.http_embeddings.get("2xx", 0) > before.http_embeddings.get("2xx", 0)
    assert after.http_embeddings.get("4xx", 0) > 0  # the capture's deliberate bad requests


def test_old_kv_cache_name_and_dp_engines_are_summed() -> None:
    text = (
        "# TYPE vllm:gpu_cache_usage_perc gauge\n"
        'vllm:gpu_cache_usage_perc{model_name="m"} 0.25\n'
        "# TYPE vllm:num_requests_running gauge\n"
        'vllm:num_requests_running{engine="0",model_name="m"} 2.0\n'
        'vllm:num_requests_running{engine="1",model_name="m"} 3.0\n'
    )
    m = parse_metrics(text, 0.0)
    assert m.kv_usage == 0.25 and m.running == 5.0


def test_not_prometheus_or_not_vllm_is_an_error_sample() -> None:
    assert parse_metrics("<html>nope</html>", 0.0).error
    assert "no vllm:* series" in (parse_metrics("# TYPE x counter\nx_total 1\n", 0.0).error or "")


def test_counter_increase_with_reset() -> None:
    # 10 → 15 → 22, restart → 4 → 9: increase = 5 + 7 + 4 + 5 = 21 (never negative).
    assert increase([10, 15, 22, 4, 9]) == 21
    samples = [MetricsSample(t, counters={"prompt_tokens": v}) for t, v in enumerate([10, 15, 22, 4, 9])]
    assert counter_increase(samples, lambda m: m.counters.get("prompt_tokens")) == 21
    assert counter_increase(samples[:1], lambda m: m.counters.get("prompt_tokens")) is None


def test_restart_seen_in_start_time_resets_even_if_the_counter_grew() -> None:
    a = MetricsSample(0, start_time=1000.0, counters={"c": 50})
    b = MetricsSample(10, start_time=2000.0, counters={"c": 70})  # a new process already served 70
    assert counter_increase([a, b], lambda m: m.counters.get("c")) == 70


def _h(*pairs: tuple[float, float]) -> Histogram:
    return Histogram(tuple(pairs), 0.0, pairs[-1][1])


def test_histogram_deltas_and_quantile_by_hand() -> None:
    inf = float("inf")
    s0 = MetricsSample(0, histograms={"e2e": _h((0.3, 100), (0.5, 110), (1.0, 120), (inf, 120))})
    s1 = MetricsSample(10, histograms={"e2e": _h((0.3, 150), (0.5, 170), (1.0, 190), (inf, 200))})
    # Window deltas: ≤0.3: 50, ≤0.5: 60, ≤1.0: 70, +Inf: 80.
    d = histogram_increase([s0, s1], "e2e")
    assert d is not None and d.buckets == ((0.3, 50), (0.5, 60), (1.0, 70), (inf, 80)) and d.count == 80
    # p50: rank 40 in the first bucket → 0 + 0.3 × 40/50 = 0.24
    assert quantile(0.5, d) == pytest.approx(0.24)
    # p70: rank 56 in (0.3, 0.5] → 0.3 + 0.2 × (56 − 50)/(60 − 50) = 0.42
    assert quantile(0.7, d) == pytest.approx(0.42)
    # p95: rank 76 falls in +Inf → the highest finite bound, 1.0
    assert quantile(0.95, d) == 1.0
    # A lifetime quantile would have said p50 = 0.3 × 100/150 = 0.2: the window is what moved.
    assert quantile(0.5, s1.histograms["e2e"]) == pytest.approx(0.3 * 100 / 150)


def test_histogram_reset_inside_the_window() -> None:
    inf = float("inf")
    s0 = MetricsSample(0, histograms={"e2e": _h((0.3, 100), (inf, 120))})
    s1 = MetricsSample(10, histograms={"e2e": _h((0.3, 130), (inf, 160))})  # +30, +40
    s2 = MetricsSample(20, histograms={"e2e": _h((0.3, 5), (inf, 6))})  # restart: +5, +6
    s3 = MetricsSample(30, histograms={"e2e": _h((0.3, 9), (inf, 12))})  # +4, +6
    d = histogram_increase([s0, s1, s2, s3], "e2e")
    assert d is not None and d.buckets == ((0.3, 39), (inf, 52)) and d.count == 52  # count: 40 + 6 + 6
    assert quantile(0.5, d) == pytest.approx(0.3 * 26 / 39)


def test_quantile_edge_cases() -> None:
    assert quantile(0.5, _h((0.3, 0), (float("inf"), 0))) is None
    assert quantile(0.5, _h((0.3, 10), (0.5, 10), (float("inf"), 10))) == pytest.approx(0.15)


def test_in_window_keeps_a_baseline() -> None:
    hist = [MetricsSample(t) for t in (0, 10, 20, 30)] + [MetricsSample(35, error="down")]
    assert [m.t for m in in_window(hist, 15, now=35)] == [10, 20, 30]


def test_percentiles_nearest_rank() -> None:
    assert percentiles([5, 1, 4, 2, 3]) == [3, 5, 5]
    assert percentiles(list(range(1, 101))) == [50, 95, 99]


def test_traffic_leaves_our_probes_out() -> None:
    store = Store()
    inf = float("inf")

    def scrape(t: float, done: float, tokens: float) -> MetricsSample:
        return MetricsSample(
            t,
            counters={"prompt_tokens": tokens},
            success={"stop": done, "abort": 3.0},
            histograms={"e2e": _h((0.3, done), (inf, done))},
        )

    from tui.samples import HttpResult, ServerSample

    for t, done, tokens in ((0.0, 100.0, 1000.0), (60.0, 220.0, 7000.0)):
        store.apply(ServerSample(t, "u", HttpResult(200), metrics=scrape(t, done, tokens)))
    # Our own traffic in (0, 60]: 6 probes of 1 input / 19 tokens and one semantic probe of 3 inputs / 64 tokens.
    for i in range(6):
        store.apply(ProbeSample(10.0 * i + 5, "m", 200, 0.04, dims=4, tokens=19))
    store.apply(SemanticSample(30.0, 0.05, related=0.7, unrelated=0.1, tokens=64))
    tr = store.traffic(seconds=60, now=60.0)
    assert tr is not None and tr.ours == 9
    assert tr.requests_per_s == pytest.approx((120 - 9) / 60)
    assert tr.tokens_per_s == pytest.approx((6000 - 6 * 19 - 64) / 60)
    assert tr.e2e_p50 == pytest.approx(0.15)
