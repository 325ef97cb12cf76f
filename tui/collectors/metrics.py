"""`GET /metrics` → the few vLLM series the dashboard needs, parsed with prometheus_client.

Names follow vLLM's metrics (real 0.32 pages: tests/captures/vllm-0.32-cpu/http/) and work from
vLLM 0.6 to 0.33: the KV-cache gauge is
`vllm:kv_cache_usage_perc` (0.9.2+) or `vllm:gpu_cache_usage_perc` (up to 0.11); counters are exposed
as `…_total` in every version; label sets (`engine`, `model_name`, DP engines) are summed.
Never raises: a page that is not Prometheus text is a sample with `error` set.
"""

from __future__ import annotations

import math
import time

import httpx

from tui.collectors.http_util import request
from tui.samples import ErrorKind, Histogram, MetricsSample

GAUGES = {
    "vllm:num_requests_running": "running",
    "vllm:num_requests_waiting": "waiting",
    "vllm:kv_cache_usage_perc": "kv_usage",
    "vllm:gpu_cache_usage_perc": "kv_usage",  # ≤ 0.11 name
    "process_start_time_seconds": "start_time",
}
COUNTERS = {
    "vllm:prompt_tokens_total": "prompt_tokens",
    "vllm:num_preemptions_total": "preemptions",
}
HISTOGRAMS = {
    "vllm:e2e_request_latency_seconds": "e2e",
    "vllm:request_queue_time_seconds": "queue",
}
MAX_BODY = 4 * 1024 * 1024  # a real 0.32 page is ~57 KB


def parse_metrics(text: str, t: float) -> MetricsSample:
    """Prometheus text → MetricsSample. Unknown series are ignored; malformed text is an error sample."""
    from prometheus_client.parser import text_string_to_metric_families

    gauges: dict[str, float] = {}
    counters: dict[str, float] = {}
    success: dict[str, float] = {}
    http: dict[str, float] = {}
    buckets: dict[str, dict[float, float]] = {}
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    seen_vllm = False
    try:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                name, value = s.name, s.value
                if not math.isfinite(value) and not name.endswith("_bucket"):
                    continue
                if name.startswith("vllm:"):
                    seen_vllm = True
                if name in GAUGES:
                    key = GAUGES[name]
                    gauges[key] = value if key == "start_time" else gauges.get(key, 0.0) + value
                elif name in COUNTERS:
                    counters[COUNTERS[name]] = counters.get(COUNTERS[name], 0.0) + value
                elif name == "vllm:request_success_total":
                    reason = s.labels.get("finished_reason", "?")
                    success[reason] = success.get(reason, 0.0) + value
                elif name == "http_requests_total" and s.labels.get("handler") == "/v1/embeddings":
                    status = s.labels.get("status", "?")
                    http[status] = http.get(status, 0.0) + value
                else:
                    base, _, suffix = name.rpartition("_")
                    key = HISTOGRAMS.get(base)
                    if key is None:
                        continue
                    if suffix == "bucket":
                        le = float(s.labels.get("le", "inf"))
                        per = buckets.setdefault(key, {})
                        per[le] = per.get(le, 0.0) + value
                    elif suffix == "sum":
                        sums[key] = sums.get(key, 0.0) + value
                    elif suffix == "count":
                        counts[key] = counts.get(key, 0.0) + value
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        error = f"/metrics is not Prometheus text ({type(exc).__name__}: {exc})"[:200]
        return MetricsSample(t, error=error, error_kind=ErrorKind.BODY)
    if not seen_vllm:
        error = "/metrics has no vllm:* series (not a vLLM server, or --disable-log-stats)"
        return MetricsSample(t, error=error, error_kind=ErrorKind.BODY)
    histograms = {
        key: Histogram(tuple(sorted(per.items())), sums.get(key, 0.0), counts.get(key, 0.0))
        for key, per in buckets.items()
    }
    return MetricsSample(
        t,
        running=gauges.get("running"),
        waiting=gauges.get("waiting"),
        kv_usage=gauges.get("kv_usage"),
        start_time=gauges.get("start_time"),
        counters=counters,
        success=success,
        http_embeddings=http,
        histograms=histograms,
    )


class MetricsCollector:
    """Scrapes `/metrics`, at most once per `min_gap` seconds however often it is asked."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, timeout: float, min_gap: float) -> None:
        self.client = client
        self.base_url = base_url
        self.timeout = timeout
        self.min_gap = min_gap
        self._last: float | None = None

    def due(self, now: float) -> bool:
        return self._last is None or now - self._last >= self.min_gap * 0.9

    async def collect(self) -> MetricsSample | None:
        """A sample, or None when the last scrape was less than `min_gap` ago (a manual re-poll)."""
        now = time.monotonic()
        if not self.due(now):
            return None
        self._last = now
        answer = await request(self.client, "GET", f"{self.base_url}/metrics", self.timeout, MAX_BODY, tag="metrics")
        t = time.time()
        if answer.error:
            return MetricsSample(t, error=answer.error, error_kind=answer.error_kind)
        if answer.status != 200:
            return MetricsSample(t, error=f"/metrics answered HTTP {answer.status}", error_kind=ErrorKind.HTTP_STATUS)
        if answer.truncated:
            return MetricsSample(t, error=f"/metrics is larger than {MAX_BODY // 2**20} MiB", error_kind=ErrorKind.BODY)
        return parse_metrics(answer.body.decode("utf-8", "replace"), t)
