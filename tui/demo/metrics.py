"""The demo target's `/metrics`: the vLLM 0.32 series an embedding server exposes, in the text format
prometheus_client writes (vLLM's own exporter), rendered here: importing prometheus_client cost the demo ~4 MB.

Names, labels and buckets are those of the real capture (`http/49-GET_metrics_after_load.response`):
gauges `vllm:num_requests_running|waiting`, `vllm:kv_cache_usage_perc`, counters
`vllm:request_success_total{finished_reason}`, `vllm:prompt_tokens_total`, histogram
`vllm:e2e_request_latency_seconds`, and `http_requests_total{handler,method,status}`.
"""

from __future__ import annotations

import math
import threading
import time

CONTENT_TYPE_LATEST = "text/plain; version=1.0.0; charset=utf-8"

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


def _num(v: float) -> str:
    """A sample value as prometheus_client writes it (Go's float formatting)."""
    if v == math.inf:
        return "+Inf"
    if v == -math.inf:
        return "-Inf"
    if math.isnan(v):
        return "NaN"
    text = repr(float(v))
    dot = text.find(".")
    if v > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+0{dot - 1}"
    return text


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


class _Series:
    """One metric family: its samples by label values, and when each was created."""

    def __init__(self, name: str, doc: str, kind: str) -> None:
        self.name, self.doc, self.kind = name, doc, kind
        self.values: dict[tuple[tuple[str, str], ...], float] = {}
        self.created: dict[tuple[tuple[str, str], ...], float] = {}
        self.buckets: dict[tuple[tuple[str, str], ...], list[float]] = {}
        self.sums: dict[tuple[tuple[str, str], ...], float] = {}

    def key(self, labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
        k = tuple(labels.items())
        if k not in self.values:
            self.values[k] = 0.0
            self.created[k] = time.time()
            if self.kind == "histogram":
                self.buckets[k] = [0.0] * (len(LATENCY_BUCKETS) + 1)
                self.sums[k] = 0.0
        return k

    def render(self, out: list[str]) -> None:
        name, doc = self.name, self.doc
        if self.kind == "gauge":
            out += [f"# HELP {name} {doc}", f"# TYPE {name} gauge"]
            out += [f"{name}{_labels(dict(k))} {_num(v)}" for k, v in self.values.items()]
            return
        if self.kind == "counter":
            out += [f"# HELP {name}_total {doc}", f"# TYPE {name}_total counter"]
            out += [f"{name}_total{_labels(dict(k))} {_num(v)}" for k, v in self.values.items()]
        else:
            out += [f"# HELP {name} {doc}", f"# TYPE {name} histogram"]
            for k in self.values:
                labels = dict(k)
                for le, n in zip((*LATENCY_BUCKETS, math.inf), self.buckets[k], strict=True):
                    out.append(f"{name}_bucket{_labels({**labels, 'le': _num(le)})} {_num(n)}")
                out.append(f"{name}_count{_labels(labels)} {_num(self.values[k])}")
                out.append(f"{name}_sum{_labels(labels)} {_num(self.sums[k])}")
        out += [f"# HELP {name}_created {doc}", f"# TYPE {name}_created gauge"]
        out += [f"{name}_created{_labels(dict(k))} {_num(t)}" for k, t in self.created.items()]


class DemoMetrics:
    """Counters that grow with the traffic the demo target really serves."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, model: str) -> None:
        self.labels = {"engine": "0", "model_name": model}
        self._lock = threading.Lock()
        self.running = _Series("vllm:num_requests_running", "Number of requests in model execution batches.", "gauge")
        self.waiting = _Series("vllm:num_requests_waiting", "Number of requests waiting to be processed.", "gauge")
        self.kv = _Series("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", "gauge")
        self.prompt_tokens = _Series("vllm:prompt_tokens", "Number of prefill tokens processed.", "counter")
        self.success = _Series("vllm:request_success", "Count of successfully processed requests.", "counter")
        self.e2e = _Series(
            "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", "histogram"
        )
        self.http = _Series("http_requests", "Total number of requests by method, status and handler.", "counter")
        self._families = (self.running, self.waiting, self.kv, self.prompt_tokens, self.success, self.e2e, self.http)
        for family in (self.running, self.waiting, self.kv, self.prompt_tokens, self.e2e):
            family.key(self.labels)
        for reason in FINISHED_REASONS:
            self.success.key({**self.labels, "finished_reason": reason})

    def served(self, inputs: int, tokens: int, seconds: float) -> None:
        """One successful embeddings request with `inputs` prompts (each is one engine request)."""
        with self._lock:
            self.prompt_tokens.values[self.prompt_tokens.key(self.labels)] += tokens
            self.success.values[self.success.key({**self.labels, "finished_reason": "stop"})] += inputs
            k = self.e2e.key(self.labels)
            self.e2e.values[k] += inputs
            buckets = self.e2e.buckets[k]
            for _ in range(inputs):  # one observation per input, as vLLM counts them
                self.e2e.sums[k] += seconds
            for i, le in enumerate((*LATENCY_BUCKETS, math.inf)):
                if seconds <= le:
                    buckets[i] += inputs

    def queue(self, running: int, waiting: int) -> None:
        """The engine's gauges: requests in the current batch and those queued behind it."""
        with self._lock:
            self.running.values[self.running.key(self.labels)] = float(running)
            self.waiting.values[self.waiting.key(self.labels)] = float(waiting)

    def http_request(self, handler: str, method: str, status: int) -> None:
        # vLLM's instrumentator skips /health, /version, /ping, /load and /metrics.
        if handler in ("/health", "/version", "/metrics", "/ping", "/load"):
            return
        with self._lock:
            self.http.values[self.http.key({"handler": handler, "method": method, "status": f"{status // 100}xx"})] += 1

    def render(self) -> bytes:
        out: list[str] = []
        with self._lock:
            for family in self._families:
                family.render(out)
        return ("\n".join(out) + "\n").encode()
