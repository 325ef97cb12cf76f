"""The one state model: latest samples and bounded histories. Widgets and rules only read it.

Every history is a `deque(maxlen=…)`: the dashboard runs for weeks.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tui.logs.events import EventGrouper, LogEvent
from tui.logs.lifecycle import LogState
from tui.model.samples import GpuSample, LogBatch, ProbeSample, Sample, ServerSample

PROBE_HISTORY = 360  # one hour at the default 10 s probe interval
LOG_HISTORY = 2000  # events (a traceback is one event)
SERVER_HISTORY = 720


@dataclass
class Counters:
    """How many samples of each kind arrived (for tests, the status bar and the soak bench)."""

    server: int = 0
    probe: int = 0
    log: int = 0
    gpu: int = 0


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
        self.counts = Counters()

    def apply(self, sample: Sample) -> None:
        """Fold one sample into the state."""
        if isinstance(sample, ServerSample):
            self.server = sample
            self.server_history.append(sample)
            self.counts.server += 1
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
            for line in sample.lines:
                state.feed(line, t_read)
                event, new = grouper.feed(line)
                if new:
                    events.append(event)
                    self.log_events_total += 1
            self.log_lines_total += len(sample.lines)
            if not sample.lines:
                grouper.close()  # a quiet poll: the last record is complete
        elif isinstance(sample, GpuSample):
            self.gpu = sample
            self.counts.gpu += 1

    def probe_latencies_ms(self, n: int | None = None) -> list[float]:
        """Latencies of the successful probes, oldest first (the sparkline's data)."""
        values = [p.latency_s * 1000.0 for p in self.probes if p.ok and p.latency_s is not None]
        return values[-n:] if n else values
