"""Probe panel: last probe, dimensions, norm, latency now / p50 / p95 / p99, semantic and long-input
results, and a latency sparkline."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline

from tui.config import Config
from tui.state.store import Store
from tui.state.target_facts import expected_dims
from tui.state.window import percentiles
from tui.widgets.format import hms
from tui.widgets.panel import RenderPanel

SPARK_POINTS = 120


def render_probe(store: Store, cfg: Config) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=8)
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
    values = store.probe_latencies_ms(SPARK_POINTS)
    now = f"{p.latency_s * 1000:.0f} ms" if p.latency_s is not None else "?"
    if len(values) >= 2:
        p50, p95, p99 = percentiles(values)
        text = f"{now} · p50/95/99 {p50:.0f}/{p95:.0f}/{p99:.0f} ms ({len(values)})"
        grid.add_row("latency", Text(text, no_wrap=True, overflow="ellipsis"))
    else:
        grid.add_row("latency", now)
    grid.add_row("semantic", semantic_text(store))
    if store.long_input is not None:
        grid.add_row("long", long_input_text(store))
    return grid


def semantic_text(store: Store) -> Text:
    s = store.semantic
    if s is None:
        return Text("not run yet (s)", style="dim")
    if not s.ok:
        return Text(f"{hms(s.t)} {s.error}", style="red")
    verdict, style = ("✔", "green") if s.passed else ("✖", "bold red")
    return Text(f"{verdict} related {s.related:.2f} vs unrelated {s.unrelated:.2f}", style=style, no_wrap=True)


def long_input_text(store: Store) -> Text:
    li = store.long_input
    assert li is not None
    if li.outcome == "rejected":
        return Text(f"> {li.max_model_len} tokens: rejected with 400 (clients must chunk)", style="yellow")
    if li.outcome == "truncated":
        return Text(f"> {li.max_model_len} tokens: truncated, 200 ({li.tokens} tokens embedded)", style="yellow")
    return Text(f"{li.outcome}: {li.message[:80]}", style="dim")


class ProbePanel(Vertical):
    """Summary table plus a latency sparkline."""

    def compose(self) -> ComposeResult:
        yield RenderPanel(id="probe-summary")
        yield Sparkline([], id="probe-spark", summary_function=max)

    def show(self, store: Store, cfg: Config) -> None:
        key = (store.probe, store.counts.probe, store.semantic, store.long_input)
        self.query_one("#probe-summary", RenderPanel).set(key, lambda: render_probe(store, cfg))
        spark = self.query_one("#probe-spark", Sparkline)
        data = store.probe_latencies_ms(SPARK_POINTS)
        if data != spark.data:
            # A fresh list: Sparkline.data is a reactive and mutation is invisible to it.
            spark.data = data
