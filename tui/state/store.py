"""The one state model: latest samples and bounded histories. Widgets and rules only read it.

Every history is a `deque(maxlen=…)`: the dashboard runs for weeks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tui.samples import (
    GpuSample,
    HostSample,
    LogBatch,
    LongInputSample,
    MetricsSample,
    OwuiLogBatch,
    OwuiSample,
    OwuiStoreSample,
    ProbeSample,
    Sample,
    SemanticSample,
    ServerSample,
)
from tui.state.events import EventGrouper, LogEvent
from tui.state.ingest import IngestTracker
from tui.state.lifecycle import LogState
from tui.state.owui_log import OwuiLogTracker
from tui.state.window import counter_increase, histogram_increase, in_window, quantile

PROBE_HISTORY = 360  # one hour at the default 10 s probe interval
LOG_HISTORY = 2000  # events (a traceback is one event)
SERVER_HISTORY = 720
METRICS_HISTORY = 720  # an hour of scrapes at the default 5 s interval
GPU_HISTORY = 240  # per device: 20 minutes at the 5 s GPU poll
TRAFFIC_WINDOW_S = 60.0


@dataclass(frozen=True)
class Traffic:
    """What /metrics says happened in the window, embedtop's own probes taken out."""

    seconds: float
    requests_per_s: float | None  # finished inputs (vLLM counts each input item), not ours
    tokens_per_s: float | None  # prompt tokens embedded, not ours
    e2e_p50: float | None  # server-side latency percentiles (seconds), all requests
    e2e_p95: float | None
    e2e_p99: float | None
    e2e_count: float = 0.0
    ours: int = 0  # our inputs in the window


@dataclass
class Counters:
    """How many samples of each kind arrived (for tests, the status bar and the soak bench)."""

    server: int = 0
    probe: int = 0
    log: int = 0
    gpu: int = 0
    host: int = 0
    semantic: int = 0
    owui: int = 0
    owui_log: int = 0
    owui_store: int = 0


class Store:
    """Holds what collectors reported. `apply()` is the only writer, called on the UI thread."""

    def __init__(self) -> None:
        self.server: ServerSample | None = None
        self.server_history: deque[ServerSample] = deque(maxlen=SERVER_HISTORY)
        self.probe: ProbeSample | None = None
        self.probes: deque[ProbeSample] = deque(maxlen=PROBE_HISTORY)
        self.first_good_dims: int | None = None
        self.log_batch: LogBatch | None = None
        self.log_events: deque[LogEvent] = deque(maxlen=LOG_HISTORY)
        self.log_events_total = 0  # events ever appended: lets a view find what is new
        self.log_lines_total = 0
        self.log_state = LogState()
        self._grouper = EventGrouper()
        self.gpu: GpuSample | None = None
        self.gpu_memory: dict[int, deque[tuple[float, int]]] = {}  # device index → (t, used bytes)
        self.host: HostSample | None = None
        self.gone: dict[int, tuple[float, str, str]] = {}  # pid → (when, role, title) of vanished vLLM processes
        self.metrics: MetricsSample | None = None  # the last scrape (good or not)
        self.metrics_history: deque[MetricsSample] = deque(maxlen=METRICS_HISTORY)
        self.semantic: SemanticSample | None = None
        self.long_input: LongInputSample | None = None
        self.ingest = IngestTracker()
        self.owui: OwuiSample | None = None  # the optional Open WebUI link
        self.owui_store: OwuiStoreSample | None = None  # Open WebUI's Chroma store (--openwebui-data)
        self.owui_log = OwuiLogTracker()  # Open WebUI's own log (--openwebui-log / -docker / -journal)
        self.ingest_rates: deque[tuple[float, float, float]] = deque(maxlen=METRICS_HISTORY)  # (t, req/s, tok/s)
        self.counts = Counters()

    def apply(self, sample: Sample) -> None:
        """Fold one sample into the state."""
        if isinstance(sample, ServerSample):
            self.server = sample
            self.server_history.append(sample)
            self.counts.server += 1
            if sample.metrics is not None:
                self.metrics = sample.metrics
                self.metrics_history.append(sample.metrics)
                m = sample.metrics
                if m.ok:
                    e2e = m.histograms.get("e2e")
                    self.ingest.on_metrics((e2e.sum, e2e.count) if e2e else None, m.waiting)
                    step = self.traffic(seconds=0.0)  # since the previous scrape
                    if step is not None:
                        self.ingest_rates.append((m.t, step.requests_per_s or 0.0, step.tokens_per_s or 0.0))
            self.ingest.tick(sample.t)
        elif isinstance(sample, OwuiSample):
            self.owui = sample
            self.counts.owui += 1
        elif isinstance(sample, OwuiStoreSample):
            self.owui_store = sample
            self.counts.owui_store += 1
        elif isinstance(sample, OwuiLogBatch):
            self.owui_log.apply(sample)
            self.counts.owui_log += 1
        elif isinstance(sample, SemanticSample):
            self.semantic = sample
            self.counts.semantic += 1
        elif isinstance(sample, LongInputSample):
            self.long_input = sample
        elif isinstance(sample, ProbeSample):
            self.probe = sample
            self.probes.append(sample)
            self.counts.probe += 1
            if sample.ok and sample.dims and self.first_good_dims is None:
                self.first_good_dims = sample.dims
        elif isinstance(sample, LogBatch):
            self.log_batch = sample
            self.counts.log += 1
            t_read = None if sample.backlog else sample.t
            state, grouper, events = self.log_state, self._grouper, self.log_events
            ingest = self.ingest
            for line in sample.lines:
                state.feed(line, t_read)
                if line.kind == "access" and t_read is not None:  # backlog lines have no time: not a burst
                    ingest.on_access(line, t_read)
                event, new = grouper.feed(line)
                if new:
                    events.append(event)
                    self.log_events_total += 1
            self.log_lines_total += len(sample.lines)
            state.settle(sample.t)
            ingest.tick(sample.t)
            if not sample.lines:
                grouper.close()  # a quiet poll: the last record is complete
        elif isinstance(sample, GpuSample):
            self.gpu = sample
            self.counts.gpu += 1
            for d in sample.devices:
                if d.used_bytes is not None:
                    self.gpu_memory.setdefault(d.index, deque(maxlen=GPU_HISTORY)).append((sample.t, d.used_bytes))
        elif isinstance(sample, HostSample):
            self.host = sample
            self.counts.host += 1
            for p in sample.gone:
                self.gone[p.pid] = (sample.t, p.role, p.title)
            for p in sample.processes:
                self.gone.pop(p.pid, None)
            while len(self.gone) > 20:
                self.gone.pop(next(iter(self.gone)))

    def probe_latencies_ms(self, n: int | None = None) -> list[float]:
        """Latencies of the successful probes, oldest first (the sparkline's data)."""
        values = [p.latency_s * 1000.0 for p in self.probes if p.ok and p.latency_s is not None]
        return values[-n:] if n else values

    def own_requests(self, start: float, end: float) -> tuple[int, int]:
        """(inputs, prompt tokens) embedtop itself had embedded in (start, end]: kept out of traffic figures."""
        inputs = tokens = 0
        for p in (*self.probes, self.semantic):
            if p is not None and p.ok and start < p.t <= end:
                inputs += p.inputs
                tokens += p.tokens or 0
        return inputs, tokens

    def traffic(self, seconds: float = TRAFFIC_WINDOW_S, now: float | None = None) -> Traffic | None:
        """Rates and latency percentiles over the last `seconds` of scrapes (None: fewer than two)."""
        history = list(self.metrics_history)
        if not history:
            return None
        samples = in_window(history, seconds, now if now is not None else history[-1].t)
        if len(samples) < 2:
            return None
        span = samples[-1].t - samples[0].t
        if span <= 0:
            return None
        ours, our_tokens = self.own_requests(samples[0].t, samples[-1].t)

        def finished(m: MetricsSample) -> float | None:
            if not m.success:
                return None
            return sum(v for k, v in m.success.items() if k not in ("abort", "error"))

        done = counter_increase(samples, finished)
        tokens = counter_increase(samples, lambda m: m.counters.get("prompt_tokens"))
        e2e = histogram_increase(samples, "e2e")
        return Traffic(
            seconds=span,
            requests_per_s=None if done is None else max(0.0, done - ours) / span,
            tokens_per_s=None if tokens is None else max(0.0, tokens - our_tokens) / span,
            e2e_p50=quantile(0.5, e2e) if e2e else None,
            e2e_p95=quantile(0.95, e2e) if e2e else None,
            e2e_p99=quantile(0.99, e2e) if e2e else None,
            e2e_count=e2e.count if e2e else 0.0,
            ours=ours,
        )
