"""Document ingestion as the embedding server sees it: client embedding requests from the access log
(paths and statuses, embedtop's own `?embedtop=` requests left out) and bursts of them.

How Open WebUI ingests (tests/captures/openwebui/ and openwebui-real-vllm/): `POST {base_url}/embeddings`
verbatim — so a base URL without `/v1` shows up as `POST /embeddings` (404), a doubled one as
`/v1/v1/embeddings` — one chunk per request, every chunk of a pass at once, each file embedded twice (the
file collection, then the knowledge base). uvicorn's access lines carry no timestamps: they are timed
when read (the log is polled every second).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from tui.logs.access import path_kind
from tui.samples import LogLine

IDLE_S = 10.0  # no client request for this long, and nothing queued: the burst is over
WINDOW_S = 300.0


@dataclass
class Burst:
    """A run of client embedding requests with no gap longer than IDLE_S."""

    start: float
    last: float
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # "404 POST /embeddings" → n
    end: float | None = None
    e2e_start: tuple[float, float] | None = None  # (sum, count) of vllm:e2e_request_latency_seconds at start
    mean_latency_s: float | None = None

    @property
    def requests(self) -> int:
        return self.ok + sum(self.errors.values())

    @property
    def duration_s(self) -> float:
        return (self.end or self.last) - self.start


@dataclass(frozen=True, slots=True)
class ClientRequest:
    t: float
    kind: str  # path_kind
    status: int
    line: str


class IngestTracker:
    """Fed access lines (with the time they were read) and /metrics scrapes; keeps bounded history."""

    def __init__(self) -> None:
        self.recent: deque[ClientRequest] = deque(maxlen=20_000)
        self.totals: Counter[str] = Counter()  # "200 POST /v1/embeddings" → n (since start)
        self.burst: Burst | None = None
        self.bursts: deque[Burst] = deque(maxlen=20)
        self.last_e2e: tuple[float, float] | None = None
        self.waiting: float = 0.0
        self.since: float | None = None  # the first tick: requests before it were never timed (the log's backlog)

    def on_access(self, line: LogLine, t: float) -> None:
        if line.ours or line.path is None or line.status is None or line.method != "POST":
            return
        kind = path_kind(line.path)
        if kind is None:
            return
        ok = kind == "ok" and 200 <= line.status < 300
        self.recent.append(ClientRequest(t, kind, line.status, "" if ok else line.text))  # keep text as evidence only
        label = f"{line.status} POST {line.path.split('?', 1)[0]}"
        self.totals[label] += 1
        burst = self.burst
        if burst is None:
            burst = self.burst = Burst(start=t, last=t, e2e_start=self.last_e2e)
        burst.last = t
        if kind == "ok" and 200 <= line.status < 300:
            burst.ok += 1
        else:
            burst.errors[label] += 1

    def on_metrics(self, e2e: tuple[float, float] | None, waiting: float | None) -> None:
        if e2e is not None:
            self.last_e2e = e2e
        self.waiting = waiting or 0.0

    def tick(self, now: float) -> None:
        """Close the burst once the clients have been quiet for IDLE_S and nothing is queued."""
        if self.since is None:
            self.since = now
        burst = self.burst
        if burst is None or now - burst.last < IDLE_S or self.waiting > 0:
            return
        burst.end = burst.last
        if burst.e2e_start is not None and self.last_e2e is not None:
            d_sum = self.last_e2e[0] - burst.e2e_start[0]
            d_count = self.last_e2e[1] - burst.e2e_start[1]
            if d_count > 0 and d_sum >= 0:
                burst.mean_latency_s = d_sum / d_count
        self.bursts.append(burst)
        self.burst = None

    def window(self, now: float, seconds: float = WINDOW_S) -> list[ClientRequest]:
        start = now - seconds
        return [r for r in self.recent if r.t >= start]
