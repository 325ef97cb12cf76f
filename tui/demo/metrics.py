"""The demo target's `/metrics`: the vLLM 0.32 series an embedding server exposes, via prometheus_client.

Names, labels and buckets are those of the real capture (`http/49-GET_metrics_after_load.response`):
gauges `vllm:num_requests_running|waiting`, `vllm:kv_cache_usage_perc`, counters
`vllm:request_success_total{finished_reason}`, `vllm:prompt_tokens_total`, histogram
`vllm:e2e_request_latency_seconds`, and `http_requests_total{handler,method,status}`.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (
    0.3,
    0.5,
    0.8,
    1.0,
    1.5,
    2.0,
    2.5,
    5.0,
    10.0,
    15.0,
    20.0,
    30.0,
    40.0,
    50.0,
    60.0,
    120.0,
    240.0,
    480.0,
    960.0,
    1920.0,
    7680.0,
)
FINISHED_REASONS = ("stop", "length", "abort", "error", "repetition")


class DemoMetrics:
    """Counters that grow with the traffic the demo target really serves."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, model: str) -> None:
        self.registry = CollectorRegistry()
        self.labels = {"engine": "0", "model_name": model}
        self._lock = threading.Lock()
        base = ["engine", "model_name"]
        self.running = Gauge(
            "vllm:num_requests_running", "Number of requests in model execution batches.", base, registry=self.registry
        )
        self.waiting = Gauge(
            "vllm:num_requests_waiting", "Number of requests waiting to be processed.", base, registry=self.registry
        )
        self.kv = Gauge(
            "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", base, registry=self.registry
        )
        self.prompt_tokens = Counter(
            "vllm:prompt_tokens", "Number of prefill tokens processed.", base, registry=self.registry
        )
        self.success = Counter(
            "vllm:request_success",
            "Count of successfully processed requests.",
            [*base, "finished_reason"],
            registry=self.registry,
        )
        self.e2e = Histogram(
            "vllm:e2e_request_latency_seconds",
            "Histogram of e2e request latency in seconds.",
            base,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.http = Counter(
            "http_requests",
            "Total number of requests by method, status and handler.",
            ["handler", "method", "status"],
            registry=self.registry,
        )
        self.running.labels(**self.labels).set(0)
        self.waiting.labels(**self.labels).set(0)
        self.kv.labels(**self.labels).set(0)
        self.prompt_tokens.labels(**self.labels)
        for reason in FINISHED_REASONS:
            self.success.labels(**self.labels, finished_reason=reason)
        self.e2e.labels(**self.labels)

    def served(self, inputs: int, tokens: int, seconds: float) -> None:
        """One successful embeddings request with `inputs` prompts (each is one engine request)."""
        with self._lock:
            self.prompt_tokens.labels(**self.labels).inc(tokens)
            self.success.labels(**self.labels, finished_reason="stop").inc(inputs)
            for _ in range(inputs):
                self.e2e.labels(**self.labels).observe(seconds)

    def queue(self, running: int, waiting: int) -> None:
        """The engine's gauges: requests in the current batch and those queued behind it."""
        self.running.labels(**self.labels).set(running)
        self.waiting.labels(**self.labels).set(waiting)

    def http_request(self, handler: str, method: str, status: int) -> None:
        # vLLM's instrumentator skips /health, /version, /ping, /load and /metrics.
        if handler in ("/health", "/version", "/metrics", "/ping", "/load"):
            return
        with self._lock:
            self.http.labels(handler=handler, method=method, status=f"{status // 100}xx").inc()

    def render(self) -> bytes:
        with self._lock:
            return generate_latest(self.registry)
