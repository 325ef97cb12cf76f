"""Probe panel: last probe status, dimensions, norm, latency and a latency sparkline."""

from __future__ import annotations

import statistics

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline

from tui.config import Config
from tui.model.store import Store
from tui.rules.catalog import expected_dims, hms
from tui.widgets.panel import RenderPanel

SPARK_POINTS = 120


def render_probe(store: Store, cfg: Config) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    p = store.probe
    if p is None:
        grid.add_row("last", Text("no probe yet", style="dim"))
        return grid
    manual = " (manual)" if p.manual else ""
    if p.ok:
        grid.add_row("last", Text(f"{hms(p.t)} 200 OK{manual}", style="bold green"))
    else:
        status = f"HTTP {p.http_status}" if p.http_status else "no answer"
        grid.add_row("last", Text(f"{hms(p.t)} {status}{manual}", style="bold red"))
        grid.add_row("error", Text(p.error or "", style="red"))
    grid.add_row("model", p.model)
    if p.dims is not None:
        expected, _ = expected_dims(store, cfg)
        style = "green" if expected in (None, p.dims) else "bold red"
        note = "" if expected in (None, p.dims) else f" (expected {expected})"
        grid.add_row("dims", Text(f"{p.dims}{note}", style=style))
    if p.norm is not None:
        grid.add_row("L2 norm", f"{p.norm:.4f}")
    if p.latency_s is not None:
        grid.add_row("latency", f"{p.latency_s * 1000:.0f} ms")
    values = store.probe_latencies_ms(SPARK_POINTS)
    if len(values) >= 2:
        quant = statistics.quantiles(values, n=20) if len(values) >= 4 else values
        grid.add_row("p50/p95", f"{statistics.median(values):.0f} / {max(quant):.0f} ms ({len(values)} probes)")
    grid.add_row("probes", str(store.counts.probe))
    return grid


class ProbePanel(Vertical):
    """Summary table plus a latency sparkline."""

    def compose(self) -> ComposeResult:
        yield RenderPanel(id="probe-summary")
        yield Sparkline([], id="probe-spark", summary_function=max)

    def show(self, store: Store, cfg: Config) -> None:
        key = (store.probe, store.counts.probe)
        self.query_one("#probe-summary", RenderPanel).set(key, lambda: render_probe(store, cfg))
        spark = self.query_one("#probe-spark", Sparkline)
        data = store.probe_latencies_ms(SPARK_POINTS)
        if data != spark.data:
            # A fresh list: Sparkline.data is a reactive and mutation is invisible to it.
            spark.data = data
