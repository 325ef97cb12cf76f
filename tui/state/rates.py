"""The client traffic figures every panel shows: one computation, so the Server panel, the Ingestion panel and
the Ingestion screen can never disagree.

They once did: the Server panel read the last minute of /metrics (`Store.traffic()`), the Ingestion panel the step
since the previous scrape (`Store.ingest_rates[-1]`) and its ETA the last 30 s, so a burst that ended 10 s ago read
4.3 req/s in one and 0.0 in the other at the same moment. Now each figure comes from `client_rates()` and carries
its window: rates over `RATE_WINDOW_S` of scrapes (embedtop's own probes taken out), the queue as of the latest
scrape. The per-scrape steps stay a history (the sparklines), labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.state.store import Store

RATE_WINDOW_S = 60.0


def window_label(seconds: float) -> str:
    """A window as the panels write it: "1 min", "5 min", "30 s"."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


@dataclass(frozen=True)
class ClientRates:
    """Client embedding traffic as vLLM's /metrics says, over a window, with the queue at the latest scrape."""

    window_s: float
    measured: bool  # two good scrapes in the window at least (else no rate can be said)
    requests_per_s: float | None  # finished inputs per second in the window, not ours (None: fewer than 2 scrapes)
    tokens_per_s: float | None  # prompt tokens per second in the window, not ours
    e2e_p95: float | None  # server-side latency, all requests in the window (seconds)
    running: float | None  # at the latest scrape (None: none yet, or it failed)
    waiting: float | None
    t: float | None  # the latest scrape's time, when it answered

    @property
    def label(self) -> str:
        return window_label(self.window_s)

    @property
    def eta_s(self) -> float | None:
        """How long the queue takes to drain at the window's rate (None: nothing waits, or no rate)."""
        if not self.waiting or not self.requests_per_s:
            return None
        return self.waiting / self.requests_per_s


def client_rates(store: Store, seconds: float = RATE_WINDOW_S) -> ClientRates:
    """The figures of the last `seconds` of scrapes, as of the latest one."""
    traffic = store.traffic(seconds=seconds)
    m = store.metrics
    good = m if m is not None and m.ok else None
    return ClientRates(
        window_s=seconds,
        measured=traffic is not None,
        requests_per_s=traffic.requests_per_s if traffic is not None else None,
        tokens_per_s=traffic.tokens_per_s if traffic is not None else None,
        e2e_p95=traffic.e2e_p95 if traffic is not None else None,
        running=good.running if good is not None else None,
        waiting=good.waiting if good is not None else None,
        t=good.t if good is not None else None,
    )
