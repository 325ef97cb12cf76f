"""Latency chart (key `g`, in place of the log): probe latency over time with a clock axis, drawn by plotext.

plotext keeps global state, so it is only called from the UI thread, and only when the chart is
shown and its data or size changed.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widgets import Static

from tui.state.store import Store


def build_chart(store: Store, width: int, height: int) -> str:
    """The chart as text with ANSI colours (plotext's own rendering)."""
    import plotext as plt

    probes = [p for p in store.probes if p.ok and p.latency_s is not None]
    plt.clf()
    plt.theme("clear")
    plt.plotsize(max(width, 30), max(height, 6))
    if len(probes) < 2:
        plt.title("probe latency (ms): waiting for two probes")
        return plt.build()
    plt.date_form("H:M:S")
    xs = [plt.datetime_to_string(dt.datetime.fromtimestamp(p.t)) for p in probes]
    ys = [p.latency_s * 1000.0 for p in probes]  # type: ignore[operator]
    plt.plot(xs, ys, marker="braille", color="cyan", label="probe latency (ms)")
    traffic = store.traffic()
    title = f"probe latency, last {len(probes)} probes"
    if traffic is not None and traffic.e2e_p95 is not None:
        title += f" · server e2e p95 ~{traffic.e2e_p95 * 1000:.0f} ms over {traffic.seconds:.0f} s"
    plt.title(title)
    return plt.build()


class LatencyChart(Static):
    """Shown instead of the log panel while toggled on."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._key: tuple | None = None

    def show(self, store: Store) -> None:
        if not self.display:
            return
        size = (self.size.width, self.size.height)
        last = store.probes[-1].t if store.probes else None
        key = (size, last, len(store.probes))
        if key == self._key or size[0] <= 0:
            return
        self._key = key
        self.update(Text.from_ansi(build_chart(store, size[0], size[1])))

    def on_resize(self) -> None:
        self._key = None
